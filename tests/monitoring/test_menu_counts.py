"""The left menu's counts (``dossiers.selectors.dossier_menu_counts``, on every page) count what
``dossiers_visible_to`` shows, although they are computed as four disjoint index-friendly parts;
and the dashboard of a subtree, counted as "held" + "led, held elsewhere", equals its lists.

The world (``conftest.make_world`` + ``make_board``) gains two liên thông dossiers led by Sở Xây
dựng with a step at Sở Tư pháp (building → justice → building): one that went through Sở Tư
pháp and is back at Sở Xây dựng (its receiving, resolving and current units are all outside Sở
Tư pháp: only the done step makes it visible there), one just received (a waiting step there).
"""
from __future__ import annotations

from itertools import combinations

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from dossiers import selectors as dsel
from dossiers.models import Dossier, Unit
from dossiers.services import lifecycle
from monitoring import selectors as sel
from tests.monitoring.conftest import PASSWORD, make_board, register
from tests.dossiers.lifecycle_fixtures import approve_after_handover, assign_after_handover  # noqa: F401

pytestmark = pytest.mark.django_db
TABS = ("submitted", "processing", "supplement", "result", "returned")


@pytest.fixture
def board(world):
    b = make_board(world)
    d = register(world, world.lien, None)
    assign_after_handover(dossier=d, actor=world.lead_build, officer=world.off_build)
    lifecycle.dossier_transfer(dossier=d, actor=world.off_build)           # → Sở Tư pháp (step 2)
    assign_after_handover(dossier=d, actor=world.lead_just, officer=world.off_just)
    b["passed_through"] = lifecycle.dossier_transfer(dossier=d, actor=world.off_just)  # → Sở Xây dựng (step 3)
    b["lien_waiting"] = register(world, world.lien, None)
    return b


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _by_state_reference(unit_ids) -> dict[str, int]:
    """The visibility rule itself (OR of the units and an EXISTS over the steps), counted."""
    from django.db.models import Exists, OuterRef, Q

    from dossiers.models import DossierStep

    qs = Dossier.objects.all()
    if unit_ids is not None:
        in_step = DossierStep.objects.filter(dossier=OuterRef("pk"), unit_id__in=unit_ids)
        qs = qs.filter(Q(receiving_unit_id__in=unit_ids) | Q(resolving_unit_id__in=unit_ids)
                       | Q(current_unit_id__in=unit_ids) | Exists(in_step))
    return dict(qs.filter(state__in=dsel.COUNTED_STATES).order_by().values_list("state").annotate(n=Count("id")))


def test_the_world_has_a_dossier_visible_only_through_a_step(world, board):
    d = board["passed_through"]
    assert d.current_unit == world.building and d.resolving_unit == world.building and d.receiving_unit == world.centre
    assert d.steps.get(order=2).unit == world.justice and d.steps.get(order=2).state == "done"
    assert dsel.dossiers_visible_to(world.lead_just).filter(pk=d.pk).exists()
    assert dsel.dossiers_visible_to(world.lead_just).filter(pk=board["lien_waiting"].pk).exists()


def test_counts_by_state_equal_the_visibility_rule_for_every_set_of_units(world, board):
    """Every subset of the five units (31 scopes) and the whole tree: the four disjoint parts add
    up to exactly what the OR/EXISTS rule selects."""
    units = list(Unit.objects.values_list("pk", flat=True))
    assert len(units) == 5
    checked = 0
    for k in range(1, len(units) + 1):
        for scope in combinations(units, k):
            assert dsel.dossier_counts_by_state(unit_ids=set(scope)) == _by_state_reference(set(scope)), scope
            checked += 1
    assert dsel.dossier_counts_by_state(unit_ids=None) == _by_state_reference(None)
    assert checked == 31


