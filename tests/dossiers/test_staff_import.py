"""``import_staff FILE.csv`` (interfaces.md "Organisation and catalogue") and the first-login
password change it leads to (``/doi-mat-khau/``).

Columns ``username, full_name, unit_code, role, email[, password]``; roles clerk, officer,
leader, administrator; all or nothing with ``line N, column C: reason``; a password passes the
validators, is stored hashed and must be changed at the first login on the pages (the token
endpoint accepts it); without one, an unusable password.
"""
from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from dossiers.models import Counter, StaffProfile, Unit
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync, user_roles
from dossiers.services.catalogue import ImportFileError
from dossiers.services.staff_import import staff_import

pytestmark = pytest.mark.django_db

HEADER = "username,full_name,unit_code,role,email,password\n"
GOOD_PASSWORD = "Hoa-ban-tren-nui-2026"


@pytest.fixture
def units(db):
    roles_sync()
    return {
        "stp": Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency"),
        "centre": Unit.objects.create(code="000.00.01.H23", name="Trung tâm PVHCC", level="province",
                                      kind="service_centre"),
        "old": Unit.objects.create(code="000.00.98.H23", name="UBND huyện Kỳ Sơn", level="district",
                                   kind="people_committee", valid_to=date(2019, 12, 31)),
    }


def csv_file(tmp_path, text: str):
    path = tmp_path / "staff.csv"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path) -> list[str]:
    with pytest.raises(ImportFileError) as info:
        staff_import(rows_or_file=path)
    return info.value.lines


def accounts() -> list[tuple]:
    return sorted(
        (u.username, u.get_full_name(), u.email, u.staff.unit.code, sorted(user_roles(u)), u.has_usable_password(),
         u.staff.password_change_required, u.is_staff)
        for u in User.objects.select_related("staff__unit")
    )


def test_import_creates_accounts_with_roles_units_and_hashed_passwords(tmp_path, units):
    path = csv_file(tmp_path, HEADER + (
        f"motcua.tinh2,Nguyễn Thị Hoa,000.00.01.H23,clerk,hoa@hoabinh.gov.vn,{GOOD_PASSWORD}\n"
        "chuyenvien.stp2,Bùi Văn Minh,000.00.12.H23,officer,,\n"
        f"lanhdao.stp2,Quách Thị Lan,000.00.12.H23,leader,lan@hoabinh.gov.vn,{GOOD_PASSWORD}\n"
        f"quantri2,Đinh Công Quản,000.00.01.H23,administrator,quan@hoabinh.gov.vn,{GOOD_PASSWORD}\n"
    ))
    call_command("import_staff", str(path))
    assert accounts() == [
        ("chuyenvien.stp2", "Bùi Văn Minh", "", "000.00.12.H23", [OFFICER], False, False, False),
        ("lanhdao.stp2", "Quách Thị Lan", "lan@hoabinh.gov.vn", "000.00.12.H23", [LEADER], True, True, False),
        ("motcua.tinh2", "Nguyễn Thị Hoa", "hoa@hoabinh.gov.vn", "000.00.01.H23", [COUNTER_CLERK], True, True, False),
        ("quantri2", "Đinh Công Quản", "quan@hoabinh.gov.vn", "000.00.01.H23", ["administrator"], True, True, True),
    ]
    hoa = User.objects.get(username="motcua.tinh2")
    assert (hoa.first_name, hoa.last_name) == ("Nguyễn Thị", "Hoa")
    assert hoa.password != GOOD_PASSWORD and hoa.check_password(GOOD_PASSWORD)  # stored hashed


def test_reimport_updates_by_username_and_leaves_other_accounts_alone(tmp_path, units):
    staff_import(rows_or_file=csv_file(tmp_path, HEADER + (
        f"a.nguyen,Nguyễn Văn A,000.00.12.H23,officer,a@x.vn,{GOOD_PASSWORD}\n"
        "b.tran,Trần Thị B,000.00.12.H23,clerk,,\n"
    )))
    User.objects.get(username="a.nguyen").groups.add(Group.objects.create(name="Tổ công tác số 1"))
    counter = Counter.objects.create(unit=units["stp"], number=1, name="Quầy 1")
    StaffProfile.objects.filter(user__username="b.tran").update(counter=counter)
    again = staff_import(rows_or_file=csv_file(tmp_path, HEADER + (
        f"a.nguyen,Nguyễn Văn An,000.00.01.H23,leader,an@x.vn,{GOOD_PASSWORD}\n"
    )))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 0)
    a = User.objects.get(username="a.nguyen")
    assert (a.get_full_name(), a.email, a.staff.unit.code) == ("Nguyễn Văn An", "an@x.vn", "000.00.01.H23")
    assert sorted(a.groups.values_list("name", flat=True)) == sorted([role_group_name(LEADER), "Tổ công tác số 1"])
    b = User.objects.get(username="b.tran")  # not in the second file: untouched
    assert (b.get_full_name(), b.staff.counter, sorted(user_roles(b))) == ("Trần Thị B", counter, [COUNTER_CLERK])
    # the same file a third time changes nothing
    same = staff_import(rows_or_file=csv_file(tmp_path, HEADER + (
        f"a.nguyen,Nguyễn Văn An,000.00.01.H23,leader,an@x.vn,{GOOD_PASSWORD}\n"
    )))
    assert (same.created, same.updated, same.unchanged) == (0, 0, 1)


