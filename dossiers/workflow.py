"""The dossier workflow as one table (domain.md §3, NĐ 61/2018 as amended by NĐ 107/2021).

States and the transitions allowed between them, and the states each action starts from. Pure:
no project imports. Who may take an action, and what it needs beyond the state, is
``dossiers.core``; every transition goes through ``dossiers.services.lifecycle.dossier_transition``.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class DossierState(models.TextChoices):
    SUBMITTED = "submitted", _("Chờ tiếp nhận")              # online, not yet accepted
    RECEIVED = "received", _("Đã tiếp nhận")                 # Mẫu 01 printed, clock started
    IN_PROCESSING = "in_processing", _("Đang xử lý")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("Chờ bổ sung")  # clock paused (D7)
    APPROVED = "approved", _("Chờ trả kết quả")              # result ready at the counter (D9)
    RETURNED = "returned", _("Đã trả kết quả")
    REFUSED = "refused", _("Từ chối giải quyết")             # refused in writing after processing (D9)
    WITHDRAWN = "withdrawn", _("Đã rút hồ sơ")               # applicant withdrew (D9)
    STOPPED = "stopped", _("Dừng giải quyết")                # the lead unit stopped it (D16, Mẫu 05)
    REJECTED = "rejected", _("Không tiếp nhận")              # online submission not accepted (D10)


S = DossierState

#: from-state -> states it may move to
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.RECEIVED, S.REJECTED}),
    # At the counter: handed over to processing; "4 tại chỗ" is approved in the same sitting.
    S.RECEIVED: frozenset({S.IN_PROCESSING, S.APPROVED, S.REFUSED, S.WITHDRAWN}),
    # Step hand-offs (transfer, send-back) stay in IN_PROCESSING: events, not state changes.
    S.IN_PROCESSING: frozenset({S.IN_PROCESSING, S.AWAITING_SUPPLEMENT, S.APPROVED, S.REFUSED, S.STOPPED, S.WITHDRAWN}),
    # The applicant completes the supplement (resume) or gives up (withdraw); the lead unit may
    # refuse, or stop a dossier whose supplement never came (D16).
    S.AWAITING_SUPPLEMENT: frozenset({S.IN_PROCESSING, S.REFUSED, S.STOPPED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.RETURNED}),
    # The refusal letter and the notice of stopping are handed back like a result.
    S.REFUSED: frozenset({S.RETURNED}),
    S.STOPPED: frozenset({S.RETURNED}),
    S.RETURNED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.REJECTED: frozenset(),
}

#: states in which the legal clock runs or is paused: the dossier is "in progress"
OPEN_STATES = frozenset({S.RECEIVED, S.IN_PROCESSING, S.AWAITING_SUPPLEMENT})
#: states reached by resolution (D9): counted as resolved, classified early / on time / late
RESOLVED_STATES = frozenset({S.APPROVED, S.RETURNED, S.REFUSED, S.STOPPED, S.WITHDRAWN})
#: states that end the dossier with nothing left to do
FINAL_STATES = frozenset(s for s, targets in ALLOWED_TRANSITIONS.items() if not targets)


class InvalidTransition(Exception):
    def __init__(self, from_state: str, to_state: str):
        super().__init__(f"{from_state} -> {to_state}")
        self.from_state = from_state
        self.to_state = to_state


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in ALLOWED_TRANSITIONS.get(from_state, frozenset())


class Action(models.TextChoices):
    """Workflow actions as users name them; each maps to one service and API endpoint."""

    ACCEPT = "accept", _("Tiếp nhận hồ sơ trực tuyến")
    REJECT = "reject", _("Không tiếp nhận")
    ASSIGN = "assign", _("Phân công xử lý")
    TRANSFER = "transfer", _("Hoàn thành bước và chuyển tiếp")
    SEND_BACK = "send-back", _("Trả lại bước trước")
    SKIP_STEP = "skip-step", _("Bước không cần thực hiện")
    REQUEST_SUPPLEMENT = "request-supplement", _("Yêu cầu bổ sung")
    RESUME = "resume", _("Nhận hồ sơ bổ sung")
    APPROVE = "approve", _("Phê duyệt kết quả")
    REFUSE = "refuse", _("Từ chối giải quyết")
    STOP = "stop", _("Dừng giải quyết hồ sơ")
    APOLOGIZE = "apologize", _("Xin lỗi, hẹn lại ngày trả")
    RETURN_RESULT = "return-result", _("Trả kết quả")
    WITHDRAW = "withdraw", _("Rút hồ sơ")


#: the counter's hand-over (D18, ``transfer`` from ``received``), named as the counter says it
HANDOVER_LABEL = _("Chuyển xử lý")


def action_label(action: str, *, from_state: str = "") -> str:
    """How staff name an action taken from `from_state` (buttons, the history): the counter's
    hand-over is "Chuyển xử lý", a step's transfer "Hoàn thành bước và chuyển tiếp"."""
    if action == Action.TRANSFER and from_state == S.RECEIVED:
        return HANDOVER_LABEL
    return Action(action).label


#: action -> (states it may start from, state it leads to; None = the state does not change).
#: Every target must be allowed by ALLOWED_TRANSITIONS (a test walks both tables).
ACTION_TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    Action.ACCEPT: (frozenset({S.SUBMITTED}), S.RECEIVED),
    Action.REJECT: (frozenset({S.SUBMITTED}), S.REJECTED),
    Action.ASSIGN: (frozenset({S.IN_PROCESSING}), None),
    # from the counter: the hand-over (D18); at a step: completed, on to the next one
    Action.TRANSFER: (frozenset({S.RECEIVED, S.IN_PROCESSING}), S.IN_PROCESSING),
    Action.SEND_BACK: (frozenset({S.IN_PROCESSING}), None),
    Action.SKIP_STEP: (frozenset({S.RECEIVED, S.IN_PROCESSING}), None),
    Action.REQUEST_SUPPLEMENT: (frozenset({S.IN_PROCESSING}), S.AWAITING_SUPPLEMENT),
    Action.RESUME: (frozenset({S.AWAITING_SUPPLEMENT}), S.IN_PROCESSING),
    # at the lead unit's final step; from the counter only "4 tại chỗ" (dossiers.core)
    Action.APPROVE: (frozenset({S.RECEIVED, S.IN_PROCESSING}), S.APPROVED),
    Action.REFUSE: (frozenset({S.RECEIVED, S.IN_PROCESSING, S.AWAITING_SUPPLEMENT}), S.REFUSED),
    Action.STOP: (frozenset({S.IN_PROCESSING, S.AWAITING_SUPPLEMENT}), S.STOPPED),
    # The apology (Mẫu 04) is a letter, not a state: the dossier stays where it is.
    Action.APOLOGIZE: (OPEN_STATES, None),
    Action.RETURN_RESULT: (frozenset({S.APPROVED, S.REFUSED, S.STOPPED}), S.RETURNED),
    Action.WITHDRAW: (OPEN_STATES, S.WITHDRAWN),
}


def action_allowed(action: str, state: str) -> bool:
    sources, target = ACTION_TRANSITIONS[action]
    return state in sources and (target is None or target == state or can_transition(state, target))


def actions_available(state: str) -> list[str]:
    return [a for a in ACTION_TRANSITIONS if action_allowed(a, state)]
