"""A clerk imported with ``import_staff`` and a password logs in for the first time: the pages
ask for a new password first, then the day starts on the worklist.
Screenshot: var/screenshots/first-login-password-change.png.
"""
import pytest
from django.contrib.auth.models import User

from dossiers.models import Unit
from dossiers.roles import roles_sync
from dossiers.services.staff_import import staff_import
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_first_login_asks_for_a_new_password_then_opens_the_worklist(page, screenshot):
    roles_sync()
    Unit.objects.create(code="000.00.01.H23", name="Trung tâm Phục vụ hành chính công tỉnh Hòa Bình",
                        level="province", kind="service_centre")
    staff_import(rows_or_file=[{"username": "motcua.moi", "full_name": "Lê Thị Mới", "unit_code": "000.00.01.H23",
                                "role": "clerk", "email": "", "password": "Hoa-ban-tren-nui-2026"}])
    login(page, "motcua.moi", "Hoa-ban-tren-nui-2026")
    assert page.url.startswith(page.base_url + "/doi-mat-khau/")
    assert "Vui lòng đặt mật khẩu mới" in page.inner_text("main")
    screenshot(page, "first-login-password-change", full_page=False)
    page.fill("#id_old_password", "Hoa-ban-tren-nui-2026")
    page.fill("#id_new_password1", "Suoi-Mo-Ha-Giang-77")
    page.fill("#id_new_password2", "Suoi-Mo-Ha-Giang-77")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == page.base_url + "/mot-cua/"
    assert "Đã đổi mật khẩu." in page.inner_text("body")
    assert User.objects.get(username="motcua.moi").check_password("Suoi-Mo-Ha-Giang-77")
