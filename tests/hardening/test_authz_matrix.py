"""Authorisation matrix (issue #8 item 2): every page and endpoint × every identity.

Identities: each role (counter clerk, officer, leader, administrator) placed in the own unit
(Sở Tư pháp), a sibling unit (Sở Xây dựng) and the parent unit (UBND tỉnh), plus an anonymous
visitor: 13 columns. Objects: a dossier of each of those three units, each paused once for a
supplement and apologised for, so that every dossier page has something to show. Each cell
is the exact answer: 200, "login" (302 to the login page), 403, 404, 401 (API) or another
documented status. Who may see a dossier: its units' staff; a leader also every unit below
(``dossiers.selectors.user_unit_ids``). Who may act on a dossier: domain.md D17 (the unit the
dossier is at), written out in :data:`ACTS` below.

``test_every_named_url_is_in_the_matrix`` fails when a named URL exists that the table does
not cover: a new page must be added to ``MATRIX``.
"""
from __future__ import annotations

from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Callable

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from dossiers.models import Field, Procedure, StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER
from dossiers.services import lifecycle as svc
from reporting.export_tasks import export_begin
from reporting.periods import period_from_params
from tests.dossiers.lifecycle_fixtures import APPLICANT, at
from tests.factories import UserFactory

ROLES = (COUNTER_CLERK, OFFICER, LEADER, ADMINISTRATOR)
PLACES = ("own", "sibling", "parent")
#: (role, place) for staff, None for the anonymous visitor
IDENTITIES = [None] + [(role, place) for role in ROLES for place in PLACES]
LOGIN = "login"
ANY_REDIRECT = "redirect"  # a 302 that is not to the login page (home sends staff to their page)

#: URL namespaces/names the matrix does not visit: Django's admin (its own permission system,
#: tested by Django), the language switch (public by design, tested in tests/test_language.py).
EXCLUDED_NAMESPACES = {"admin"}
EXCLUDED_NAMES = {"set_language"}


# --- expectations --------------------------------------------------------------------------------


def sees(ident, obj: str) -> bool:
    """Whether a staff identity may see the dossier of unit `obj` (own/sibling/parent)."""
    role, place = ident
    if role == LEADER and place == "parent":
        return True  # the parent unit's leader sees its whole subtree
    return place == obj


def page(allowed: Callable[[tuple], bool] | None = None, *, ok=200, denied=403):
    """A page behind login: anonymous → login; `allowed` identities → ok; others → denied."""
    def expect(ident, obj):
        if ident is None:
            return LOGIN
        return ok if (allowed is None or allowed(ident)) else denied
    return expect


def dossier_page(allowed_role: Callable[[str], bool] | None = None, *, ok=200, role_first=False):
    """A dossier page: 404 for a dossier the identity may not see; 403 for a role without the
    right (checked before visibility when `role_first`)."""
    def expect(ident, obj):
        if ident is None:
            return LOGIN
        role_ok = allowed_role is None or allowed_role(ident[0])
        if role_first and not role_ok:
            return 403
        if not sees(ident, obj):
            return 404
        return ok if role_ok else 403
    return expect


def api(allowed: Callable[[tuple], bool] | None = None, *, ok=200, denied=403):
    def expect(ident, obj):
        if ident is None:
            return 401
        return ok if (allowed is None or allowed(ident)) else denied
    return expect


def api_dossier(*, ok=200):
    def expect(ident, obj):
        if ident is None:
            return 401
        return ok if sees(ident, obj) else 404
    return expect


#: D17 written out for the world's dossiers (each received, led and processed by one unit, in
#: processing at its only step, assigned to that unit's officer, already apologised for), with
#: a bad body: the answer of each own-unit role; every other identity that sees the dossier
#: (the parent unit's leader, an administrator without a staff role) gets 403.
ACTS: dict[str, dict[str, int]] = {
    "accept": {COUNTER_CLERK: 409},  # the counter's, but not in processing
    "reject": {COUNTER_CLERK: 409},
    "assign": {OFFICER: 400, LEADER: 400},
    "transfer": {COUNTER_CLERK: 409, OFFICER: 409, LEADER: 409},  # handed over already; the last step
    "send-back": {OFFICER: 409, LEADER: 409},  # the first step
    "skip-step": {LEADER: 409},  # only the final step left
    "request-supplement": {OFFICER: 400, LEADER: 400},
    "resume": {COUNTER_CLERK: 409, OFFICER: 409, LEADER: 409},  # not awaiting a supplement
    "approve": {LEADER: 400},  # at the lead unit's final step
    "refuse": {LEADER: 400},
    "stop": {LEADER: 400},
    "apologize": {LEADER: 409},  # once only
    "return-result": {COUNTER_CLERK: 409},
    "withdraw": {COUNTER_CLERK: 400},
}


