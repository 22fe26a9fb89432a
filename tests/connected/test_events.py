"""The pure parts: signatures, the event and notice tables, template placeholders, and the
direction of imports (dossiers and monitoring never import the connected app)."""
from __future__ import annotations

from pathlib import Path

import pytest

from connected import events as ev
from connected import notice_text
from connected.notice_defaults import DEFAULTS
from dossiers.workflow import Action

ROOT = Path(__file__).resolve().parents[2]


def test_the_signature_is_hmac_sha256_of_the_raw_body():
    raw = b'{"id":"1","type":"dossier.received"}'
    # printf '%s' '{"id":"1","type":"dossier.received"}' | openssl dgst -sha256 -hmac khoa
    expected = "sha256=06004382b2250e326f28fb61925e8c1c5711b380623cf8ca49fe3e29fd2c6898"
    assert ev.signature("khoa", raw) == expected
    assert ev.signature_valid("khoa", raw, expected)
    assert not ev.signature_valid("khoa-khac", raw, expected)
    assert not ev.signature_valid("khoa", raw + b" ", expected)
    assert not ev.signature_valid("khoa", raw, None)


def test_the_body_bytes_are_compact_sorted_utf8():
    assert ev.body_bytes({"b": 1, "a": "Hồ sơ"}) == '{"a":"Hồ sơ","b":1}'.encode()


@pytest.mark.parametrize("events, event_type, wanted", [
    (["*"], "dossier.returned", True),
    (["dossier.received"], "dossier.received", True),
    (["dossier.received"], "dossier.returned", False),
])
def test_wants(events, event_type, wanted):
    assert ev.wants(events, event_type) is wanted


def test_the_lead_engineers_actions_have_their_events_and_notices():
    """interfaces.md types for the actions of the new lifecycle; D22's seven notices."""
    assert ev.ACTION_EVENT_TYPES["stop"] == "dossier.stopped"
    assert ev.ACTION_EVENT_TYPES["send-back"] == "dossier.sent_back"
    assert "assign" not in ev.ACTION_EVENT_TYPES
    assert set(ev.ACTION_NOTICES.values()) == set(ev.NOTICE_KINDS) == {
        "received", "supplement", "apology", "result", "refused", "stopped", "returned"}
    for action in ev.ACTION_NOTICES:
        assert action in Action.values or action in ("receive", "stop")


def test_every_default_template_is_valid_and_both_channels_exist():
    for (kind, channel), (subject, body) in DEFAULTS.items():
        assert notice_text.template_errors(subject) == [] and notice_text.template_errors(body) == [], (kind, channel)
    assert {k for k, _c in DEFAULTS} == set(ev.NOTICE_KINDS)
    assert all((k, c) in DEFAULTS for k in ev.NOTICE_KINDS for c in ("email", "sms"))


@pytest.mark.parametrize("text, errors", [
    ("Hồ sơ {ma_ho_so}", 0),
    ("Hồ sơ {ma_ho_so} của {so_cccd}", 1),
    ("Hồ sơ {ma_ho_so.__class__}", 1),
    ("Hồ sơ {ma_ho_so", 1),
    ("{dien_thoai} {so_cccd} {dien_thoai}", 2),
])
def test_template_errors(text, errors):
    assert len(notice_text.template_errors(text)) == errors


def test_dossiers_and_monitoring_never_import_the_connected_app():
    for app in ("dossiers", "monitoring"):
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "import connected" not in text and "from connected" not in text, path
