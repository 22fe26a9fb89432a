"""The public lookup page (no login): dossier code + last four digits → the dossier's progress,
then the satisfaction evaluation and feedback for that dossier.

- A successful check adds the dossier's id to the session (``SESSION_VERIFIED``); the pages of
  a dossier (``/tra-cuu-ho-so/ho-so/<code>/…``) answer only for a verified id and otherwise
  send the visitor back to the form, the same way for unknown and unverified codes.
- Wrong code and wrong digits render the very same page (same message, same status).
- Checks are rate-limited per client address (``citizens.ratelimit``, shared with the kiosk);
  beyond the limit: HTTP 429.
- Public pages never show the staff menu (``nav`` is blanked in their context).
"""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dossiers import hooks
from citizens import ratelimit
from citizens.forms import EvaluationForm, FeedbackForm, LookupForm
from citizens.models import Evaluation
from citizens.qr import CODE_PARAM
from citizens.selectors import SESSION_VERIFIED_MAX, dossier_by_code, dossier_public_view
from citizens.services import dossier_verify, evaluation_submit, feedback_submit
from onecua.forms import add_service_errors
from onecua.security import client_ip

SESSION_VERIFIED = "citizens_verified"

MSG_NO_MATCH = gettext_lazy(
    "Không tìm thấy hồ sơ khớp với mã hồ sơ và 4 chữ số đã nhập. Vui lòng kiểm tra lại mã hồ sơ "
    "trên giấy tiếp nhận và 4 số cuối của số điện thoại hoặc số CCCD đã khai khi nộp hồ sơ."
)
MSG_RATE_LIMITED = gettext_lazy(
    "Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng đợi khoảng một phút rồi thử lại."
)

#: the context that keeps the staff menu and bell off a public page
PUBLIC_CONTEXT = {"nav": None, "public_page": True}


# --- rate limit ------------------------------------------------------------------------------


def client_address(request) -> str:
    """The caller's address, as the login throttle sees it (``TRUSTED_PROXY_COUNT``)."""
    return client_ip(request) or "unknown"


def lookup_rate_exceeded(request) -> bool:
    """:func:`citizens.ratelimit.lookup_rate_exceeded` for this request's address."""
    return ratelimit.lookup_rate_exceeded(client_address(request))


def rate_limited_response(request, template: str, context: dict):
    return render(request, template, {**PUBLIC_CONTEXT, **context, "rate_limited": MSG_RATE_LIMITED}, status=429)


# --- session verification --------------------------------------------------------------------


def session_verify(request, dossier_id: int) -> None:
    ids = [i for i in request.session.get(SESSION_VERIFIED, []) if i != dossier_id]
    ids.append(dossier_id)
    request.session[SESSION_VERIFIED] = ids[-SESSION_VERIFIED_MAX:]


def verified_dossier(request, code: str):
    """The dossier with this code if this session has verified it, else None."""
    dossier = dossier_by_code(code=code)
    if dossier is None or dossier.pk not in request.session.get(SESSION_VERIFIED, []):
        return None
    return dossier


def _back_to_lookup(code: str) -> HttpResponseRedirect:
    from urllib.parse import urlencode

    return redirect(reverse("citizens:lookup") + "?" + urlencode({CODE_PARAM: code}))


# --- pages -----------------------------------------------------------------------------------


@never_cache
def lookup(request):
    """Tra cứu hồ sơ: the code (prefilled from the receipt's QR link) and the four digits."""
    template = "citizens/public/lookup.html"
    if request.method == "POST":
        form = LookupForm(request.POST)
        if lookup_rate_exceeded(request):
            return rate_limited_response(request, template, {"form": form})
        if form.is_valid():
            dossier = dossier_verify(code=form.cleaned_data["code"], digits=form.cleaned_data["digits"])
            if dossier is not None:
                session_verify(request, dossier.pk)
                return redirect("citizens:public_dossier", code=dossier.code)
            form.add_error(None, MSG_NO_MATCH)
    else:
        form = LookupForm(initial={"code": request.GET.get(CODE_PARAM, "")[:100]})
    return render(request, template, {**PUBLIC_CONTEXT, "form": form})


def _dossier_page(request, dossier, *, evaluation_form=None, feedback_form=None, status=200):
    view = dossier_public_view(dossier=dossier)
    can_evaluate = view.returned and view.evaluation is None
    context = {
        **PUBLIC_CONTEXT,
        "d": view,
        "can_evaluate": can_evaluate,
        "evaluation_form": evaluation_form or (EvaluationForm() if can_evaluate else None),
        "feedback_form": feedback_form or FeedbackForm(),
        "panels": hooks.panels(hooks.PUBLIC_PANELS, request, dossier),  # papers: the electronic result
    }
    return render(request, "citizens/public/dossier.html", context, status=status)


@never_cache
def public_dossier(request, code: str):
    dossier = verified_dossier(request, code)
    if dossier is None:
        return _back_to_lookup(code)
    return _dossier_page(request, dossier)


@never_cache
@require_POST
def public_evaluate(request, code: str):
    dossier = verified_dossier(request, code)
    if dossier is None:
        return _back_to_lookup(code)
    form = EvaluationForm(request.POST)
    if form.is_valid():
        try:
            evaluation = evaluation_submit(
                dossier=dossier, points=form.points(), comment=form.cleaned_data["comment"],
                source=Evaluation.Source.ONLINE,
            )
        except ValidationError as exc:
            if "dossier" in exc.message_dict:  # already evaluated, or not returned yet: no form to fix
                for message in exc.message_dict["dossier"]:
                    messages.warning(request, message)
                return redirect(reverse("citizens:public_dossier", args=[dossier.code]) + "#danh-gia")
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Cảm ơn bạn đã đánh giá hồ sơ %(code)s: %(total)s/18 điểm, xếp loại %(band)s.") % {
                "code": dossier.code, "total": evaluation.total, "band": evaluation.get_band_display(),
            })
            return redirect(reverse("citizens:public_dossier", args=[dossier.code]) + "#danh-gia")
    return _dossier_page(request, dossier, evaluation_form=form, status=400)


@never_cache
@require_POST
def public_feedback(request, code: str):
    dossier = verified_dossier(request, code)
    if dossier is None:
        return _back_to_lookup(code)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            feedback = feedback_submit(dossier=dossier, kind=form.cleaned_data["kind"], content=form.cleaned_data["content"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Đã gửi %(kind)s về hồ sơ %(code)s. Cơ quan giải quyết sẽ trả lời chậm nhất vào ngày %(due)s.") % {
                "kind": feedback.get_kind_display().lower(), "code": dossier.code, "due": f"{feedback.answer_due:%d/%m/%Y}",
            })
            return redirect(reverse("citizens:public_dossier", args=[dossier.code]) + "#phan-anh")
    return _dossier_page(request, dossier, feedback_form=form, status=400)
