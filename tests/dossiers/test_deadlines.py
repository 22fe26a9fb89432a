"""One deadline label rule (``dossiers.deadlines``), the same on every page, in the API and in the
dashboard's SQL buckets (issue 13: an hours-deadline dossier whose ``due_at`` has passed on its
due day is "Quá hạn" everywhere, the worklist included).

The pure rule is tested on a table of written-out cases and with hypothesis properties; then a set
of dossiers placed around today is read through the SQL buckets, the pages and the API, each
compared with the written-out expectation and with the pure function.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from dossiers import calendar as wcal
from dossiers.deadlines import DeadlineKey, DeadlineStatus, deadline_status, dossier_deadline_status
from dossiers.models import Dossier
from dossiers.selectors import calendar_get, dossiers_overdue
from dossiers.workflow import DossierState
from monitoring import selectors as msel
from tests.dossiers.lifecycle_fixtures import org, procedures  # noqa: F401 (fixtures)
from tests.dossiers.lifecycle_fixtures import register

S = DossierState
K = DeadlineKey
TZ = wcal.LOCAL_TZ
HOURS, DAYS = "working_hours", "working_days"


def local(y, m, d, hh=9, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


# --- the pure rule: written-out cases -------------------------------------------------------------

# Today is Tuesday 01/03/2022 at 14:00; the next working day is Wednesday 02/03/2022.
T, NOW, N = date(2022, 3, 1), local(2022, 3, 1, 14), date(2022, 3, 2)

CASES = [
    # (case, state, classification, due_date, due_at, time_unit, paused_on, expected)
    ("due in a week", S.IN_PROCESSING, "", date(2022, 3, 8), None, DAYS, None, DeadlineStatus(K.WITHIN)),
    ("due Thursday, two working days", S.RECEIVED, "", date(2022, 3, 3), None, DAYS, None, DeadlineStatus(K.WITHIN)),
    ("due Wednesday, the next working day", S.RECEIVED, "", N, None, DAYS, None, DeadlineStatus(K.SOON)),
    ("due today, day deadline, after 17:00 too", S.IN_PROCESSING, "", T, local(2022, 3, 1, 17), DAYS, None,
     DeadlineStatus(K.SOON)),
    ("due yesterday", S.IN_PROCESSING, "", date(2022, 2, 28), None, DAYS, None, DeadlineStatus(K.OVERDUE, True)),
    ("hours, due_at 11:00 today, now 14:00", S.RECEIVED, "", T, local(2022, 3, 1, 11), HOURS, None,
     DeadlineStatus(K.OVERDUE, True)),
    ("hours, due_at 16:00 today, now 14:00", S.RECEIVED, "", T, local(2022, 3, 1, 16), HOURS, None,
     DeadlineStatus(K.SOON)),
    ("hours, due_at exactly now", S.RECEIVED, "", T, NOW, HOURS, None, DeadlineStatus(K.SOON)),
    ("paused Monday, due Friday", S.AWAITING_SUPPLEMENT, "", date(2022, 3, 4), None, DAYS, date(2022, 2, 28),
     DeadlineStatus(K.PAUSED, False)),
    ("paused Monday, already due the Friday before", S.AWAITING_SUPPLEMENT, "", date(2022, 2, 25), None, DAYS,
     date(2022, 2, 28), DeadlineStatus(K.PAUSED, True)),
    ("paused on its due day (not overdue yet)", S.AWAITING_SUPPLEMENT, "", date(2022, 2, 28), None, DAYS,
     date(2022, 2, 28), DeadlineStatus(K.PAUSED, False)),
    ("hours deadline paused after its due_at: judged by the pause day", S.AWAITING_SUPPLEMENT, "", T,
     local(2022, 3, 1, 11), HOURS, T, DeadlineStatus(K.PAUSED, False)),
    ("approved early", S.APPROVED, "early", date(2022, 3, 8), None, DAYS, None, DeadlineStatus(K.EARLY)),
    ("returned late", S.RETURNED, "late", date(2022, 2, 1), None, DAYS, None, DeadlineStatus(K.LATE)),
    ("refused on time", S.REFUSED, "on_time", T, None, DAYS, None, DeadlineStatus(K.ON_TIME)),
    ("submitted online, no due date", S.SUBMITTED, "", None, None, DAYS, None, None),
    ("rejected online submission", S.REJECTED, "", None, None, DAYS, None, None),
]


@pytest.mark.parametrize("case, state, classification, due_date, due_at, unit, paused_on, expected", CASES,
                         ids=[c[0] for c in CASES])
def test_deadline_status_table(case, state, classification, due_date, due_at, unit, paused_on, expected):
    got = deadline_status(state=state, classification=classification, due_date=due_date, due_at=due_at,
                          time_unit=unit, paused_on=paused_on, today=T, now=NOW, next_working_day=N)
    assert got == expected


# --- the pure rule: properties --------------------------------------------------------------------

OPEN = [S.RECEIVED, S.IN_PROCESSING, S.AWAITING_SUPPLEMENT]
days = st.dates(min_value=date(2022, 1, 1), max_value=date(2022, 12, 31))


@st.composite
def open_dossiers(draw):
    """An open dossier with consistent facts: an hour deadline's ``due_at`` is on its due date;
    a dossier waiting for a supplement has a pause day on or before today."""
    today = draw(days)
    due_date = draw(st.dates(min_value=today - timedelta(days=30), max_value=today + timedelta(days=30)))
    unit = draw(st.sampled_from([DAYS, HOURS]))
    due_at = datetime.combine(due_date, draw(st.times(min_value=time(7), max_value=time(17))), tzinfo=TZ)
    now = datetime.combine(today, draw(st.times()), tzinfo=TZ)
    state = draw(st.sampled_from(OPEN))
    paused_on = None
    if state == S.AWAITING_SUPPLEMENT:
        paused_on = draw(st.dates(min_value=today - timedelta(days=40), max_value=today))
    gap = draw(st.integers(min_value=1, max_value=4))  # weekend and holidays
    return dict(state=state, due_date=due_date, due_at=due_at, time_unit=unit, paused_on=paused_on, today=today,
                now=now, next_working_day=today + timedelta(days=gap))


@given(open_dossiers())
def test_an_open_dossier_always_has_one_open_label(facts):
    status = deadline_status(**facts)
    assert status is not None and status.key in {K.WITHIN, K.SOON, K.OVERDUE, K.PAUSED}
    assert (status.key == K.PAUSED) == (facts["state"] == S.AWAITING_SUPPLEMENT)
    if status.key == K.OVERDUE:
        assert status.overdue
    if status.key in (K.WITHIN, K.SOON):
        assert not status.overdue


@given(open_dossiers())
def test_overdue_is_d12_by_date_plus_the_missed_hour_deadline(facts):
    """Independent statement of the rule: by date (a paused dossier at its pause day, D12), and
    a running hour deadline also at its instant (D9)."""
    status = deadline_status(**facts)
    judged_on = facts["paused_on"] or facts["today"]
    by_date = facts["due_date"] < judged_on
    hour_missed = (facts["paused_on"] is None and facts["time_unit"] == HOURS and facts["due_at"] < facts["now"])
    assert status.overdue == (by_date or hour_missed)


@given(open_dossiers(), st.integers(min_value=1, max_value=60))
def test_a_running_dossier_only_gets_more_urgent_as_days_pass(facts, later):
    """within → soon → overdue, never back, while the dossier is not paused."""
    if facts["state"] == S.AWAITING_SUPPLEMENT:
        facts = {**facts, "state": S.IN_PROCESSING, "paused_on": None}
    rank = {K.WITHIN: 0, K.SOON: 1, K.OVERDUE: 2}
    before = deadline_status(**facts)
    today = facts["today"] + timedelta(days=later)
    after = deadline_status(**{**facts, "today": today, "now": facts["now"] + timedelta(days=later),
                               "next_working_day": today + timedelta(days=1)})
    assert rank[after.key] >= rank[before.key]


@given(open_dossiers(), st.integers(min_value=0, max_value=60))
def test_a_paused_dossier_does_not_change_while_it_waits(facts, later):
    if facts["state"] != S.AWAITING_SUPPLEMENT:
        return
    today = facts["today"] + timedelta(days=later)
    assert deadline_status(**facts) == deadline_status(
        **{**facts, "today": today, "now": facts["now"] + timedelta(days=later), "next_working_day": today})


@settings(max_examples=50)
@given(st.sampled_from(["early", "on_time", "late"]), st.sampled_from([S.APPROVED, S.REFUSED, S.RETURNED,
                                                                     S.WITHDRAWN]), days)
def test_a_resolved_dossier_shows_its_classification_and_is_never_overdue(classification, state, due):
    status = deadline_status(state=state, classification=classification, due_date=due, today=T, now=NOW,
                             next_working_day=N)
    assert status == DeadlineStatus(DeadlineKey(classification), overdue=False)


# --- the same dossiers through SQL, the pages and the API ----------------------------------------


@pytest.fixture
def around_today(org, procedures):  # noqa: F811 (fixtures)
    """Dossiers placed around the present day T (pages read the real clock): name -> dossier."""
    now = timezone.now()
    today = timezone.localdate(now)
    cal = calendar_get()
    nxt = cal.next_working_day(today)
    start_of_today = datetime.combine(today, time.min, tzinfo=TZ)
    hour_due_passed = max(start_of_today, now - timedelta(minutes=5))  # earlier today
    hour_due_ahead = min(datetime.combine(today, time(23, 59), tzinfo=TZ), now + timedelta(hours=2))
    plans = {
        # name: (procedure, changes)
        "within": ("days5", dict(due_date=cal.add_working_days(today, 5))),
        "soon_today": ("days5", dict(due_date=today)),
        "soon_next": ("days5", dict(due_date=nxt)),
        "overdue": ("days5", dict(due_date=today - timedelta(days=3))),
        "hours_passed": ("hours4", dict(due_date=today, due_at=hour_due_passed)),
        "hours_ahead": ("hours4", dict(due_date=today, due_at=hour_due_ahead)),
        "paused": ("days5", dict(state=S.AWAITING_SUPPLEMENT, due_date=today + timedelta(days=9),
                                 paused_on=today - timedelta(days=1))),
        "paused_late": ("days5", dict(state=S.AWAITING_SUPPLEMENT, due_date=today - timedelta(days=6),
                                      paused_on=today - timedelta(days=1))),
        "resolved_late": ("days5", dict(state=S.APPROVED, due_date=today - timedelta(days=6), classification="late",
                                        resolved_at=now, resolved_on=today)),
    }
    made = {}
    for name, (proc, changes) in plans.items():
        # received today (the worklist lists today's intake), even just after midnight
        d = register(procedures[proc], org, received_at=max(start_of_today, now - timedelta(minutes=30)))
        if "due_at" not in changes:
            changes["due_at"] = datetime.combine(changes["due_date"], time(17), tzinfo=TZ)
        Dossier.objects.filter(pk=d.pk).update(**changes)
        d.refresh_from_db()
        made[name] = d
    return made


#: written out: which dossier is in which bucket of the dashboard
EXPECTED_BUCKETS = {
    "open": {"within", "soon_today", "soon_next", "overdue", "hours_passed", "hours_ahead", "paused", "paused_late"},
    "overdue": {"overdue", "hours_passed", "paused_late"},
    "due_soon": {"soon_today", "soon_next", "hours_ahead"},
    "due_today": {"soon_today", "hours_ahead"},
    "paused": {"paused", "paused_late"},
}
EXPECTED_KEYS = {
    "within": "within", "soon_today": "soon", "soon_next": "soon", "overdue": "overdue", "hours_passed": "overdue",
    "hours_ahead": "soon", "paused": "paused", "paused_late": "paused", "resolved_late": "late",
}


def _status_of(d: Dossier, clock: msel.Clock):
    return dossier_deadline_status(d, today=clock.today, now=clock.now, next_working_day=clock.next_working_day)


def test_sql_buckets_equal_the_pure_rule_on_the_same_dossiers(around_today):
    clock = msel.Clock.at()
    by_pk = {d.pk: name for name, d in around_today.items()}
    statuses = {name: _status_of(d, clock) for name, d in around_today.items()}
    assert {name: s.key for name, s in statuses.items()} == EXPECTED_KEYS
    from_pure = {
        "open": {n for n, s in statuses.items() if s.key in {K.WITHIN, K.SOON, K.OVERDUE, K.PAUSED}},
        "overdue": {n for n, s in statuses.items() if s.overdue},
        "due_soon": {n for n, s in statuses.items() if s.key == K.SOON},
        "due_today": {n for n, s in statuses.items() if s.key == K.SOON and around_today[n].due_date == clock.today},
        "paused": {n for n, s in statuses.items() if s.key == K.PAUSED},
    }
    from_sql = {
        bucket: {by_pk[pk] for pk in msel.dossiers_in_bucket(bucket=bucket, clock=clock).values_list("pk", flat=True)}
        for bucket in msel.BUCKETS
    }
    assert from_sql == from_pure == EXPECTED_BUCKETS
    # the API's overdue filter (dossiers_overdue at this instant) is the same set
    overdue_now = dossiers_overdue(on=clock.today, now=clock.now).values_list("pk", flat=True)
    assert {by_pk[pk] for pk in overdue_now} == EXPECTED_BUCKETS["overdue"]


def _row(html: str, code: str) -> str:
    start = html.index(code)
    return html[start:html.index("</tr>", start)]


@pytest.fixture
def admin_client(client, org):  # noqa: F811
    client.force_login(User.objects.create_superuser("quantri-h13b", password="x"))
    return client


def test_an_hours_deadline_passed_earlier_today_is_overdue_on_every_page_and_in_the_api(admin_client, around_today):
    d = around_today["hours_passed"]
    pages = {
        "worklist": reverse("dossiers:worklist"),
        "list": reverse("dossiers:list", args=["processing"]),
        "dashboard list": reverse("monitoring:list", args=["qua-han"]),
    }
    for name, url in pages.items():
        html = admin_client.get(url).content.decode()
        row = _row(html, d.code)
        assert re.search(r'class="label label-overdue"[^>]*>Quá hạn<', row), (name, row)
    detail = admin_client.get(reverse("dossiers:detail", args=[d.code])).content.decode()
    assert re.search(r'<span class="label label-overdue"[^>]*>Quá hạn</span>', detail)
    api = admin_client.get("/api/v1/dossiers/?overdue=true&page_size=200").json()
    assert d.code in {r["code"] for r in api["results"]}
    assert next(r for r in api["results"] if r["code"] == d.code)["overdue"] is True


def test_every_dossier_gets_the_same_label_on_the_worklist_and_the_list(admin_client, around_today):
    worklist = admin_client.get(reverse("dossiers:worklist")).content.decode()
    processing = admin_client.get(reverse("dossiers:list", args=["processing"])).content.decode()
    for name, d in around_today.items():
        expected = EXPECTED_KEYS[name]
        assert f"label-{expected}" in _row(worklist, d.code), name
        if d.state in (S.RECEIVED, S.IN_PROCESSING):
            assert f"label-{expected}" in _row(processing, d.code), name
