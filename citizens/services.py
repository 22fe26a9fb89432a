"""Writes of the citizen side: lookup verification, satisfaction evaluation, feedback.

Rules:
- A citizen proves they hold a dossier with its code plus the last four digits of the
  applicant's phone number or CCCD (``dossier_verify``). Wrong code and wrong digits answer the
  same; the digits are compared in constant time.
- One evaluation per dossier (domain.md §5: nine criteria, 0–2 points each), only once the
  result has been handed back (``Dossier.returned_at`` set). The database's unique constraint
  is the last word when two submits race.
- Feedback (phản ánh, kiến nghị) is answered by the resolving unit's supervisors by
  ``answer_due`` (``FEEDBACK_ANSWER_WORKING_DAYS`` working days, the project's calendar), once.
"""
from __future__ import annotations

import hmac
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Evaluation, Feedback
from citizens.selectors import dossier_by_code
from citizens.scoring import CRITERIA_COUNT, MAX_POINTS_PER_CRITERION, band_for
from dossiers.models import Dossier
from dossiers.selectors import calendar_get

#: Working days a supervisor has to answer a citizen's feedback, counted from the day after it
#: was sent (the project's working-day calendar: holidays, nghỉ bù, make-up Saturdays).
#: Nghị định 20/2008/NĐ-CP (14/02/2008) on receiving and handling phản ánh, kiến nghị of
#: individuals and organisations sets the handling deadlines; the exact article and count are
#: [U] (domain.md convention: confirm against the official text). A province changes it here.
FEEDBACK_ANSWER_WORKING_DAYS = 10

#: Digits the citizen types: the last four of the applicant's phone number or CCCD.
VERIFY_DIGITS = 4

MSG_NOT_RETURNED = _("Hồ sơ chưa trả kết quả nên chưa thể đánh giá.")
MSG_ALREADY_EVALUATED = _("Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần. Cảm ơn bạn!")
MSG_POINTS_COUNT = _("Vui lòng chấm đủ 9 tiêu chí.")
MSG_POINT_CHOICE = _("Vui lòng chọn 0, 1 hoặc 2 điểm.")
MSG_SOURCE = _("Nơi đánh giá không hợp lệ.")
MSG_COMMENT_LONG = _("Ý kiến không được dài quá {n} ký tự.")
MSG_KIND = _("Vui lòng chọn phản ánh hoặc kiến nghị.")
MSG_CONTENT_REQUIRED = _("Vui lòng nhập nội dung phản ánh, kiến nghị.")
MSG_CONTENT_LONG = _("Nội dung không được dài quá {n} ký tự.")
MSG_ANSWER_REQUIRED = _("Vui lòng nhập nội dung trả lời.")
MSG_ANSWER_LONG = _("Nội dung trả lời không được dài quá {n} ký tự.")
MSG_ALREADY_ANSWERED = _("Phản ánh, kiến nghị này đã được trả lời.")

# A value no input can equal (inputs are four ASCII digits): used when a dossier has no phone
# or CCCD, or the code is unknown, so that every path runs the same comparisons.
_NEVER = "\x00" * VERIFY_DIGITS


def _now() -> datetime:
    return timezone.now()