@pytest.mark.parametrize("who", ["lead_prov", "lead_just", "lead_build", "lead_dist", "off_just", "off_build", "clerk"])
def test_every_menu_count_equals_the_length_of_its_list(client, world, board, who):
    user = getattr(world, who)
    _login(client, user)
    resp = client.get(reverse("dossiers:search"))
    items = {i["url"]: i["count"] for g in resp.context["nav"]["groups"] for i in g["items"]}
    for tab in TABS:
        url = reverse("dossiers:list", args=[tab])
        listed = client.get(url).context["page_obj"].paginator.count
        if tab == "returned":  # grows with every year kept: no count in the menu (issue 19)
            assert items[url] is None
            assert listed == dsel.dossiers_visible_to(user).filter(state="returned").count(), who
        else:
            assert items[url] == listed, (who, tab)
    assert items[reverse("dossiers:inbox")] == Dossier.objects.filter(
        assigned_to=user, state__in=["received", "in_processing", "awaiting_supplement"]).count()


def test_justice_counts_the_dossiers_that_only_passed_through(world, board):
    """Without the steps part Sở Tư pháp would miss the two liên thông dossiers."""
    held_led_received = Dossier.objects.filter(state__in=["received", "in_processing"]).filter(
        current_unit=world.justice) | Dossier.objects.filter(state__in=["received", "in_processing"]).filter(
        resolving_unit=world.justice)
    counts = dsel.dossier_menu_counts(user=world.lead_just)
    assert counts["processing"] == held_led_received.distinct().count() + 2


def test_a_small_scope_is_counted_fresh_a_big_one_may_be_cached(world, board, monkeypatch):
    """Below MENU_COUNTS_CACHE_FROM dossiers every page counts afresh (a new dossier shows at
    once); at or above it the counts are shared for MENU_COUNTS_CACHE_SECONDS."""
    from django.core.cache import cache

    before = dsel.dossier_menu_counts(user=world.lead_prov)["processing"]
    register(world, world.days5, None)
    assert dsel.dossier_menu_counts(user=world.lead_prov)["processing"] == before + 1  # 12 dossiers: not cached
    monkeypatch.setattr(dsel, "MENU_COUNTS_CACHE_FROM", 1)
    cached = dsel.dossier_menu_counts(user=world.lead_prov)["processing"]
    assert cached == before + 1
    register(world, world.days5, None)
    assert dsel.dossier_menu_counts(user=world.lead_prov)["processing"] == cached  # up to 30 s old
    assert dsel.dossier_menu_counts(user=world.lead_just)["processing"] > 0  # another scope, its own entry
    cache.clear()
    assert dsel.dossier_menu_counts(user=world.lead_prov)["processing"] == before + 2


def test_a_small_dashboard_is_counted_fresh_a_big_one_is_shared_with_its_time(world, board, monkeypatch):
    """Below BOARD_CACHE_FROM open dossiers every dashboard counts afresh; at or above it the
    figures are shared for BOARD_CACHE_SECONDS by everyone with that scope, with the clock they
    were counted at (the page's "Cập nhật lúc"), never across a change of day, and each scope
    has its own."""
    from datetime import timedelta

    from django.core.cache import cache

    cache.clear()
    t0 = sel.Clock.at(timezone.now())
    before = sel.dashboard_get(user=world.lead_prov, clock=t0).totals["open"]
    register(world, world.days5, None)
    assert sel.dashboard_get(user=world.lead_prov, clock=t0).totals["open"] == before + 1  # not shared
    monkeypatch.setattr(sel, "BOARD_CACHE_FROM", 1)
    first = sel.dashboard_get(user=world.lead_prov, clock=t0)
    assert first.totals["open"] == before + 1
    register(world, world.days5, None)
    later = sel.Clock.at(t0.now + timedelta(seconds=20))
    shared = sel.dashboard_get(user=world.lead_prov, clock=later)
    assert (shared.totals["open"], shared.clock.now) == (before + 1, t0.now)  # 20 s later: the shared figures
    assert sel.dashboard_as_json(shared)["as_of"] == t0.now.isoformat()
    assert sel.dashboard_get(user=world.lead_just, clock=later).totals["open"] < before + 2  # its own scope
    tomorrow = sel.Clock.at(t0.now + timedelta(days=1))
    assert sel.dashboard_get(user=world.lead_prov, clock=tomorrow).totals["open"] == before + 2
    cache.clear()
    assert sel.dashboard_get(user=world.lead_prov, clock=later).totals["open"] == before + 2


