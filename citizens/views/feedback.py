"""Supervisors' pages: the feedback (phản ánh, kiến nghị) about their units, and the answer.

Leaders see the feedback of the units in their subtree, administrators all of it; anyone else
gets 403, and a feedback outside the user's subtree answers 404.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from citizens.forms import FeedbackAnswerForm
from citizens.models import Feedback
from citizens.selectors import (
    feedback_answerer, feedback_get_for_user, feedback_is_overdue, feedback_list as feedback_list_query,
)
from citizens.services import feedback_answer
from onecua.forms import add_service_errors

PAGE_SIZE = 50


def _require_answerer(user) -> None:
    if not feedback_answerer(user):
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị mới xem và trả lời phản ánh, kiến nghị."))


@login_required
def feedback_list(request):
    _require_answerer(request.user)
    state = request.GET.get("trang_thai", "")
    qs = feedback_list_query(user=request.user, state=state or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("trang"))
    today = timezone.localdate()
    rows = [{"f": f, "overdue": feedback_is_overdue(f, today=today)} for f in page.object_list]
    return render(request, "citizens/feedback/list.html", {
        "page": page, "rows": rows, "state": state, "states": Feedback.State.choices,
        "offset": (page.number - 1) * PAGE_SIZE,
    })


@login_required
def feedback_detail(request, pk: int):
    _require_answerer(request.user)
    try:
        feedback = feedback_get_for_user(user=request.user, pk=pk)
    except Feedback.DoesNotExist as exc:
        raise Http404(_("Không tìm thấy phản ánh, kiến nghị.")) from exc
    form = FeedbackAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feedback_answer(feedback=feedback, answer=form.cleaned_data["answer"], actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Đã trả lời %(kind)s #%(id)s về hồ sơ %(code)s; người dân xem được trên trang tra cứu.") % {
                "kind": feedback.get_kind_display().lower(), "id": feedback.pk, "code": feedback.dossier.code,
            })
            return redirect("citizens:feedback_list")
    return render(request, "citizens/feedback/detail.html", {
        "f": feedback, "form": form, "overdue": feedback_is_overdue(feedback),
    }, status=400 if form.errors else 200)
