"""Reads of the citizen side: what the public lookup page may show, the supervisors' feedback list.

The public page shows a fixed, small set of facts (``dossier_public_view``): the procedure, the
dates, the state, the unit handling it, the timeline with citizen-worded actions and units, and
the applicant's name masked. Officer names, notes (except the apology reason the citizen is
owed) and every other personal field stay out, by construction: the view never hands the
template a Dossier.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Evaluation, Feedback
from dossiers.models import Dossier, DossierEvent
from dossiers.roles import ADMINISTRATOR, LEADER, user_roles
from dossiers.selectors import user_unit_ids
from dossiers.workflow import Action

#: How the timeline names each history action for a citizen (DossierEvent.action).
PUBLIC_ACTION_LABELS = {
    "submit": _("Nộp hồ sơ trực tuyến"),
    "receive": _("Tiếp nhận hồ sơ"),
    Action.ACCEPT: _("Tiếp nhận hồ sơ nộp trực tuyến"),
    Action.REJECT: _("Không tiếp nhận hồ sơ"),
    Action.ASSIGN: _("Giao cán bộ xử lý hồ sơ"),
    Action.TRANSFER: _("Chuyển hồ sơ sang bước xử lý tiếp theo"),
    Action.REQUEST_SUPPLEMENT: _("Yêu cầu bổ sung, hoàn thiện hồ sơ"),
    Action.RESUME: _("Đã nhận hồ sơ bổ sung, tiếp tục xử lý"),
    Action.APPROVE: _("Đã có kết quả, chờ trả kết quả"),
    Action.REFUSE: _("Từ chối giải quyết hồ sơ"),
    Action.APOLOGIZE: _("Xin lỗi và hẹn lại ngày trả kết quả"),
    Action.RETURN_RESULT: _("Đã trả kết quả"),
    Action.WITHDRAW: _("Rút hồ sơ"),
    "recompute-due": _("Cập nhật ngày hẹn trả kết quả"),
    "reorganise": _("Chuyển theo sắp xếp đơn vị hành chính"),
}
PUBLIC_ACTION_DEFAULT = _("Cập nhật hồ sơ")

#: Verified dossiers a session keeps (the most recent ones).
SESSION_VERIFIED_MAX = 20


def mask_name(name: str) -> str:
    """Each word → its first letter + '*' × min(len − 1, 3): "Nguyễn Văn A" → "N*** V** A"."""
    return " ".join(word[0] + "*" * min(len(word) - 1, 3) for word in (name or "").split())


def dossier_by_code(*, code: str) -> Dossier | None:
    """The dossier with this code (as typed, else upper-cased), or None."""
    code = (code or "").strip()
    if not code:
        return None
    qs = Dossier.objects.select_related("procedure", "current_unit", "resolving_unit")
    found = qs.filter(code=code).first()
    if found is None and code.upper() != code:
        found = qs.filter(code=code.upper()).first()
    return found


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    label: str
    unit: str
    to_unit: str = ""
    reason: str = ""


@dataclass(frozen=True)
class PublicFeedback:
    kind: str
    content: str
    submitted_at: datetime
    answer_due: date
    answered: bool
    answer: str
    answered_at: datetime | None


@dataclass(frozen=True)
class PublicDossier:
    """Everything the public lookup page may show about one dossier, and nothing more."""

    code: str
    procedure: str
    applicant: str  # masked
    received_at: datetime | None
    due_date: date | None
    appointment_date: date | None
    apology_reason: str
    state: str
    state_code: str
    current_unit: str
    returned: bool
    returned_at: datetime | None = None
    events: list[PublicEvent] = field(default_factory=list)
    feedback: list[PublicFeedback] = field(default_factory=list)
    evaluation: Evaluation | None = None


def _public_events(dossier: Dossier) -> list[PublicEvent]:
    events = DossierEvent.objects.filter(dossier=dossier).select_related("unit", "to_unit").order_by("at", "id")
    out = []
    for e in events:
        out.append(PublicEvent(
            at=e.at,
            label=str(PUBLIC_ACTION_LABELS.get(e.action, PUBLIC_ACTION_DEFAULT)),
            unit=e.unit.name if e.unit_id else "",
            to_unit=e.to_unit.name if e.to_unit_id and e.to_unit_id != e.unit_id else "",
            # The apology reason is owed to the citizen (Mẫu 04); every other note is internal.
            reason=e.note if e.action == Action.APOLOGIZE else "",
        ))
    return out


def dossier_public_view(*, dossier: Dossier) -> PublicDossier:
    feedback = [
        PublicFeedback(
            kind=f.get_kind_display(), content=f.content, submitted_at=f.submitted_at, answer_due=f.answer_due,
            answered=f.state == Feedback.State.ANSWERED, answer=f.answer, answered_at=f.answered_at,
        )
        for f in Feedback.objects.filter(dossier=dossier).order_by("submitted_at", "id")
    ]
    return PublicDossier(
        code=dossier.code,
        procedure=dossier.procedure.name,
        applicant=mask_name(dossier.applicant_name),
        received_at=dossier.received_at,
        due_date=dossier.due_date,
        appointment_date=dossier.appointment_date,
        apology_reason=dossier.apology_reason if dossier.appointment_date else "",
        state=dossier.get_state_display(),
        state_code=dossier.state,
        current_unit=dossier.current_unit.name,
        returned=dossier.returned_at is not None,
        returned_at=dossier.returned_at,
        events=_public_events(dossier),
        feedback=feedback,
        evaluation=Evaluation.objects.filter(dossier=dossier).first(),
    )


# --- supervisors' feedback list --------------------------------------------------------------


def feedback_answerer(user) -> bool:
    """Supervisors (leaders) and administrators answer feedback."""
    return bool(user_roles(user) & {LEADER, ADMINISTRATOR})


def feedback_visible_to(user, qs: QuerySet[Feedback] | None = None) -> QuerySet[Feedback]:
    """Feedback about the units in the user's subtree (all of it for administrators)."""
    qs = Feedback.objects.all() if qs is None else qs
    if not feedback_answerer(user):
        return qs.none()
    unit_ids = user_unit_ids(user)
    if unit_ids is None:
        return qs
    return qs.filter(unit_id__in=unit_ids)


def feedback_list(*, user, state: str | None = None) -> QuerySet[Feedback]:
    """Open first, then by answer deadline (soonest first)."""
    qs = feedback_visible_to(user).select_related("dossier", "dossier__procedure", "unit")
    if state in Feedback.State.values:
        qs = qs.filter(state=state)
    open_first = Case(When(state=Feedback.State.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(open_first, "answer_due", "id")


def feedback_get_for_user(*, user, pk: int) -> Feedback:
    """The feedback if the user may answer it, else Feedback.DoesNotExist (→ 404)."""
    return feedback_visible_to(user).select_related("dossier", "dossier__procedure", "unit", "answered_by").get(pk=pk)


def feedback_open_count(*, user) -> int:
    return feedback_visible_to(user).filter(state=Feedback.State.OPEN).count()


def feedback_is_overdue(feedback: Feedback, *, today: date | None = None) -> bool:
    """Open past its deadline, or answered after it."""
    if feedback.answered_on is not None:
        return feedback.answered_late
    return (today or timezone.localdate()) > feedback.answer_due
