"""The workflow tables drive the services: generated from ACTION_TRANSITIONS × DossierState.

For every (state, action) pair: when ``action_allowed`` says yes the service succeeds and the
dossier lands in the action's target state (or stays, for the apology) with one new event;
otherwise the service raises ConflictError and the dossier is untouched (state, version,
events).
"""
from collections import deque
from datetime import date

import pytest

from dossiers.errors import ConflictError
from dossiers.models import Dossier
from dossiers.services import lifecycle as svc
from dossiers.workflow import (
    ACTION_TRANSITIONS,
    ALLOWED_TRANSITIONS,
    FINAL_STATES,
    OPEN_STATES,
    Action,
    DossierState,
    action_allowed,
    actions_available,
    can_transition,
)
from tests.dossiers.lifecycle_fixtures import org, procedures, staff  # noqa: F401 (fixtures)
from tests.dossiers.lifecycle_fixtures import at, register

S = DossierState
RECEIVED_AT = at(2022, 3, 1, 9)  # Tue; the liên thông procedure is due Tue 15/3/2022
ACT_AT = at(2022, 3, 2, 10)


#: where an IN_PROCESSING dossier of the three-step liên thông procedure must be for an action's
#: own preconditions (dossiers.core) to hold: step 3 is the lead unit's final step
_STEP_FOR = {Action.APPROVE: 3, Action.STOP: 3, Action.SEND_BACK: 2}


def _in_state(state: str, procedures, org, action: str) -> Dossier:
    """A dossier brought into `state` through the services themselves (as the system: who may
    act is tests/dossiers/test_core.py's subject), at a position where `action`'s own
    preconditions hold."""
    proc = procedures["lien_thong"]  # three processing steps, the last at the lead unit
    if state in (S.SUBMITTED, S.REJECTED):
        d = register(proc, org, received_at=RECEIVED_AT, channel="online", submit_only=True)
        if state == S.REJECTED:
            d = svc.dossier_reject(dossier=d, actor=None, reason="Hồ sơ không đúng thẩm quyền", at=RECEIVED_AT)
        return d
    if state == S.RECEIVED and action == Action.APPROVE:  # from the counter: "4 tại chỗ" only
        return register(procedures["same_day"], org, received_at=RECEIVED_AT, on_the_spot=True)
    d = register(proc, org, received_at=RECEIVED_AT)
    if state != S.RECEIVED and state != S.WITHDRAWN:
        d = svc.dossier_transfer(dossier=d, actor=None, at=RECEIVED_AT)  # the counter's hand-over
    if state == S.IN_PROCESSING:
        for _ in range(_STEP_FOR.get(action, 1) - 1):
            d = svc.dossier_transfer(dossier=d, actor=None, at=RECEIVED_AT)
    elif state == S.AWAITING_SUPPLEMENT:
        d = svc.dossier_request_supplement(dossier=d, actor=None, reason="Thiếu bản vẽ", at=RECEIVED_AT)
    elif state in (S.APPROVED, S.RETURNED, S.STOPPED):
        d = svc.dossier_transfer(dossier=d, actor=None, at=RECEIVED_AT)
        d = svc.dossier_transfer(dossier=d, actor=None, at=RECEIVED_AT)
        if state == S.STOPPED:
            d = svc.dossier_stop(dossier=d, actor=None, reason="Không bổ sung trong thời hạn", at=RECEIVED_AT)
        else:
            d = svc.dossier_approve(dossier=d, actor=None, at=RECEIVED_AT)
        if state == S.RETURNED:
            d = svc.dossier_return_result(dossier=d, actor=None, at=RECEIVED_AT)
    elif state == S.REFUSED:
        d = svc.dossier_refuse(dossier=d, actor=None, reason="Không đủ điều kiện", at=RECEIVED_AT)
    elif state == S.WITHDRAWN:
        d = svc.dossier_withdraw(dossier=d, actor=None, reason="Người nộp rút", at=RECEIVED_AT)
    assert Dossier.objects.get(pk=d.pk).state == state  # the setup itself is checked
    return d