@pytest.mark.parametrize("who", ["lead_prov", "lead_just", "lead_build", "lead_dist"])
def test_the_dashboard_of_a_subtree_counts_held_plus_led_elsewhere(client, world, board, who):
    """The two-part count equals the "held OR led" set behind the lists (the passed-through
    liên thông dossier is led by Sở Xây dựng, not on Sở Tư pháp's dashboard)."""
    user = getattr(world, who)
    clock = sel.Clock.at(timezone.now())
    board_ = sel.dashboard_get(user=user, clock=clock)
    for bucket in sel.BUCKETS:
        assert board_.totals[bucket] == sel.dashboard_list(user=user, bucket=bucket, clock=clock).count(), bucket
    ids = dsel.user_unit_ids(user)
    if ids is not None:
        held_or_led = Dossier.objects.filter(state__in=["received", "in_processing", "awaiting_supplement"]).filter(
            current_unit_id__in=ids) | Dossier.objects.filter(
            state__in=["received", "in_processing", "awaiting_supplement"]).filter(resolving_unit_id__in=ids)
        assert board_.totals["open"] == held_or_led.distinct().count()


def test_the_visibility_indexes_exist(db):
    """dossiers 0003 (the counts above are index-only scans of them) and monitoring 0003 (the
    "Tạm dừng" list's order)."""
    from django.db import connection

    with connection.cursor() as cursor:
        dossier = connection.introspection.get_constraints(cursor, "dossiers_dossier")
        step = connection.introspection.get_constraints(cursor, "dossiers_dossierstep")
    assert dossier["dossier_vis_resolving"]["columns"][:2] == ["resolving_unit_id", "state"]
    assert dossier["dossier_vis_receiving"]["columns"][:2] == ["receiving_unit_id", "state"]
    assert step["dossier_step_unit"]["columns"] == ["unit_id", "dossier_id"]
    assert dossier["monitoring_open_paused"]["columns"] == ["due_date", "due_at", "id"]


@pytest.mark.parametrize("who", ["lead_prov", "lead_just", "lead_build", "lead_dist"])
def test_the_lists_paginator_count_equals_the_list(world, board, who):
    """``dashboard_list_count`` (two parts for a subtree) = the length of ``dashboard_list``
    (one query with the OR), for every bucket, with and without filters."""
    user = getattr(world, who)
    clock = sel.Clock.at(timezone.now())
    filters = [None, sel.dashboard_filters(user=user, officer="none"),
               sel.dashboard_filters(user=user, procedure=str(world.days5.pk)),
               sel.dashboard_filters(user=user, text=board["today"].code[-4:])]
    nonzero = 0
    for bucket in sel.BUCKETS:
        for f in filters:
            n = sel.dashboard_list_count(user=user, bucket=bucket, clock=clock, filters=f)
            assert n == sel.dashboard_list(user=user, bucket=bucket, clock=clock, filters=f).count(), (bucket, f)
            nonzero += n > 0
    assert nonzero > 0



@pytest.mark.parametrize("who", ["lead_prov", "lead_just", "lead_build", "lead_dist", "off_just", "off_build", "clerk"])
def test_each_list_tab_shows_exactly_what_the_user_may_see(client, world, board, who):
    """A unit scope's tab applies the visibility rule part by part (``dossiers_scoped_top``, on
    the unrestricted dossiers of the tab's states): its rows, over every page, are exactly
    ``dossiers_visible_to`` of those states, no dossier of another unit and none missing (the
    one visible at Sở Tư pháp only through its done step included)."""
    from dossiers.views.processing import TABS as LIST_TABS

    user = getattr(world, who)
    assert client.login(username=user.username, password=PASSWORD)
    shown_anywhere = set()
    for tab in TABS:
        states = LIST_TABS[tab][1]
        expected = set(dsel.dossiers_visible_to(user).filter(state__in=states).values_list("code", flat=True))
        resp = client.get(reverse("dossiers:list", args=[tab]))
        assert resp.status_code == 200
        page = resp.context["page_obj"]
        shown = {d.code for d in page.object_list}
        for number in range(2, page.paginator.num_pages + 1):
            shown |= {d.code for d in client.get(reverse("dossiers:list", args=[tab]), {"page": number})
                      .context["page_obj"].object_list}
        assert shown == expected, (who, tab)
        shown_anywhere |= shown
    everyone = set(Dossier.objects.values_list("code", flat=True))
    if who == "lead_prov":
        assert shown_anywhere >= everyone - set(Dossier.objects.exclude(
            state__in=[s for t in TABS for s in LIST_TABS[t][1]]).values_list("code", flat=True))
    else:
        assert shown_anywhere < everyone  # a unit's staff never see the whole province
    if who in ("lead_just", "off_just"):
        assert board["passed_through"].code in shown_anywhere