def own(ident, obj) -> bool:
    return ident[1] == obj or (ident[1] == "parent" and obj == "parent")


def has(*roles):
    return lambda ident: ident[0] in roles


def public(status=200):
    return lambda ident, obj: status


@dataclass(frozen=True)
class Row:
    name: str
    expect: Callable
    kwargs: Callable[[dict], dict] = lambda o: {}
    method: str = "get"
    data: dict | None = None
    query: str = ""
    per_dossier: bool = False  # visited once for each of the three dossiers
    api: bool = False


def code(o):
    return {"code": o["dossier"].code}


CLERKS = has(COUNTER_CLERK, ADMINISTRATOR)
SUPERVISORS = has(LEADER, ADMINISTRATOR)
EXPORT_OWNER = (lambda ident: ident == (LEADER, "own"))


def api_action(action: str):
    """A dossier action with a bad body: 404 unseen, then D17 (403, 409), then the body (400)."""
    def expect(ident, obj):
        if ident is None:
            return 401
        if not sees(ident, obj):
            return 404
        return ACTS[action].get(ident[0], 403) if own(ident, obj) else 403
    return expect

MATRIX: list[Row] = [
    # --- accounts and API documentation
    Row("login", public(200)),
    Row("logout", public(LOGIN), method="post"),  # anyone may log out; back to the login page
    Row("password_change", page()),  # every signed-in user changes their own password
    Row("password_change_done", page()),
    Row("home", lambda ident, obj: 200 if ident is None else ANY_REDIRECT),
    Row("password_change", lambda ident, obj: LOGIN if ident is None else 200),  # one's own password
    Row("api-schema", public(200)),
    Row("api-docs", public(200)),
    Row("api-token", public(400), method="post", data={}, api=True),  # no credentials: 400 for everyone
    # --- counter (clerks; administrators too)
    Row("dossiers:intake", page(has(COUNTER_CLERK))),  # taking in is acting: administrators only as clerks (D17)
    Row("dossiers:procedure_search", page(CLERKS), query="q=ho"),
    Row("dossiers:due_preview", page(CLERKS), query="procedure=1.000000"),
    Row("dossiers:applicant_lookup", page(CLERKS), query="id_number=017090001234"),
    Row("dossiers:competent_units", page(CLERKS), query="procedure=1.000000"),
    Row("dossiers:counter_slip", page(CLERKS), kwargs=lambda o: {"kind": "huong-dan"}),
    Row("dossiers:worklist", page(CLERKS)),
    # --- lists (every staff member, filtered to what they may see)
    Row("dossiers:list", page(), kwargs=lambda o: {"tab": "processing"}),
    Row("dossiers:inbox", page()),
    Row("dossiers:search", page(), query="q=H23"),
    # --- one dossier
    Row("dossiers:detail", dossier_page(), kwargs=code, per_dossier=True),
    Row("dossiers:receipt", dossier_page(), kwargs=code, per_dossier=True),
    Row("dossiers:control_sheet", dossier_page(), kwargs=code, per_dossier=True),
    Row("dossiers:supplement_slip", dossier_page(), per_dossier=True,
        kwargs=lambda o: {"code": o["dossier"].code, "pause_id": o["dossier"].pauses.get().pk}),
    Row("dossiers:apology_slip", dossier_page(), kwargs=code, per_dossier=True),
    # Mẫu 05 of TT 03/2025 (issue 14): none of these dossiers is stopped, so 404 for whoever sees it too
    Row("dossiers:stop_notice", page(ok=404), kwargs=code, per_dossier=True),
    # the tracking register (Mẫu 07): counter clerks, leaders, administrators
    Row("dossiers:register", page(has(COUNTER_CLERK, LEADER, ADMINISTRATOR))),
    # GET on an action: back to the dossier page, where the action's form is.
    Row("dossiers:action",
        lambda ident, obj: LOGIN if ident is None else 404 if not sees(ident, obj)
        else ANY_REDIRECT if ident[0] == LEADER and own(ident, obj) else 403,
        per_dossier=True,
        kwargs=lambda o: {"code": o["dossier"].code, "action": "approve"}),
    # --- calendar (read by all staff, changed by administrators)
    Row("dossiers:calendar", page()),
    Row("dossiers:calendar_year", page(), kwargs=lambda o: {"year": 2022}),
    Row("dossiers:calendar_override", page(has(ADMINISTRATOR)), query="date=2022-03-05"),
    # --- reorganisations (D20): administrators only
    Row("dossiers:reorganisation", page(has(ADMINISTRATOR))),
    Row("dossiers:reorganisation_progress", page(has(ADMINISTRATOR)), query="ids=1,2"),
    # --- reports (leaders of their subtree, administrators)
    Row("reporting:report_quarterly", page(SUPERVISORS), query="year=2022&quarter=1&source=direct"),
    Row("reporting:report_trend", page(SUPERVISORS), query="year=2022&quarter=1&source=direct"),
    Row("reporting:report_dossiers", page(SUPERVISORS), query="year=2022&quarter=1&figure=received_total&source=direct"),
    Row("reporting:report_freeze", page(SUPERVISORS, ok=ANY_REDIRECT), method="post", data={"year": "2022", "quarter": "1"}),
    Row("reporting:report_diff", page(SUPERVISORS, ok=404), query="year=2022&quarter=1"),  # nothing frozen yet
    Row("reporting:export_file", page(SUPERVISORS), kwargs=lambda o: {"fmt": "csv"}, query="year=2022&quarter=1"),
    Row("reporting:export_start", page(SUPERVISORS, ok=202), method="post", kwargs=lambda o: {"fmt": "csv"},
        data={"year": "2022", "quarter": "1"}),
    # An export belongs to whoever started it (here the leader of the own unit): 404 for anybody else.
    Row("reporting:export_status", page(EXPORT_OWNER, denied=404), kwargs=lambda o: {"token": o["export_token"]}),
    Row("reporting:export_download", page(EXPORT_OWNER, denied=404), kwargs=lambda o: {"token": o["export_token"]}),
    # --- monitoring (supervisors) and notifications (everyone's own)
    Row("monitoring:dashboard", page(SUPERVISORS)),
    Row("monitoring:dashboard_data", page(SUPERVISORS)),
    Row("monitoring:list", page(SUPERVISORS), kwargs=lambda o: {"bucket": "dang-xu-ly"}),
    Row("monitoring:notifications", page()),
    Row("monitoring:notifications_read_all", page(ok=ANY_REDIRECT), method="post"),
    Row("monitoring:notification_open", page(ok=404), method="post", kwargs=lambda o: {"pk": 999999}),
    # --- connected systems and notice templates (administrators; issue 17)
    Row("connected:admin", page(has(ADMINISTRATOR))),
    Row("connected:subscription_add", page(has(ADMINISTRATOR), ok=400), method="post", data={}),
    Row("connected:subscription_end", page(has(ADMINISTRATOR), ok=404), method="post", kwargs=lambda o: {"pk": 999999}),
    Row("connected:delivery_resend", page(has(ADMINISTRATOR), ok=404), method="post", kwargs=lambda o: {"pk": 999999}),
    Row("connected:template_edit", page(has(ADMINISTRATOR)), kwargs=lambda o: {"kind": "result", "channel": "sms"}),
    Row("api-webhook-list", api(has(ADMINISTRATOR)), api=True),
    Row("api-webhook-detail", api(has(ADMINISTRATOR), ok=405), kwargs=lambda o: {"pk": 999999}, api=True),
    # --- REST API v1 (token auth; anonymous → 401)
    Row("api-dossier-list", api(), api=True),
    Row("api-procedure-competent-units", api(), kwargs=lambda o: {"code": "1.000000"}, api=True),
    Row("api-dossier-detail", api_dossier(), kwargs=code, per_dossier=True, api=True),
    *(Row(f"api-dossier-{action}", api_action(action), method="post", data={"version": "x"},
          kwargs=code, per_dossier=True, api=True)
      for action in ACTS),
    Row("api-dossier-unknown-action", api_dossier(ok=404), kwargs=lambda o: {"code": o["dossier"].code, "action": "bay"},
        per_dossier=True, api=True),
    Row("api-report-quarterly", api(SUPERVISORS), query="year=2022&quarter=1&source=direct", api=True),
    Row("api-report-period", api(SUPERVISORS), query="kind=year&year=2022&source=direct", api=True),
    # --- citizens: public pages (no login; a dossier opens only after the code + digits check,
    # kept in the session, so everybody without it is sent back to the form)
    Row("citizens:lookup", public(200)),
    Row("citizens:lookup_end", public(ANY_REDIRECT), method="post"),  # forgets this browser's verifications
    Row("citizens:public_dossier", public(ANY_REDIRECT), kwargs=code, per_dossier=True),
    Row("citizens:public_evaluate", public(ANY_REDIRECT), kwargs=code, per_dossier=True, method="post", data={}),
    Row("citizens:public_feedback", public(ANY_REDIRECT), kwargs=code, per_dossier=True, method="post", data={}),
    Row("citizens:kiosk", public(200)),
    Row("citizens:kiosk_device", page(CLERKS)),  # registering a kiosk PC: counter clerks and administrators
    Row("citizens:kiosk_evaluate", public(ANY_REDIRECT)),
    Row("citizens:kiosk_thanks", public(ANY_REDIRECT)),
    # --- citizens: feedback answered by supervisors; satisfaction and the 766 scorecard
    Row("citizens:feedback_list", page(SUPERVISORS)),
    Row("citizens:feedback_detail", page(SUPERVISORS, ok=404), kwargs=lambda o: {"pk": 999999}),
    Row("citizens:satisfaction_units", page(SUPERVISORS), query="year=2022&quarter=1"),
    Row("citizens:satisfaction_officers", page(SUPERVISORS), query="year=2022&quarter=1"),
    Row("citizens:satisfaction_evaluations", page(SUPERVISORS), query="year=2022&quarter=1"),
    Row("citizens:feedback_report", page(SUPERVISORS), query="year=2022&quarter=1"),
    Row("citizens:scorecard", page(SUPERVISORS), query="year=2022&quarter=1"),
    # --- papers (issue 16): a dossier's documents under the dossier's visibility; who may add
    # is checked after it (a refusal is a message on the dossier page, 403 in the API)
    Row("papers:upload", dossier_page(ok=ANY_REDIRECT), kwargs=code, per_dossier=True, method="post", data={}),
    Row("papers:download", dossier_page(ok=404), per_dossier=True,
        kwargs=lambda o: {"code": o["dossier"].code, "pk": 999999}),
    Row("papers:reusable", page(), query="id_number=017090001234"),
    Row("papers:public_download", public(404), per_dossier=True, kwargs=lambda o: {"code": o["dossier"].code, "pk": 1}),
    Row("api-documents", api_dossier(), kwargs=code, per_dossier=True, api=True),
    Row("api-document-content", api_dossier(ok=404), per_dossier=True, api=True,
        kwargs=lambda o: {"code": o["dossier"].code, "pk": 999999}),
]


