"""The example national-portal connector (scripts/portal_connector.py) end to end: started as
its own process, subscribed through the API, fed by a dossier's life through the relay."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from connected.services.webhooks import subscription_create
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from tests.connected.receivers import free_port
from tests.monitoring.conftest import register

pytestmark = pytest.mark.django_db
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "portal_connector.py"


def test_the_connector_prints_the_mapped_status_of_each_event(world, tmp_path):
    port = free_port()
    out = tmp_path / "connector.out"
    with open(out, "w") as f:
        proc = subprocess.Popen([sys.executable, str(SCRIPT), "--port", str(port), "--secret", "khoa-cong-quoc-gia"],
                                stdout=f, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening" in proc.stderr.readline()
        subscription_create(url=f"http://127.0.0.1:{port}/onecua", secret="khoa-cong-quoc-gia")
        wrong = subscription_create(url=f"http://127.0.0.1:{port}/onecua", secret="khoa-sai")
        w = world
        d = register(w, w.days5, None)
        d = lifecycle.dossier_transfer(dossier=d, actor=w.clerk)  # the counter's hand-over (D18)
        d = lifecycle.dossier_assign(dossier=d, actor=w.lead_just, officer=w.off_just)
        d = lifecycle.dossier_request_supplement(dossier=d, actor=w.off_just, reason="Thiếu tờ khai")
        d = lifecycle.dossier_resume(dossier=d, actor=w.clerk)
        new_date = calendar_get().add_working_days(d.due_date, 3)  # a working day after D
        d = lifecycle.dossier_apologize(dossier=d, actor=w.lead_just, new_date=new_date, reason="Chờ xác minh")
        d = lifecycle.dossier_refuse(dossier=d, actor=w.lead_just, reason="Không đủ điều kiện")
        d = lifecycle.dossier_return_result(dossier=d, actor=w.clerk)
        call_command("outbox_relay", stdout=open("/dev/null", "w"))
        time.sleep(0.3)
        lines = [json.loads(line) for line in out.read_text().splitlines()]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert [(x["type"], x["status"], x["portal_code"]) for x in lines] == [
        ("dossier.received", "received", "TIEP_NHAN"),
        ("dossier.transferred", "in_processing", "DANG_XU_LY"),
        ("dossier.supplement_requested", "awaiting_supplement", "YEU_CAU_BO_SUNG"),
        ("dossier.supplement_received", "in_processing", "DANG_XU_LY"),
        ("dossier.apologized", "in_processing", "HEN_LAI"),
        ("dossier.refused", "refused", "TU_CHOI"),
        ("dossier.returned", "returned", "DA_TRA_KET_QUA"),
    ]
    assert {x["code"] for x in lines} == {d.code}
    assert lines[4]["appointment_date"] == d.appointment_date.isoformat()
    # the subscription with the wrong secret was answered 401: nothing printed, retried later
    assert wrong.deliveries.filter(state="pending", last_status=401).count() == 1
