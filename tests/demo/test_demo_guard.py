"""The demo commands refuse a production database, and never touch an account they did not create."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from demo.guard import MSG_REFUSED
from demo.models import DemoAccount
from dossiers.models import Counter, Dossier, StaffProfile, Unit

ROOT = Path(__file__).resolve().parents[2]
User = get_user_model()
DEMO_COMMANDS = ["load_demo", "load_demo_dossiers", "load_demo_citizens", "load_demo_papers"]


@pytest.mark.django_db
@pytest.mark.parametrize("command", DEMO_COMMANDS)
def test_every_demo_command_refuses_without_debug_and_writes_nothing(command, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError) as info:
        call_command(command, stdout=io.StringIO())
    assert str(info.value) == MSG_REFUSED
    assert (Unit.objects.count(), User.objects.count(), Counter.objects.count(), Dossier.objects.count()) == (0, 0, 0, 0)


@pytest.mark.django_db
def test_force_loads_the_demo_without_debug(settings):
    settings.DEBUG = False
    call_command("load_demo", "--force", stdout=io.StringIO())
    assert Unit.objects.filter(code="000.01.01.H23").exists()
    assert DemoAccount.objects.count() == User.objects.count() == 17


@pytest.mark.django_db
def test_an_existing_account_with_a_demo_username_is_left_alone(settings):
    """Somebody's real account named like a demo one: same password, no profile, no groups, and
    the command says it left it alone; the other demo accounts are created as usual."""
    settings.DEBUG = True
    own = User.objects.create_user(username="lanhdao.xa", password="Mật-khẩu-riêng-2026", first_name="Thật",
                                   is_staff=False)
    before = (own.password, own.first_name, own.is_staff, own.is_superuser)
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    own.refresh_from_db()
    assert (own.password, own.first_name, own.is_staff, own.is_superuser) == before
    assert own.check_password("Mật-khẩu-riêng-2026") and not own.check_password("onecua2026")
    assert not StaffProfile.objects.filter(user=own).exists()
    assert list(own.groups.all()) == []
    assert not DemoAccount.objects.filter(user=own).exists()
    assert "lanhdao.xa" in out.getvalue().split("tạo ra:")[1]
    assert User.objects.get(username="lanhdao.stp").check_password("onecua2026")
    # and a second run still leaves it alone
    call_command("load_demo", stdout=io.StringIO())
    own.refresh_from_db()
    assert own.check_password("Mật-khẩu-riêng-2026")


def test_manage_py_load_demo_exits_non_zero_on_a_production_setting(tmp_path):
    """The real command line, DEBUG=false, a migrated empty database: exit status 1, nothing written."""
    db = tmp_path / "prod.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    env.update({"DEBUG": "false", "SECRET_KEY": "x" * 50, "DATABASE_URL": f"sqlite:///{db}",
                "CELERY_BROKER_URL": "memory://", "REDIS_URL": ""})
    run = lambda *args: subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=300)
    migrated = run("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    refused = run("load_demo")
    assert refused.returncode == 1
    assert "DEBUG=true" in refused.stderr and "--force" in refused.stderr
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM dossiers_unit").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM auth_user").fetchone() == (0,)
