"""The dossier page's presenter: what ``templates/dossiers/detail.html`` shows of a dossier and
the actions the user may take on it now (``dossiers.core``, D17), each with its form, the
sentence the confirmation says and its button's words. Only layout: who may do what is the
core's, the forms are the views' (``dossiers.views.processing``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers import core, reference, workflow
from dossiers.models import Dossier, DossierStep, Unit
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from dossiers.templatetags.onecua import deadline_label
from dossiers.workflow import Action, DossierState

S = DossierState

#: the counter's one-sitting "4 tại chỗ" (receive, appraise, approve and return at the desk):
#: the core's approval from the counter, then the return
ON_THE_SPOT = "on-the-spot"
#: actions shown as dangerous (red button)
DANGER = (Action.REFUSE, Action.WITHDRAW, Action.REJECT, Action.STOP)


@dataclass
class PageAction:
    name: str
    label: str
    confirm: str
    form: object
    is_open: bool = False
    danger: bool = False
    button: str = ""


def current_or_next_step(steps: list[DossierStep]) -> DossierStep | None:
    processing = [s for s in steps if s.kind == DossierStep.Kind.PROCESSING]
    return next((s for s in processing if s.state == DossierStep.State.CURRENT), None) or next(
        (s for s in processing if s.state == DossierStep.State.WAITING), None
    )


def available_actions(dossier: Dossier, user, steps: list[DossierStep]) -> list[str]:
    """What the user may do now (``dossiers.core``, D17); "4 tại chỗ" is the counter's approval
    and return in one sitting."""
    case = lifecycle.case_of(dossier, steps=steps)
    names = core.actions_available(case, lifecycle.actor_of(user))
    if Action.APPROVE in names and dossier.state == S.RECEIVED:
        names[names.index(Action.APPROVE)] = ON_THE_SPOT
    return names


def confirm_text(action: str, dossier: Dossier, steps: list[DossierStep], *, returns_to: Unit) -> tuple[str, str]:
    """(what will happen, the button's words) for an action on this dossier; `returns_to`: where
    the result goes back (:func:`return_unit`)."""
    code = dossier.code
    due = f"{dossier.due_date:%d/%m/%Y}" if dossier.due_date else "—"
    step = current_or_next_step(steps)
    if action == Action.TRANSFER:
        current = next((s for s in steps if s.kind == DossierStep.Kind.PROCESSING and s.state == DossierStep.State.CURRENT), None)
        target = next((s for s in steps if s.kind == DossierStep.Kind.PROCESSING and s.state == DossierStep.State.WAITING
                       and (current is None or s.order > current.order)), None)
        if dossier.state == S.RECEIVED:
            return (_("Chuyển hồ sơ cho %(unit)s (bước “%(step)s”) để giải quyết?") % {"unit": target.unit.name, "step": target.name},
                    _("Chuyển xử lý"))
        return (_("Hoàn thành bước này và chuyển hồ sơ sang %(unit)s (bước “%(step)s”)?") % {"unit": target.unit.name, "step": target.name},
                _("Chuyển hồ sơ"))
    texts = {
        Action.ACCEPT: (_("Tiếp nhận hồ sơ %(code)s? Thời hạn giải quyết bắt đầu tính từ lúc này.") % {"code": code}, _("Tiếp nhận")),
        Action.REJECT: (_("Không tiếp nhận hồ sơ %(code)s? Người nộp được thông báo lý do; hồ sơ không được tính.") % {"code": code}, _("Không tiếp nhận")),
        Action.ASSIGN: (_("Giao hồ sơ cho chuyên viên của %(unit)s xử lý?") % {"unit": (step.unit.name if step else dossier.current_unit.name)}, _("Giao xử lý")),
        Action.SEND_BACK: (_("Trả hồ sơ về bước trước để xử lý lại? Ghi rõ lý do."), _("Trả lại bước trước")),
        Action.SKIP_STEP: (_("Đánh dấu bước không cần thực hiện? Bước được ghi là bỏ qua, không đánh giá đúng hạn."), _("Bỏ qua bước")),
        Action.REQUEST_SUPPLEMENT: (_("Trả hồ sơ để người nộp bổ sung? Thời hạn tạm dừng đến khi nhận đủ bổ sung; sau khi lưu, in Phiếu yêu cầu bổ sung (Mẫu 02).") , _("Yêu cầu bổ sung")),
        Action.RESUME: (_("Đã nhận đủ hồ sơ bổ sung? Thời hạn tiếp tục tính và ngày hẹn trả lùi tương ứng (hiện là %(due)s).") % {"due": due}, _("Nhận bổ sung")),
        Action.APPROVE: (_("Phê duyệt kết quả hồ sơ %(code)s? Kết quả chuyển về %(unit)s chờ trả cho người nộp.") % {"code": code, "unit": returns_to.name}, _("Phê duyệt")),
        Action.REFUSE: (_("Từ chối giải quyết hồ sơ %(code)s? Hồ sơ kết thúc; văn bản từ chối được trả cho người nộp.") % {"code": code}, _("Từ chối giải quyết")),
        Action.STOP: (_("Dừng giải quyết hồ sơ %(code)s? Hồ sơ kết thúc; Thông báo dừng giải quyết (Mẫu 05) được trả cho người nộp.") % {"code": code}, _("Dừng giải quyết")),
        Action.APOLOGIZE: (_("Lập Văn bản xin lỗi và đề nghị gia hạn (Mẫu 04)? Chỉ được hẹn lại một lần, vào một ngày làm việc; hồ sơ vẫn tính trễ hạn theo ngày hẹn %(due)s.") % {"due": due}, _("Lập văn bản xin lỗi")),
        Action.RETURN_RESULT: (_("Trả kết quả hồ sơ %(code)s cho %(name)s?") % {"code": code, "name": dossier.applicant_name}, _("Trả kết quả")),
        Action.WITHDRAW: (_("Rút hồ sơ %(code)s theo đề nghị của người nộp? Hồ sơ kết thúc.") % {"code": code}, _("Rút hồ sơ")),
        ON_THE_SPOT: (_("Giải quyết tại chỗ: phê duyệt và trả kết quả hồ sơ %(code)s ngay bây giờ?") % {"code": code}, _("Giải quyết tại chỗ")),
    }
    return texts[action]


def action_label(action: str, dossier: Dossier | None = None) -> str:
    if action == ON_THE_SPOT:
        return _("Giải quyết tại chỗ")
    return workflow.action_label(action, from_state=dossier.state if dossier is not None else "")


def detail_page(dossier: Dossier, user, *, make_form: Callable, bound: tuple[str, object] | None = None) -> tuple[dict, list]:
    """The page's context (without the other apps' panels) and the errors of a bound form whose
    action is no longer on offer (e.g. a transfer at the last step), for the view to say anyway.
    ``make_form(action, data, dossier, user, steps)`` builds an action's unbound form."""
    steps = list(dossier.steps.select_related("unit", "assigned_to").order_by("order"))
    events = list(dossier.events.select_related("unit", "to_unit").order_by("at", "id"))
    pauses = list(dossier.pauses.select_related("requested_by", "completed_by").order_by("requested_at"))
    # Assignments record the officer's username: show their name.
    usernames = {e.data.get("officer") for e in events if isinstance(e.data, dict) and e.data.get("officer")}
    if usernames:
        names = {
            u.username: (u.get_full_name() or u.username)
            for u in get_user_model().objects.filter(username__in=usernames).only("username", "first_name", "last_name")
        }
        for e in events:
            if isinstance(e.data, dict) and e.data.get("officer"):
                e.officer_name = names.get(e.data["officer"], e.data["officer"])
    returns_to = return_unit(dossier, events)
    actions = []
    for name in available_actions(dossier, user, steps):
        if bound and bound[0] == name:
            form, is_open = bound[1], True
        else:
            form, is_open = make_form(name, None, dossier, user, steps), False
        confirm, button = confirm_text(name, dossier, steps, returns_to=returns_to)
        actions.append(PageAction(
            name=name, label=action_label(name, dossier), confirm=confirm, form=form, is_open=is_open, button=button,
            danger=name in DANGER,
        ))
    lost_errors = []
    if bound and bound[0] not in {a.name for a in actions}:
        lost_errors = list(bound[1].non_field_errors())
    dossier.deadline = deadline_label(dossier, timezone.localdate(), calendar_get(), now=timezone.now())
    coordinating = []
    for s in steps:
        if s.kind == DossierStep.Kind.PROCESSING and s.unit_id != dossier.resolving_unit_id and s.unit not in coordinating:
            coordinating.append(s.unit)
    return {
        "dossier": dossier, "steps": steps, "events": events, "pauses": pauses, "actions": actions,
        "coordinating": coordinating, "title": dossier.code, "return_unit": returns_to,
    }, lost_errors


def return_unit(dossier: Dossier, events: list) -> Unit:
    """Where the result goes back to the applicant: the counter that returned it, else the
    receiving counter, or its successor once a reorganisation ended it (D20)."""
    returned = next((e for e in reversed(events) if e.action == Action.RETURN_RESULT and e.unit_id), None)
    if returned is not None:
        return returned.unit
    chain = core.successor_chain(dossier.receiving_unit_id, reference.unit_successors())
    return dossier.receiving_unit if chain[-1] == dossier.receiving_unit_id else Unit.objects.get(pk=chain[-1])