def test_reimport_never_replaces_a_password_the_person_chose(tmp_path, units, client):
    path = csv_file(tmp_path, HEADER + f"a.nguyen,Nguyễn Văn A,000.00.12.H23,officer,,{GOOD_PASSWORD}\n")
    staff_import(rows_or_file=path)
    a = User.objects.get(username="a.nguyen")
    a.set_password("Mat-khau-rieng-cua-toi-9")
    a.save()
    StaffProfile.objects.filter(user=a).update(password_change_required=False)  # as the change page does
    staff_import(rows_or_file=path)
    a.refresh_from_db()
    assert a.check_password("Mat-khau-rieng-cua-toi-9") and not a.staff.password_change_required


def test_a_password_given_later_applies_to_an_account_without_one(tmp_path, units):
    staff_import(rows_or_file=csv_file(tmp_path, HEADER + "a.nguyen,Nguyễn Văn A,000.00.12.H23,officer,,\n"))
    assert not User.objects.get(username="a.nguyen").has_usable_password()
    staff_import(rows_or_file=csv_file(tmp_path, HEADER + f"a.nguyen,Nguyễn Văn A,000.00.12.H23,officer,,{GOOD_PASSWORD}\n"))
    a = User.objects.get(username="a.nguyen")
    assert a.check_password(GOOD_PASSWORD) and a.staff.password_change_required


def test_the_file_without_a_password_column_is_accepted(tmp_path, units):
    path = csv_file(tmp_path, "username,full_name,unit_code,role,email\na.nguyen,Nguyễn Văn A,000.00.12.H23,officer,\n")
    assert staff_import(rows_or_file=path).created == 1


LONG_NAME = "Nguyễn " * 714 + "An"  # 5,000 characters


BAD_FILES = {
    "unknown unit": (
        "a.nguyen,Nguyễn Văn A,000.00.77.H23,officer,,\n",
        ["line 3, column unit_code: unknown unit 000.00.77.H23"],
    ),
    "ended unit": (
        "a.nguyen,Nguyễn Văn A,000.00.98.H23,officer,,\n",
        ["line 3, column unit_code: unit 000.00.98.H23 ended on 2019-12-31"],
    ),
    "bad role": (
        "a.nguyen,Nguyễn Văn A,000.00.12.H23,chuyenvien,,\n",
        ["line 3, column role: “chuyenvien” is not allowed (one of: clerk, officer, leader, administrator)"],
    ),
    "duplicate username": (
        "b.tran,Trần Thị B,000.00.12.H23,clerk,,\n",
        ["line 3, column username: duplicate username b.tran (first on line 2)"],
    ),
    "weak password": (
        "a.nguyen,Nguyễn Văn A,000.00.12.H23,officer,,12345678\n",
        ["line 3, column password: This password is too short. It must contain at least 10 characters.; "
         "This password is too common.; This password is entirely numeric."],
    ),
    "password like the username": (
        "a.nguyen,Nguyễn Văn A,000.00.12.H23,officer,,a.nguyen.2026\n",
        ["line 3, column password: The password is too similar to the username."],
    ),
    "NUL byte": (
        "a.ng\x00uyen,Nguyễn Văn A,000.00.12.H23,officer,,\n",
        ["line 3, column username: contains a control character (U+0000)"],
    ),
    "5,000-character name": (
        f"a.nguyen,{LONG_NAME},000.00.12.H23,officer,,\n",
        ["line 3, column full_name: too long (5000 characters, at most 150)"],
    ),
    "bad username and e-mail, missing name": (
        "a nguyen!,,000.00.12.H23,officer,not-an-email,\n",
        ["line 3, column username: “a nguyen!” is not a valid username (letters, digits and @ . + - _ only)",
         "line 3, column full_name: required value missing",
         "line 3, column email: “not-an-email” is not a valid e-mail address"],
    ),
}


