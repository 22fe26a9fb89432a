"""Personal data (Nghị định 13/2023): CCCD numbers and phones are masked in lists and logs and
shown in full only on the dossier page, to a user of one of the dossier's own units."""
from __future__ import annotations

import io
import logging
import logging.config
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dossiers.models import Dossier, StaffProfile
from dossiers.pii import mask_id_number, mask_phone, mask_text
from dossiers.roles import LEADER, OFFICER, role_group_name
from onecua.logging import PiiMaskingFilter
from tests.dossiers.test_intake_pages import intake_post, make_user, make_world, register

CCCD = "017190001234"  # the applicant of intake_post / register
PHONES = ("0912 345 678", "0912345678")


# --- the masking function ----------------------------------------------------------------------


def test_mask_id_number_and_phone():
    assert mask_id_number("001099012345") == "0010******45"
    assert mask_phone("0912345678") == "0912****78"
    assert mask_phone("0912 345 678") == "0912 *** *78"
    assert mask_id_number("") == "" and mask_phone(None) == ""


def test_masked_values_keep_too_few_digits_for_the_citizen_check():
    """The citizen's tracking page asks for the last four digits of the phone or CCCD
    (citizens.services): a masked value must not show them."""
    assert not mask_id_number(CCCD).endswith(CCCD[-4:])
    assert not mask_phone("0912345678").endswith("5678")


def test_mask_text_masks_cccd_and_phones_but_not_codes_dates_or_ids():
    text = ("INSERT … ('017190001234', '0912345678', '+84 912 345 678', '024.3825.1234') "
            "code 000.00.12.H23-260115-0001 at 2026-01-15 07:30:00 id 1234567 took (0.012)")
    masked = mask_text(text)
    for raw in ("017190001234", "0912345678", "912 345 678", "3825.1234"):
        assert raw not in masked
    for kept in ("000.00.12.H23-260115-0001", "2026-01-15 07:30:00", "id 1234567", "(0.012)"):
        assert kept in masked


def test_settings_logging_masks_on_every_handler():
    handlers = settings.LOGGING["handlers"]
    assert handlers, "LOGGING has no handler"
    for name, handler in handlers.items():
        filters = [settings.LOGGING["filters"][f].get("()") for f in handler.get("filters", [])]
        assert "onecua.logging.PiiMaskingFilter" in filters, f"handler {name} does not mask personal data"
    # Django's own default handlers (which do not mask) are not left on its loggers.
    assert settings.LOGGING["loggers"]["django"]["handlers"] == []


def test_celery_worker_handlers_get_the_filter():
    """A Celery worker replaces the root handlers; its signal hook adds the filter to them."""
    from onecua.logging import install_on_celery_handlers

    logger = logging.getLogger("celery-test-pii")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    # the logging state other tests leave (a worker's setup, logging.disable) is not this test's subject
    logger.disabled, previous_disable = False, logging.root.manager.disable
    logger.setLevel(logging.DEBUG)
    logging.disable(logging.NOTSET)
    try:
        install_on_celery_handlers(logger=logger)
        logger.propagate = False
        logger.warning("task for %s", CCCD)
        assert CCCD not in handler.stream.getvalue()
        assert mask_id_number(CCCD) in handler.stream.getvalue()
    finally:
        logger.removeHandler(handler)
        logging.disable(previous_disable)


# --- pages -------------------------------------------------------------------------------------


def make_pii_world():
    """make_world plus an officer and a leader of the agency, a province leader (a parent unit's
    leader: sees the dossiers, masked) and a district clerk."""
    w = make_world()
    w.officer = make_user("chuyenvien1", "Bùi Văn Minh", OFFICER, unit=w.agency)
    w.leader = make_user("lanhdao1", "Quách Thị Lan", LEADER, unit=w.agency)
    w.province_leader = make_user("lanhdaotinh", "Ngô Quang Minh", LEADER, unit=w.province)
    w.district_clerk = make_user("motcuahuyen", "Trần Thị Hằng", None, unit=w.district)
    w.district_clerk.groups.add(Group.objects.get(name=role_group_name("counter_clerk")))
    return w


@pytest.fixture
def world(db):
    return make_pii_world()


def _page(user, url) -> str:
    c = Client()
    c.force_login(user)
    response = c.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.django_db
def test_detail_page_full_for_own_units_masked_for_a_parent_leader(world):
    d = register(world)
    url = reverse("dossiers:detail", args=[d.code])
    for own in (world.clerk, world.officer, world.leader):  # receiving unit; resolving unit
        html = _page(own, url)
        assert CCCD in html and "0912345678" in html, own.username
    html = _page(world.province_leader, url)  # sees the dossier (subtree) but is not of its units
    assert CCCD not in html and "0912345678" not in html
    assert mask_id_number(CCCD) in html and mask_phone("0912345678") in html


@pytest.mark.django_db
def test_api_detail_full_for_own_units_masked_for_a_parent_leader(world):
    """The API follows the page: same keys, masked values for a leader above the dossier's units."""
    from rest_framework.test import APIClient

    d = register(world)
    url = f"/api/v1/dossiers/{d.code}/"
    for user, full in ((world.clerk, True), (world.leader, True), (world.province_leader, False)):
        c = APIClient()
        c.force_authenticate(user)
        applicant = c.get(url).json()["applicant"]
        if full:
            assert (applicant["id_number"], applicant["phone"]) == (CCCD, "0912345678"), user.username
        else:
            assert (applicant["id_number"], applicant["phone"]) == (mask_id_number(CCCD), mask_phone("0912345678"))