def _digits(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def _last_digits(text: str) -> str:
    d = _digits(text)
    return d[-VERIFY_DIGITS:] if len(d) >= VERIFY_DIGITS else _NEVER


def dossier_verify(*, code: str, digits: str) -> Dossier | None:
    """The dossier if `digits` are the last four of its applicant's phone or CCCD, else None.

    An unknown code and wrong digits take the same path (two constant-time comparisons) and
    give the same answer, so that the lookup reveals nothing about which codes exist.
    """
    dossier = dossier_by_code(code=code)
    phone_tail = _last_digits(dossier.applicant_phone) if dossier else _NEVER
    id_tail = _last_digits(dossier.applicant_id_number) if dossier else _NEVER
    given = digits if len(digits) == VERIFY_DIGITS and digits.isdigit() else "\x01" * VERIFY_DIGITS
    # Both comparisons always run (no short-circuit): `|` on bools.
    ok = hmac.compare_digest(given.encode(), phone_tail.encode()) | hmac.compare_digest(given.encode(), id_tail.encode())
    return dossier if ok and dossier is not None else None


# --- evaluation ------------------------------------------------------------------------------


def _officer_of(dossier: Dossier):
    """Who handled the dossier: its assigned officer, else the last step's assignee."""
    if dossier.assigned_to_id:
        return dossier.assigned_to
    step = dossier.steps.filter(assigned_to__isnull=False).order_by("-order").select_related("assigned_to").first()
    return step.assigned_to if step else None


def evaluation_submit(
    *, dossier: Dossier, points: list[int], comment: str = "", source: str, at: datetime | None = None
) -> Evaluation:
    """Record the citizen's evaluation of a returned dossier by the nine criteria (domain.md §5).

    ``points`` holds the nine scores in the order of ``citizens.scoring.CRITERIA``. The
    evaluation is counted under the dossier's resolving unit and its officer. Raises
    ``ValidationError`` keyed by field (``dossier``, ``c1``…``c9``, ``points``, ``comment``,
    ``source``); a second evaluation of the same dossier, even a concurrent one, is refused
    with the ``dossier`` key and nothing is written.
    """
    errors: dict[str, list[str]] = {}
    if dossier.returned_at is None:
        errors["dossier"] = [MSG_NOT_RETURNED]
    if source not in Evaluation.Source.values:
        errors["source"] = [MSG_SOURCE]
    comment = (comment or "").strip()
    max_comment = Evaluation._meta.get_field("comment").max_length
    if len(comment) > max_comment:
        errors["comment"] = [str(MSG_COMMENT_LONG).format(n=max_comment)]
    points = list(points or [])
    if len(points) != CRITERIA_COUNT:
        errors["points"] = [MSG_POINTS_COUNT]
    else:
        for i, p in enumerate(points, start=1):
            if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= MAX_POINTS_PER_CRITERION:
                errors[f"c{i}"] = [MSG_POINT_CHOICE]
    if errors:
        raise ValidationError(errors)
    if Evaluation.objects.filter(dossier=dossier).exists():
        raise ValidationError({"dossier": [MSG_ALREADY_EVALUATED]})

    at = at or _now()
    total = sum(points)
    evaluation = Evaluation(
        dossier=dossier,
        **{f"c{i}": p for i, p in enumerate(points, start=1)},
        total=total,
        band=band_for(total),
        comment=comment,
        source=source,
        submitted_at=at,
        submitted_on=timezone.localdate(at),
        unit_id=dossier.resolving_unit_id,
        officer=_officer_of(dossier),
    )
    try:
        # A savepoint: a concurrent submit that won the race leaves this transaction usable.
        with transaction.atomic():
            evaluation.save(force_insert=True)
    except IntegrityError as exc:
        if Evaluation.objects.filter(dossier=dossier).exists():
            raise ValidationError({"dossier": [MSG_ALREADY_EVALUATED]}) from exc
        raise
    return evaluation


# --- feedback --------------------------------------------------------------------------------


def feedback_answer_due(*, submitted_on):
    """The last day to answer feedback sent on `submitted_on` (that day itself not counted)."""
    return calendar_get().add_working_days(submitted_on, FEEDBACK_ANSWER_WORKING_DAYS)


def feedback_submit(*, dossier: Dossier, kind: str, content: str, at: datetime | None = None) -> Feedback:
    """A citizen's phản ánh or kiến nghị about a dossier, for its resolving unit to answer."""
    errors: dict[str, list[str]] = {}
    if kind not in Feedback.Kind.values:
        errors["kind"] = [MSG_KIND]
    content = (content or "").strip()
    max_content = Feedback._meta.get_field("content").max_length
    if not content:
        errors["content"] = [MSG_CONTENT_REQUIRED]
    elif len(content) > max_content:
        errors["content"] = [str(MSG_CONTENT_LONG).format(n=max_content)]
    if errors:
        raise ValidationError(errors)
    at = at or _now()
    submitted_on = timezone.localdate(at)
    return Feedback.objects.create(
        dossier=dossier,
        kind=kind,
        content=content,
        submitted_at=at,
        submitted_on=submitted_on,
        answer_due=feedback_answer_due(submitted_on=submitted_on),
        unit_id=dossier.resolving_unit_id,
    )


def feedback_answer(*, feedback: Feedback, answer: str, actor, at: datetime | None = None) -> Feedback:
    """The supervisor's answer, shown to the citizen on the lookup page; once only.

    The caller has checked that `actor` may answer for the feedback's unit. The row is locked
    so that two supervisors answering at once cannot both succeed.
    """
    answer = (answer or "").strip()
    max_answer = Feedback._meta.get_field("answer").max_length
    if not answer:
        raise ValidationError({"answer": [MSG_ANSWER_REQUIRED]})
    if len(answer) > max_answer:
        raise ValidationError({"answer": [str(MSG_ANSWER_LONG).format(n=max_answer)]})
    at = at or _now()
    with transaction.atomic():
        locked = Feedback.objects.select_for_update().get(pk=feedback.pk)
        if locked.state != Feedback.State.OPEN:
            raise ValidationError({"answer": [MSG_ALREADY_ANSWERED]})
        locked.state = Feedback.State.ANSWERED
        locked.answer = answer
        locked.answered_at = at
        locked.answered_on = timezone.localdate(at)
        locked.answered_by = actor
        locked.save(update_fields=["state", "answer", "answered_at", "answered_on", "answered_by"])
    for name in ("state", "answer", "answered_at", "answered_on", "answered_by_id"):
        setattr(feedback, name, getattr(locked, name))
    return feedback
