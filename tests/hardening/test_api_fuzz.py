"""API fuzzing (issue #8 item 1): schemathesis against /api/schema/ for every operation, as
every role and anonymously, in-process on the WSGI app and the test database.

Checks on every answer: no 5xx; the status code, content type and body are the ones the
schema documents; every 4xx body is ``{"detail": "…", "errors": {field: ["…"]}}``
(interfaces.md). Path codes are drawn half of the time from real dossiers (in several states,
in and outside the caller's unit) so that requests reach the services, not only the 404.

Bounded: ``ONECUA_FUZZ_EXAMPLES`` examples per operation and identity (default 8; about 25 s
on this machine for 17 operations × 5 identities). Examples are derandomized (the same every
run, as CI needs); ``ONECUA_FUZZ_RANDOM=1`` explores new ones. Each example runs in a
savepoint that is rolled back, so every example starts from the same data.
"""
from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dossiers.models import StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER
from dossiers.services import lifecycle as svc
from onecua.wsgi import application
from tests.dossiers.lifecycle_fixtures import org, procedures  # noqa: F401 (fixtures)
from tests.dossiers.lifecycle_fixtures import APPLICANT, at, register
from tests.factories import UserFactory

MAX_EXAMPLES = int(os.environ.get("ONECUA_FUZZ_EXAMPLES", "8"))
DERANDOMIZE = os.environ.get("ONECUA_FUZZ_RANDOM", "") not in {"1", "true"}
IDENTITIES = ["anonymous", COUNTER_CLERK, OFFICER, LEADER, ADMINISTRATOR]
#: what each identity's run saw, for the summary line (var/readme/sec.md figures)
SEEN: dict[str, Counter] = {}


def error_shape(ctx, response, case):
    """Every 4xx answer is {"detail": "non-empty text", "errors": {"field": ["text", …]}}."""
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"detail", "errors"}, f"error body {body!r}"
    assert isinstance(body["detail"], str) and body["detail"].strip(), f"empty detail in {body!r}"
    errors = body["errors"]
    assert isinstance(errors, dict), f"errors is not an object in {body!r}"
    for field, messages in errors.items():
        assert isinstance(field, str) and isinstance(messages, list) and messages, f"errors[{field!r}] in {body!r}"
        assert all(isinstance(m, str) and m for m in messages), f"errors[{field!r}] in {body!r}"
    return True


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          error_shape]


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the database connection after each request (request_finished →
    close_old_connections), which would close the test transaction's connection on PostgreSQL;
    Django's test client disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(org, procedures, settings, keep_connection):
    """Staff of every role (clerk at the centre, officer and leader at the justice department,
    an administrator without a unit, who sees everything), and dossiers in several states at justice and one at construction (a unit the
    officer does not belong to)."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    units = {COUNTER_CLERK: org["centre"], OFFICER: org["justice"], LEADER: org["justice"], ADMINISTRATOR: None}
    users = {}
    for role, unit in units.items():
        user = UserFactory(username=f"fuzz.{role}", role=role)
        if unit is not None:
            StaffProfile.objects.create(user=user, unit=unit)
        users[role] = user
    clerk, officer, leader = users[COUNTER_CLERK], users[OFFICER], users[LEADER]
    received = register(procedures["days5"], org, received_at=at(2022, 3, 1, 9), actor=clerk)
    def handed(d):  # the counter's hand-over (D18)
        return svc.dossier_transfer(dossier=d, actor=clerk, at=d.received_at)

    processing = svc.dossier_assign(
        dossier=handed(register(procedures["days10"], org, received_at=at(2022, 3, 2, 9), actor=clerk)),
        actor=leader, officer=officer, at=at(2022, 3, 2, 10))
    paused = svc.dossier_request_supplement(
        dossier=svc.dossier_assign(dossier=handed(register(procedures["days3"], org, received_at=at(2022, 3, 3, 9), actor=clerk)),
                                   actor=officer, officer=officer, at=at(2022, 3, 3, 10)),
        actor=officer, reason="Thiếu tờ khai", at=at(2022, 3, 4, 9))
    approved = svc.dossier_approve(dossier=handed(register(procedures["days5"], org, received_at=at(2022, 3, 4, 9), actor=clerk)),
                                   actor=leader, at=at(2022, 3, 7, 9))
    submitted = register(procedures["days5"], org, received_at=at(2022, 3, 8, 9), channel="online", submit_only=True)
    elsewhere = register(procedures["cal15"], org, received_at=at(2022, 3, 9, 9), actor=clerk)
    codes = [d.code for d in (received, processing, paused, approved, submitted, elsewhere)]
    tokens = {role: Token.objects.create(user=user).key for role, user in users.items()}
    return {"codes": codes, "tokens": tokens, "procedures": [p.code for p in procedures.values()],
            "units": list(Unit.objects.values_list("code", flat=True))}


def _fuzz_operation(operation, *, headers, world, seen: Counter):
    strategy = operation.as_strategy()

    @hsettings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
               suppress_health_check=list(HealthCheck))
    @given(case=strategy, real=st.booleans(), code=st.sampled_from(world["codes"]))
    def run(case, real, code):
        if real and "code" in (case.path_parameters or {}):
            case.path_parameters["code"] = code
        if real and isinstance(case.body, dict):
            # Half of the bodies name real catalogue entries, to get past the first 400.
            if "procedure" in case.body:
                case.body["procedure"] = world["procedures"][0]
            if "receiving_unit" in case.body:
                case.body["receiving_unit"] = world["units"][1]
        with transaction.atomic():
            response = case.call(headers=headers)
            seen[f"{response.status_code}"] += 1
            transaction.set_rollback(True)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_operation_as_every_identity(identity, world, db):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {} if identity == "anonymous" else {"Authorization": f"Token {world['tokens'][identity]}"}
    seen: Counter = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17  # token, list, intake, detail, 11 actions, 2 reports
    for operation in operations:
        _fuzz_operation(operation, headers=headers, world=world, seen=seen)
    SEEN[identity] = seen
    print(f"\nfuzz {identity}: {len(operations)} operations × {MAX_EXAMPLES} examples, "
          f"{sum(seen.values())} requests, status codes {dict(sorted(seen.items()))}")
    if identity == "anonymous":
        assert set(seen) <= {"200", "400", "401", "429"}  # only the token endpoint answers without credentials