# --- the world --------------------------------------------------------------------------------


@pytest.fixture
def world(db, settings):
    parent = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee")
    own = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency", parent=parent)
    sibling = Unit.objects.create(code="000.00.14.H23", name="Sở Xây dựng", level="province", kind="agency", parent=parent)
    units = {"own": own, "sibling": sibling, "parent": parent}
    field = Field.objects.create(name="Hộ tịch")
    users = {}
    for role in ROLES:
        for place, unit in units.items():
            user = UserFactory(username=f"{role}.{place}", role=role)
            StaffProfile.objects.create(user=user, unit=unit)
            users[(role, place)] = user
    dossiers = {}
    for place, unit in units.items():
        proc = Procedure.objects.create(code=f"1.00000{len(dossiers)}", name=f"Thủ tục {place}", field=field,
                                        processing_time=5, time_unit="working_days", resolving_unit=unit)
        officer = users[(OFFICER, place)]
        d = svc.dossier_register(procedure=proc, receiving_unit=unit, channel="direct", applicant=APPLICANT,
                                 actor=users[(COUNTER_CLERK, place)], received_at=at(2022, 3, 1, 9))
        d = svc.dossier_transfer(dossier=d, actor=users[(COUNTER_CLERK, place)], at=at(2022, 3, 1, 9, 30))
        d = svc.dossier_assign(dossier=d, actor=officer, officer=officer, at=at(2022, 3, 1, 10))
        d = svc.dossier_request_supplement(dossier=d, actor=officer, reason="Thiếu tờ khai", at=at(2022, 3, 2, 9))
        d = svc.dossier_resume(dossier=d, actor=officer, at=at(2022, 3, 3, 9))
        d = svc.dossier_apologize(dossier=d, actor=users[(LEADER, place)], new_date=at(2022, 3, 31).date(),
                                  reason="Chờ ý kiến", at=at(2022, 3, 9, 9))
        dossiers[place] = d
    clients = {None: Client()}
    headers = {None: {}}
    for ident, user in users.items():
        c = Client()
        c.force_login(user)
        clients[ident] = c
        headers[ident] = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}
    token = export_begin(user_id=users[(LEADER, "own")].pk, unit=None, fmt="csv",
                         period=period_from_params({"kind": "quarter", "year": "2022", "quarter": "1"}))
    return {"dossiers": dossiers, "clients": clients, "api_headers": headers, "api_client": Client(), "export_token": token}