@pytest.mark.django_db
def test_lists_and_search_show_the_cccd_masked(world):
    d = register(world)
    pages = [
        reverse("dossiers:list", args=["processing"]),
        reverse("dossiers:search") + "?q=Hương",  # (a search by CCCD echoes what the clerk typed)
        reverse("dossiers:worklist"),
        reverse("dossiers:inbox"),
    ]
    seen_code = False
    for url in pages:
        c = Client()
        c.force_login(world.clerk)
        response = c.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        seen_code |= d.code in html
        assert CCCD not in html and "0912345678" not in html, url
    assert seen_code, "no list showed the dossier: the check proves nothing"


# --- logs: a whole flow at DEBUG, captured through the configured handlers -------------------------


@pytest.fixture
def captured_logs(settings):
    """settings.LOGGING applied as in production, at DEBUG, its console handler writing to a
    buffer; SQL statements with their parameters logged (force_debug_cursor)."""
    config = {**settings.LOGGING, "root": {**settings.LOGGING["root"], "level": "DEBUG"}}
    config["loggers"] = {**config.get("loggers", {}), "django": {"handlers": [], "level": "DEBUG", "propagate": True}}
    logging.config.dictConfig(config)
    root = logging.getLogger()
    buffer = io.StringIO()
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(buffer)
    assert any(isinstance(f, PiiMaskingFilter) for h in root.handlers for f in h.filters)
    connection.force_debug_cursor = True
    try:
        yield buffer
    finally:
        connection.force_debug_cursor = False
        logging.config.dictConfig(settings.LOGGING)


@pytest.mark.django_db(transaction=True)
def test_full_flow_at_debug_logs_no_raw_cccd_or_phone(world, captured_logs, monkeypatch):
    from monitoring.tasks import deadline_sweep_task, outbox_relay_task

    # Intake through the page (and a validation error), through the API (and a 400).
    page = Client()
    page.force_login(world.clerk)
    assert page.post(reverse("dossiers:intake"), intake_post(world, applicant_id_number="01719000123")).status_code == 200
    response = page.post(reverse("dossiers:intake"), intake_post(world))
    assert response.status_code == 302, response.content[:500]
    by_page = Dossier.objects.get(applicant_id_number=CCCD)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.clerk).key}")
    body = {"procedure": world.birth.code, "receiving_unit": world.centre.code, "channel": "direct",
            "applicant": {"name": "Nguyễn Thị Hương", "id_number": CCCD, "phone": "0912345678", "address": "Hòa Bình"}}
    bad = {**body, "applicant": {**body["applicant"], "id_number": CCCD + "9", "phone": "0912345678x"}}
    assert api.post("/api/v1/dossiers/", bad, format="json").status_code == 400
    response = api.post("/api/v1/dossiers/", body, format="json")
    assert response.status_code == 201, response.content
    code = response.json()["code"]

    # Actions: the hand-over by the clerk, assign by the leader (API), approve (page), return (API); a 409.
    assert api.post(f"/api/v1/dossiers/{code}/transfer/", {}, format="json").status_code == 200
    lead = APIClient()
    lead.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.leader).key}")
    r = lead.post(f"/api/v1/dossiers/{code}/assign/", {"officer": world.officer.username}, format="json")
    assert r.status_code == 200, r.content
    leader_page = Client()
    leader_page.force_login(world.leader)
    version = Dossier.objects.get(code=code).version
    bad_form = leader_page.post(reverse("dossiers:action", args=[code, "approve"]), {"approve-version": "x"})
    assert bad_form.status_code == 400  # a validation error on a page
    r = leader_page.post(reverse("dossiers:action", args=[code, "approve"]), {"approve-version": version})
    assert r.status_code == 302
    assert lead.post(f"/api/v1/dossiers/{code}/approve/", {}, format="json").status_code == 409
    assert api.post(f"/api/v1/dossiers/{code}/return-result/", {}, format="json").status_code == 200
    assert page.get(reverse("dossiers:detail", args=[by_page.code])).status_code == 200

    # A 500 on the API and on a page whose exception quotes the applicant (as an IntegrityError
    # detail would).
    def boom(*args, **kwargs):
        raise RuntimeError(f"Key (applicant_id_number, applicant_phone)=({CCCD}, 0912345678) exploded")

    monkeypatch.setattr("dossiers.api.views.detail_data", boom)
    monkeypatch.setattr("dossiers.views.processing._render_detail", boom)
    crashing = APIClient(raise_request_exception=False)
    crashing.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=world.clerk).key}")
    assert crashing.get(f"/api/v1/dossiers/{code}/").status_code == 500
    crashing_page = Client(raise_request_exception=False)
    crashing_page.force_login(world.clerk)
    assert crashing_page.get(reverse("dossiers:detail", args=[by_page.code])).status_code == 500

    # Celery tasks (eager): an overdue dossier flagged by the sweep, its message relayed.
    old = register(world, received_at=timezone.now() - timedelta(days=30))
    assert old.due_date < timezone.localdate()
    deadline_sweep_task.delay(trigger="test")
    outbox_relay_task.delay()

    logs = captured_logs.getvalue()
    assert "INSERT INTO" in logs and "Internal Server Error" in logs, "logs were not captured"
    assert mask_id_number(CCCD) in logs, "the applicant never reached a log record: the check proves nothing"
    for raw in (CCCD, *PHONES):
        assert raw not in logs, f"raw {raw!r} in the logs"


@pytest.mark.django_db
def test_staff_phone_is_not_the_applicant_but_is_masked_too(world, captured_logs):
    """Any phone number, not only the applicant's, is masked (the clerk's desk phone here)."""
    profile = StaffProfile.objects.get(user=world.clerk)
    logging.getLogger("dossiers").info("clerk desk phone %s", profile.phone)
    assert profile.phone not in captured_logs.getvalue()