def _perform(action: str, d: Dossier, staff) -> Dossier:
    """Call the service of `action` with valid arguments."""
    user = None
    officer = staff["builder"]
    calls = {
        Action.ACCEPT: lambda: svc.dossier_accept(dossier=d, actor=user, at=ACT_AT),
        Action.REJECT: lambda: svc.dossier_reject(dossier=d, actor=user, reason="Không đúng thẩm quyền", at=ACT_AT),
        Action.ASSIGN: lambda: svc.dossier_assign(dossier=d, actor=user, officer=officer, at=ACT_AT),
        Action.TRANSFER: lambda: svc.dossier_transfer(dossier=d, actor=user, at=ACT_AT),
        Action.SEND_BACK: lambda: svc.dossier_send_back(dossier=d, actor=user, reason="Thiếu ý kiến", at=ACT_AT),
        Action.SKIP_STEP: lambda: svc.dossier_skip_step(dossier=d, actor=user, step=2, reason="Không cần", at=ACT_AT),
        Action.REQUEST_SUPPLEMENT: lambda: svc.dossier_request_supplement(dossier=d, actor=user, reason="Thiếu giấy tờ", at=ACT_AT),
        Action.RESUME: lambda: svc.dossier_resume(dossier=d, actor=user, at=ACT_AT),
        Action.APPROVE: lambda: svc.dossier_approve(dossier=d, actor=user, at=ACT_AT),
        Action.REFUSE: lambda: svc.dossier_refuse(dossier=d, actor=user, reason="Không đủ điều kiện", at=ACT_AT),
        Action.STOP: lambda: svc.dossier_stop(dossier=d, actor=user, reason="Không bổ sung", at=ACT_AT),
        Action.APOLOGIZE: lambda: svc.dossier_apologize(
            dossier=d, actor=user, new_date=date(2022, 3, 25), reason="Chờ ý kiến phối hợp", at=ACT_AT),
        Action.RETURN_RESULT: lambda: svc.dossier_return_result(dossier=d, actor=user, at=ACT_AT),
        Action.WITHDRAW: lambda: svc.dossier_withdraw(dossier=d, actor=user, reason="Người nộp rút", at=ACT_AT),
    }
    assert set(calls) == set(Action), "every action needs a call here"
    return calls[action]()


PAIRS = [(state, action) for state in S.values for action in Action.values]


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_action_follows_the_tables(state, action, procedures, org, staff):
    """Allowed → the service lands in the table's target with one new event; forbidden →
    ConflictError and nothing changes."""
    d = _in_state(state, procedures, org, action)
    before = Dossier.objects.get(pk=d.pk)
    events_before = list(before.events.order_by("id").values_list("id", "action"))
    target = ACTION_TRANSITIONS[action][1] or state

    if action_allowed(action, state):
        _perform(action, d, staff)
        after = Dossier.objects.get(pk=d.pk)
        assert after.state == target
        assert after.version == before.version + 1
        events = list(after.events.order_by("id"))
        assert [(e.id, e.action) for e in events[:-1]] == events_before
        assert (events[-1].action, events[-1].from_state, events[-1].to_state) == (action, state, target)
    else:
        with pytest.raises(ConflictError):
            _perform(action, d, staff)
        after = Dossier.objects.get(pk=d.pk)
        assert (after.state, after.version) == (before.state, before.version)
        assert list(after.events.order_by("id").values_list("id", "action")) == events_before


def test_every_action_target_is_an_allowed_transition():
    """ACTION_TRANSITIONS ⊆ ALLOWED_TRANSITIONS: each (source, target) of an action is an edge."""
    for action, (sources, target) in ACTION_TRANSITIONS.items():
        assert sources, action
        for source in sources:
            if target is not None:
                assert target in ALLOWED_TRANSITIONS[source], (action, source, target)
                assert can_transition(source, target)
            assert action_allowed(action, source), (action, source)


def test_actions_available_lists_exactly_the_allowed_actions():
    """actions_available(state) is the set of actions whose source states include the state."""
    for state in S.values:
        expected = {a for a, (sources, _t) in ACTION_TRANSITIONS.items() if state in sources}
        assert set(actions_available(state)) == expected, state


def _reachable(edges: dict[str, set[str]], start: set[str]) -> set[str]:
    seen, queue = set(start), deque(start)
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def test_every_state_is_reachable_from_submitted_or_received():
    """Through the transition table, and through the actions users can actually take."""
    start = {S.SUBMITTED, S.RECEIVED}
    assert _reachable({s: set(t) for s, t in ALLOWED_TRANSITIONS.items()}, start) == set(S.values)
    by_action: dict[str, set[str]] = {}
    for sources, target in ACTION_TRANSITIONS.values():
        for source in sources:
            by_action.setdefault(source, set()).add(target or source)
    assert _reachable(by_action, start) == set(S.values)


def test_final_states_have_no_way_out_and_open_states_do():
    """Returned, withdrawn and rejected end a dossier; every open state can still be resolved."""
    assert FINAL_STATES == {S.RETURNED, S.WITHDRAWN, S.REJECTED}
    for state in FINAL_STATES:
        assert actions_available(state) == []
    for state in OPEN_STATES:
        assert Action.WITHDRAW in actions_available(state)