@pytest.mark.parametrize("row, expected", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_row_refuses_the_whole_file(tmp_path, units, row, expected):
    """A good row first: it is not written either."""
    path = csv_file(tmp_path, HEADER + "b.tran,Trần Thị B,000.00.12.H23,clerk,,\n" + row)
    assert errors_of(path) == expected
    assert not User.objects.exists()


def test_the_command_prints_every_error_and_exits_non_zero(tmp_path, units, capsys):
    path = csv_file(tmp_path, HEADER + "a.nguyen,Nguyễn Văn A,000.00.77.H23,boss,,\n")
    with pytest.raises(CommandError, match=r"2 error\(s\); nothing was imported"):
        call_command("import_staff", str(path))
    assert capsys.readouterr().err.splitlines() == [
        "line 2, column unit_code: unknown unit 000.00.77.H23",
        "line 2, column role: “boss” is not allowed (one of: clerk, officer, leader, administrator)",
    ]
    assert not User.objects.exists()


def test_dry_run_writes_nothing(tmp_path, units):
    path = csv_file(tmp_path, HEADER + "a.nguyen,Nguyễn Văn A,000.00.12.H23,officer,,\n")
    assert staff_import(rows_or_file=path, dry_run=True).created == 1
    assert not User.objects.exists()


def test_a_header_missing_a_column_is_refused(tmp_path, units):
    assert errors_of(csv_file(tmp_path, "username,full_name,unit_code,email\n")) == [
        "line 1, column role: missing required column"
    ]


# --- the first login --------------------------------------------------------------------------


@pytest.fixture
def imported(tmp_path, units):
    staff_import(rows_or_file=csv_file(tmp_path, HEADER + f"motcua.moi,Lê Thị Mới,000.00.01.H23,clerk,,{GOOD_PASSWORD}\n"))
    return User.objects.get(username="motcua.moi")


def test_first_login_leads_to_the_password_change_until_a_new_one_is_saved(client, imported):
    response = client.post("/login/", {"username": "motcua.moi", "password": GOOD_PASSWORD, "next": "/mot-cua/"})
    assert response.status_code == 302 and response["Location"] == "/mot-cua/"
    page = client.get("/mot-cua/")
    assert page.status_code == 302 and page["Location"] == "/doi-mat-khau/?next=/mot-cua/"
    form = client.get(page["Location"])
    html = form.content.decode()
    assert form.status_code == 200
    assert "Vui lòng đặt mật khẩu mới trước khi tiếp tục làm việc." in html
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'name="{name}"' in html
    # a weak new password is refused next to its field; still required
    weak = client.post("/doi-mat-khau/?next=/mot-cua/", {"old_password": GOOD_PASSWORD, "new_password1": "123",
                                                           "new_password2": "123", "next": "/mot-cua/"})
    assert weak.status_code == 200 and client.get("/mot-cua/").status_code == 302
    saved = client.post("/doi-mat-khau/", {"old_password": GOOD_PASSWORD, "new_password1": "Suoi-Mo-Ha-Giang-77",
                                           "new_password2": "Suoi-Mo-Ha-Giang-77", "next": "/mot-cua/"})
    assert saved.status_code == 302 and saved["Location"] == "/mot-cua/"
    assert client.get("/mot-cua/").status_code == 200  # the same session goes on
    imported.refresh_from_db()
    assert imported.check_password("Suoi-Mo-Ha-Giang-77") and not imported.staff.password_change_required
    client.logout()
    assert client.login(username="motcua.moi", password="Suoi-Mo-Ha-Giang-77")
    assert client.get("/mot-cua/").status_code == 200  # asked once only


def test_the_token_endpoint_accepts_the_imported_password(imported):
    response = APIClient().post("/api/v1/auth/token/", {"username": "motcua.moi", "password": GOOD_PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


def test_an_account_without_a_password_cannot_log_in(tmp_path, units, client):
    staff_import(rows_or_file=csv_file(tmp_path, HEADER + "a.nguyen,Nguyễn Văn A,000.00.12.H23,officer,,\n"))
    assert not client.login(username="a.nguyen", password="")
    response = APIClient().post("/api/v1/auth/token/", {"username": "a.nguyen", "password": "anything-at-all"})
    assert response.status_code == 400


def test_staff_without_the_requirement_are_never_redirected(client, units):
    u = User.objects.create_user("chuyenvien.cu", password="Mat-khau-cu-2026")
    StaffProfile.objects.create(user=u, unit=units["stp"])
    client.force_login(u)
    assert client.get("/doi-mat-khau/").status_code == 200  # the page is there for everyone
    assert "Vui lòng đặt mật khẩu mới" not in client.get("/doi-mat-khau/").content.decode()
