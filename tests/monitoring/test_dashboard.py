"""The supervisor dashboard: its numbers, the lists behind them, who sees what, the JSON refresh,
the menu entry, the bell and the notifications page. The dossiers are placed relative to the
real today (``conftest.make_board``), so the tests mean the same on any day they run."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import selectors as sel
from monitoring.models import Notification
from monitoring.services.outbox import outbox_relay
from tests.monitoring.conftest import PASSWORD, make_board
from tests.dossiers.lifecycle_fixtures import approve_after_handover, assign_after_handover  # noqa: F401

pytestmark = pytest.mark.django_db
BUCKETS = ("open", "due_today", "due_soon", "overdue", "paused")


@pytest.fixture
def board(world):
    return make_board(world)


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _list_count(client, url: str) -> int:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.context["page_obj"].paginator.count


def _list_codes(client, url: str) -> list[str]:
    return [d.code for d in client.get(url).context["page_obj"].object_list]


@pytest.mark.parametrize("who, totals", [
    ("lead_prov", {"open": 9, "due_today": 1, "due_soon": 2, "overdue": 5, "paused": 2}),
    ("lead_just", {"open": 6, "due_today": 1, "due_soon": 1, "overdue": 4, "paused": 2}),
    ("lead_build", {"open": 2, "due_today": 0, "due_soon": 1, "overdue": 0, "paused": 0}),
    ("lead_dist", {"open": 1, "due_today": 0, "due_soon": 0, "overdue": 1, "paused": 0}),
])
def test_big_numbers_per_leader_subtree(client, world, board, who, totals):
    """The province leader sees everything; a Sở's or the district's leader the dossiers their
    unit holds or leads. Resolved dossiers are not counted; the dossier paused after its due
    date is both paused and overdue."""
    _login(client, getattr(world, who))
    resp = client.get(reverse("monitoring:dashboard"))
    assert resp.status_code == 200
    assert resp.context["board"].totals == totals
    html = resp.content.decode()
    for key, n in totals.items():
        assert re.search(rf'data-total="{key}">\s*<span class="card-title">[^<]+</span>\s*<strong data-n>{n}</strong>', html)


@pytest.mark.parametrize("who", ["lead_prov", "lead_just", "lead_dist"])
def test_every_number_equals_the_length_of_the_list_behind_it(client, world, board, who):
    """Each big number and each table cell links to a list whose length is that number."""
    _login(client, getattr(world, who))
    data = client.get(reverse("monitoring:dashboard_data")).json()
    checked = 0
    for key in BUCKETS:
        assert _list_count(client, data["totals"][key]["url"]) == data["totals"][key]["n"], key
        checked += 1
    for table in ("units", "officers", "procedures"):
        for row in data[table]:
            for key in BUCKETS:
                cell = row["cells"][key]
                if cell["url"]:
                    assert _list_count(client, cell["url"]) == cell["n"], (table, row["label"], key)
                    checked += 1
    assert checked > len(BUCKETS)


def test_tables_sum_to_the_totals(client, world, board):
    """Every open dossier is in exactly one unit row, one officer row and one procedure row."""
    _login(client, world.lead_prov)
    data = client.get(reverse("monitoring:dashboard_data")).json()
    for table in ("units", "officers", "procedures"):
        for key in BUCKETS:
            assert sum(r["cells"][key]["n"] for r in data[table]) == data["totals"][key]["n"], (table, key)
    officers = {r["label"]: r["cells"]["open"]["n"] for r in data["officers"]}
    assert officers == {"Lê Văn Bình": 5, "Phạm Văn Cường": 2, "Chưa phân công": 2}


def test_the_overdue_list_is_most_urgent_first(client, world, board):
    """Most overdue first; the dossier overdue before its pause is in the list, labelled red."""
    _login(client, world.lead_just)
    url = sel.dashboard_list_url("overdue")
    assert _list_codes(client, url) == [board[k].code for k in ("overdue_old", "paused_late", "overdue", "hours_late")]
    html = client.get(url).content.decode()
    assert html.count('class="label label-overdue"') == 4
    assert "trước khi tạm dừng chờ bổ sung" in html


def test_list_filters_narrow_the_list(client, world, board):
    _login(client, world.lead_prov)
    base = sel.dashboard_list_url("open")
    assert set(_list_codes(client, f"{base}?unit={world.building.pk}")) == {board["tomorrow"].code, board["later"].code}
    assert set(_list_codes(client, f"{base}?officer=none")) == {board["today"].code, board["district"].code}
    assert set(_list_codes(client, f"{base}?procedure={world.build5.pk}&q={board['later'].code[-4:]}")) == {board["later"].code}
    assert _list_codes(client, f"{base}?officer={world.off_build.pk}&unit={world.justice.pk}") == []


@pytest.mark.parametrize("query", ["unit={building}", "officer={off_build}", "unit={district}", "unit=abc",
                                   "procedure=999999", "officer=123456"])
def test_anything_outside_the_subtree_is_not_found(client, world, board, query):
    """Sở Tư pháp's leader asking for another unit, its officer, a bad id: 404, not an empty list."""
    _login(client, world.lead_just)
    q = query.format(building=world.building.pk, off_build=world.off_build.pk, district=world.district.pk)
    assert client.get(f"{sel.dashboard_list_url('overdue')}?{q}").status_code == 404


def test_a_unit_outside_the_subtree_is_shown_without_a_link(client, world, board):
    """Sở Tư pháp's leader sees, in the unit table, only units of its subtree as links."""
    _login(client, world.lead_just)
    data = client.get(reverse("monitoring:dashboard_data")).json()
    assert {r["label"] for r in data["units"]} == {"Sở Tư pháp"}
    assert all(c["url"] for c in data["units"][0]["cells"].values() if c["n"])