def test_a_leader_without_a_unit_sees_an_empty_dashboard(world, board):
    """A leader with no staff profile supervises no unit: zeros, not an error."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from dossiers.roles import LEADER, role_group_name

    user = get_user_model().objects.create_user("lanhdao_khong_don_vi", password=PASSWORD)
    user.groups.add(Group.objects.get(name=role_group_name(LEADER)))
    clock = sel.Clock.at(timezone.now())
    assert sel.dashboard_get(user=user, clock=clock).totals == dict.fromkeys(sel.BUCKETS, 0)
    assert sel.dashboard_list_count(user=user, bucket="open", clock=clock) == 0
    assert dsel.dossier_menu_counts(user=user)["processing"] == 0


def _api_order_key(d: Dossier) -> tuple:
    """The API list's order as interfaces.md states it, written out here: open dossiers by due
    date (earliest first), then submissions waiting (oldest first), then every other one, latest
    received first; within a group, latest received first, then the larger id."""
    from datetime import date, datetime, timezone as tz

    latest = (-(d.received_at or datetime.min.replace(tzinfo=tz.utc)).timestamp(), -d.pk)
    if d.state in ("received", "in_processing", "awaiting_supplement"):
        return (0, d.due_date or date.max, *latest)
    if d.state == "submitted":
        return (1, (d.submitted_at or datetime.max.replace(tzinfo=tz.utc)).timestamp(), *latest)
    return (2, 0, *latest)


@pytest.mark.parametrize("cap", [1_000, 1])
@pytest.mark.parametrize("who", ["lead_prov", "lead_just", "lead_build", "lead_dist", "off_just", "clerk"])
def test_the_filtered_api_list_pages_through_exactly_what_the_user_may_see(world, board, who, cap, monkeypatch):
    """A filtered API list of a unit scope is read part by part of the visibility rule
    (``dossiers_urgent_page`` → ``dossiers_scoped_top``), whole parts when small and (cap 1)
    each part's first rows down to the page when not: paged in twos it is exactly the visible
    dossiers the filter keeps, in the API order, none twice, none missing."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    monkeypatch.setattr(dsel, "COUNT_CAP", cap)
    user = getattr(world, who)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    for query in ("received_from=2000-01-01", "received_from=2000-01-01&status=in_processing",
                  "received_from=2000-01-01&status=in_processing&status=received&status=returned&status=approved"):
        states = [v.split("=")[1] for v in query.split("&") if v.startswith("status=")]
        expected_qs = dsel.dossiers_visible_to(user).filter(received_at__isnull=False)
        if states:
            expected_qs = expected_qs.filter(state__in=states)
        expected = [d.code for d in sorted(expected_qs, key=_api_order_key)]
        seen, url = [], f"/api/v1/dossiers/?{query}&page_size=2"
        first = client.get(url).json()
        # counted up to the cap (the count, whether there are more); a page reaching past the
        # capped count counts what it shows (interfaces.md)
        n, shown = len(expected), min(2, len(expected))
        count, capped = min(n, cap), n > cap
        if capped and shown >= count:
            count, capped = shown, n > shown
        assert (first["count"], first["count_capped"]) == (count, capped), (who, query)
        while url:
            body = client.get(url).json()
            seen += [r["code"] for r in body["results"]]
            url = body["next"]
        assert seen == expected, (who, query)
        assert expected or states, who  # every user sees some dossier received since 2000