def _answer(response) -> int | str:
    if response.status_code == 302:
        location = response["Location"]
        return LOGIN if location.startswith(reverse("login")) else ANY_REDIRECT
    return response.status_code


def _visit(world, row: Row, ident, obj: str | None):
    kwargs = row.kwargs({"dossier": world["dossiers"][obj] if obj else None, "export_token": world["export_token"]})
    url = reverse(row.name, kwargs=kwargs) + (f"?{row.query}" if row.query else "")
    if row.api:
        client, extra = world["api_client"], world["api_headers"][ident]
    else:
        # A copy of the identity's client: a logout (or a new session) stays in this visit.
        client, extra = Client(), {}
        client.cookies = SimpleCookie(world["clients"][ident].cookies)
    with transaction.atomic():  # every visit sees the same data
        if row.method == "post":
            if row.api:
                response = client.post(url, row.data or {}, content_type="application/json", **extra)
            else:
                response = client.post(url, row.data or {}, **extra)
        else:
            response = client.get(url, **extra)
        transaction.set_rollback(True)
    return _answer(response)


def _label(ident) -> str:
    return "anonymous" if ident is None else f"{ident[0]}@{ident[1]}"


def test_authorisation_matrix(world):
    """Every row × every identity (× every dossier for dossier pages): the exact answer."""
    wrong, cells = [], 0
    for row in MATRIX:
        for obj in (PLACES if row.per_dossier else (None,)):
            for ident in IDENTITIES:
                expected = row.expect(ident, obj)
                got = _visit(world, row, ident, obj)
                cells += 1
                if got != expected:
                    wrong.append(f"{row.name}{'[' + obj + ']' if obj else ''} as {_label(ident)}: "
                                 f"expected {expected}, got {got}")
    print(f"\nauthz matrix: {len(MATRIX)} rows, {len(IDENTITIES)} identities, {cells} cells")
    assert not wrong, f"{len(wrong)} of {cells} cells wrong:\n" + "\n".join(wrong)


# --- the guard ------------------------------------------------------------------------------------


def _named_urls(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            if (ns or "") in EXCLUDED_NAMESPACES:
                continue
            yield from _named_urls(p.url_patterns, full)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}:{p.name}" if namespace else p.name


def test_every_named_url_is_in_the_matrix():
    named = set(_named_urls(get_resolver().url_patterns)) - EXCLUDED_NAMES
    covered = {row.name for row in MATRIX}
    assert named - covered == set(), "named URLs missing from the authorisation matrix (add them to MATRIX)"
    assert covered - named == set(), "rows for URLs that no longer exist"