def test_unknown_list_and_non_supervisors(client, world, board):
    _login(client, world.lead_just)
    assert client.get("/theo-doi/khong-co/").status_code == 404
    client.logout()
    assert client.get(reverse("monitoring:dashboard")).status_code == 302  # to the login page
    _login(client, world.off_just)
    assert client.get(reverse("monitoring:dashboard")).status_code == 403
    assert client.get(reverse("monitoring:dashboard_data")).status_code == 403
    assert client.get(sel.dashboard_list_url("overdue")).status_code == 403


def test_the_json_has_what_the_page_shows(client, world, board):
    _login(client, world.lead_prov)
    page = client.get(reverse("monitoring:dashboard")).context["board"]
    data = client.get(reverse("monitoring:dashboard_data")).json()
    assert {k: v["n"] for k, v in data["totals"].items()} == page.totals
    assert data["today"] == timezone.localdate().isoformat()
    assert data["totals"]["overdue"]["url"] == "/theo-doi/qua-han/"


def test_the_menu_shows_the_dashboard_to_leaders_only(client, world, board):
    _login(client, world.lead_just)
    assert 'href="/theo-doi/"' in client.get(reverse("dossiers:search")).content.decode()
    client.logout()
    _login(client, world.off_just)
    assert 'href="/theo-doi/"' not in client.get(reverse("dossiers:search")).content.decode()


# --- the bell and the notifications page ---------------------------------------------------------


def test_the_bell_counts_unread_notifications(client, world, board):
    outbox_relay()  # the intakes told Sở Tư pháp's leader about new dossiers
    mine = Notification.objects.filter(recipient=world.lead_just)
    assert mine.count() > 0
    _login(client, world.lead_just)
    html = client.get(reverse("dossiers:search")).content.decode()
    assert re.search(rf'<a class="bell" href="/thong-bao/"[^>]*>.*?<span class="badge">{mine.count()}</span></a>', html, re.S)
    first = mine.order_by("-created_at", "-id").first()
    resp = client.post(reverse("monitoring:notification_open", args=[first.pk]))
    assert resp.status_code == 302 and resp["Location"] == first.url
    first.refresh_from_db()
    assert first.read_at is not None
    assert f'<span class="badge">{mine.count() - 1}</span>' in client.get(reverse("dossiers:search")).content.decode()
    client.post(reverse("monitoring:notifications_read_all"))
    assert '<span class="badge">' not in client.get(reverse("dossiers:search")).content.decode()


def test_the_notifications_page_lists_only_ones_own(client, world, board):
    from dossiers.services import lifecycle

    assign_after_handover(dossier=board["today"], actor=world.lead_just, officer=world.off_just)
    outbox_relay()
    _login(client, world.off_just)
    resp = client.get(reverse("monitoring:notifications"))
    shown = {n.pk for n in resp.context["page_obj"].object_list}
    assert len(shown) == 1 and board["today"].code in resp.content.decode()
    assert shown == set(Notification.objects.filter(recipient=world.off_just).values_list("pk", flat=True))
    someone_elses = Notification.objects.exclude(recipient=world.off_just).first()
    assert client.post(reverse("monitoring:notification_open", args=[someone_elses.pk])).status_code == 404
    someone_elses.refresh_from_db()
    assert someone_elses.read_at is None


def test_a_dossier_only_received_at_a_unit_is_not_on_its_dashboard(client, world, board):
    """The district's counter received a dossier that Sở Tư pháp leads: while the counter holds
    it, it is on both dashboards; once handed to Sở Tư pháp it is Sở Tư pháp's to watch, not
    the district's (which may still open it)."""
    from dossiers.services import lifecycle
    from tests.monitoring.conftest import register

    d = register(world, world.days5, None, receiving_unit=world.district)
    _login(client, world.lead_dist)
    assert client.get(reverse("monitoring:dashboard")).context["board"].totals["open"] == 2
    assign_after_handover(dossier=d, actor=world.lead_just, officer=world.off_just)
    assert client.get(reverse("monitoring:dashboard")).context["board"].totals["open"] == 1
    assert client.get(reverse("dossiers:detail", args=[d.code])).status_code == 200
    client.logout()
    _login(client, world.lead_just)
    assert client.get(reverse("monitoring:dashboard")).context["board"].totals["open"] == 7


def test_the_covering_indexes_exist_on_open_dossiers(db):
    """Migration 0002 gives the dashboard and the sweep their partial indexes on the dossier
    table (without them a million open dossiers cost seconds: bench/bench_sweep.py)."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "dossiers_dossier")
    assert constraints["monitoring_open_board"]["columns"][:3] == ["current_unit_id", "assigned_to_id", "procedure_id"]
    assert constraints["monitoring_open_due"]["columns"][0] == "due_date"


def test_the_receipt_date_filter(client, world, board):
    """Dates dd/mm/yyyy on the receipt date; an unreadable date is ignored, not an error."""
    from dossiers.models import Dossier

    from datetime import date

    Dossier.objects.filter(pk=board["later"].pk).update(receipt_date=date(2022, 3, 1))
    _login(client, world.lead_prov)
    base = sel.dashboard_list_url("open")
    assert _list_codes(client, f"{base}?date_to=01/03/2022") == [board["later"].code]
    assert board["later"].code not in _list_codes(client, f"{base}?date_from=02/03/2022")
    assert _list_count(client, f"{base}?date_from=31/02/2022") == 9
