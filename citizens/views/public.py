"""The public lookup page (no login): dossier code + last four digits → the dossier's progress,
then the satisfaction evaluation and feedback for that dossier.

- A successful check adds the dossier's id and the time to the session (``SESSION_VERIFIED``);
  the pages of a dossier (``/tra-cuu-ho-so/ho-so/<code>/…``) answer only for an id verified
  less than ``PUBLIC_VERIFICATION_MINUTES`` (30) ago and otherwise send the visitor back to the
  form, the same way for unknown and unverified codes. "Kết thúc tra cứu" forgets them all.
- Wrong code and wrong digits render the very same page (same message, same status).
- Checks are rate-limited per client address, and a code is locked for everybody after a few
  wrong tails (``citizens.ratelimit``; the kiosk has its own per-device budget); beyond a
  limit: HTTP 429 with what to do. Feedback and evaluation posts are limited per dossier and
  per address.
- Public pages never show the staff menu (``nav`` is blanked in their context).
"""
from __future__ import annotations

import time

from django.conf import settings
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
MSG_CODE_LOCKED = gettext_lazy(
    "Mã hồ sơ này tạm khóa tra cứu trong %(minutes)s phút vì đã nhập sai nhiều lần. Nếu bạn là người "
    "nộp hồ sơ và cần hỗ trợ, vui lòng gọi số điện thoại của Bộ phận Một cửa in trên Giấy tiếp nhận hồ sơ, "
    "hoặc mang Giấy tiếp nhận và CCCD đến quầy để được tra cứu giúp."
)
MSG_POST_LIMITED = gettext_lazy(
    "Bạn đã gửi quá nhiều lần cho hồ sơ này hoặc từ địa chỉ này. Vui lòng thử lại sau; nếu cần phản ánh "
    "gấp, hãy liên hệ Bộ phận Một cửa nơi đã nộp hồ sơ."
)

#: the context that keeps the staff menu and bell off a public page
PUBLIC_CONTEXT = {"nav": None, "public_page": True}


# --- rate limit ------------------------------------------------------------------------------


def client_address(request) -> str:
    """The caller's address, as the login throttle sees it (``TRUSTED_PROXIES``)."""
    return client_ip(request) or "unknown"


def lookup_rate_exceeded(request) -> bool:
    """:func:`citizens.ratelimit.lookup_rate_exceeded` for this request's address."""
    return ratelimit.lookup_rate_exceeded(client_address(request))


def rate_limited_response(request, template: str, context: dict, message=MSG_RATE_LIMITED):
    return render(request, template, {**PUBLIC_CONTEXT, **context, "rate_limited": message}, status=429)


def code_locked_response(request, template: str, context: dict):
    """The code is locked after too many wrong tails, whoever asks (429, how to get help)."""
    message = MSG_CODE_LOCKED % {"minutes": settings.LOOKUP_CODE_LOCK_MINUTES}
    response = rate_limited_response(request, template, context, message)
    response["Retry-After"] = str(settings.LOOKUP_CODE_LOCK_MINUTES * 60)
    return response


def checked_dossier(code: str, digits: str):
    """:func:`dossier_verify` behind the per-code failure lock: ``(dossier or None, locked)``.
    A locked code is not even checked (the right digits do not open it either)."""
    if ratelimit.code_locked(code):
        return None, True
    dossier = dossier_verify(code=code, digits=digits)
    if dossier is not None:
        ratelimit.code_success(code)
        return dossier, False
    return None, ratelimit.code_failure(code)


# --- session verification --------------------------------------------------------------------


def _now_seconds() -> float:
    return time.time()


def _verified_entries(request) -> list[list[int]]:
    """``[[dossier id, verified at (epoch seconds)], …]`` (an entry of another shape: dropped)."""
    return [e for e in request.session.get(SESSION_VERIFIED, []) if isinstance(e, list) and len(e) == 2]


def session_verify(request, dossier_id: int) -> None:
    entries = [e for e in _verified_entries(request) if e[0] != dossier_id]
    entries.append([dossier_id, int(_now_seconds())])
    request.session[SESSION_VERIFIED] = entries[-SESSION_VERIFIED_MAX:]


def verified_dossier(request, code: str):
    """The dossier with this code if this session verified it less than
    ``PUBLIC_VERIFICATION_MINUTES`` ago (a shared PC forgets it by itself), else None."""
    dossier = dossier_by_code(code=code)
    if dossier is None:
        return None
    oldest = _now_seconds() - settings.PUBLIC_VERIFICATION_MINUTES * 60
    if any(pk == dossier.pk and at > oldest for pk, at in _verified_entries(request)):
        return dossier
    return None


@require_POST
def lookup_end(request):
    """"Kết thúc tra cứu": this browser forgets every dossier it verified (shared PCs)."""
    request.session.pop(SESSION_VERIFIED, None)
    messages.success(request, _("Đã kết thúc tra cứu. Trình duyệt này không còn xem được hồ sơ đã tra cứu."))
    return redirect("citizens:lookup")


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
            dossier, locked = checked_dossier(form.cleaned_data["code"], form.cleaned_data["digits"])
            if locked:
                return code_locked_response(request, template, {"form": form})
            if dossier is not None:
                session_verify(request, dossier.pk)
                return redirect("citizens:public_dossier", code=dossier.code)
            form.add_error(None, MSG_NO_MATCH)
    else:
        form = LookupForm(initial={"code": request.GET.get(CODE_PARAM, "")[:100]})
    return render(request, template, {**PUBLIC_CONTEXT, "form": form})


def _dossier_page(request, dossier, *, evaluation_form=None, feedback_form=None, status=200, limited=None):
    view = dossier_public_view(dossier=dossier)
    can_evaluate = view.returned and view.evaluation is None
    context = {
        **PUBLIC_CONTEXT,
        "d": view,
        "can_evaluate": can_evaluate,
        "evaluation_form": evaluation_form or (EvaluationForm() if can_evaluate else None),
        "feedback_form": feedback_form or FeedbackForm(),
        "rate_limited": limited,
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
        if ratelimit.evaluation_rate_exceeded(dossier_id=dossier.pk, address=client_address(request)):
            return _dossier_page(request, dossier, evaluation_form=form, status=429, limited=MSG_POST_LIMITED)
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
        if ratelimit.feedback_rate_exceeded(dossier_id=dossier.pk, address=client_address(request)):
            return _dossier_page(request, dossier, feedback_form=form, status=429, limited=MSG_POST_LIMITED)
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
