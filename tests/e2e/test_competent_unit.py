"""The counter page chooses the competent commune of a level procedure (D19), in a real browser.

Screenshots (var/screenshots/): competent-centre-suggested.png (the provincial centre, an old
address converted and its commune proposed), competent-centre-chosen.png (another commune chosen
with the keyboard), competent-centre-missing.png (saved without a commune: the error next to the
field, nothing lost), competent-commune-default.png (a commune's own counter: itself by default).
"""
import pytest

from dossiers.models import Counter, Dossier, Field, Procedure, Unit
from dossiers.roles import COUNTER_CLERK
from tests.dossiers.test_intake_pages import PASSWORD, make_user
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OLD_ADDRESS = "Tổ 5, phường Tân Thịnh, thành phố Hòa Bình, tỉnh Hòa Bình"


def _province():
    province = Unit.objects.create(code="000.00.00.H25", name="Ủy ban nhân dân tỉnh Phú Thọ", level="province",
                                   kind="people_committee", place="Phú Thọ")
    centre = Unit.objects.create(code="000.01.01.H25", name="Trung tâm Phục vụ hành chính công tỉnh Phú Thọ",
                                 level="province", kind="service_centre", parent=province, place="Phú Thọ")
    communes = {}
    for code, name, place in [("000.31.25.H25", "Ủy ban nhân dân phường Hòa Bình", "Hòa Bình"),
                              ("000.32.25.H25", "Ủy ban nhân dân xã Liên Sơn", "Liên Sơn"),
                              ("000.33.25.H25", "Ủy ban nhân dân xã Kim Bôi", "Kim Bôi")]:
        communes[place] = Unit.objects.create(code=code, name=name, level="commune", kind="people_committee",
                                              parent=province, place=place)
    Procedure.objects.create(code="1.001193", name="Thủ tục đăng ký khai sinh", field=Field.objects.create(name="Hộ tịch"),
                             processing_time=3, time_unit="working_days", resolving_level="commune",
                             documents="Tờ khai đăng ký khai sinh\nGiấy chứng sinh")
    clerk = make_user("motcua.tinh", "Trần Thị Lan", COUNTER_CLERK, unit=centre)
    counter = Counter.objects.create(unit=communes["Liên Sơn"], number=1, name="Quầy 1")
    commune_clerk = make_user("motcua.lienson", "Lê Văn Bình", COUNTER_CLERK, unit=communes["Liên Sơn"], counter=counter)
    return centre, communes, clerk, commune_clerk


def _choose_procedure(page):
    page.goto(page.base_url + "/tiep-nhan/")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'procedure-q'")
    page.keyboard.type("khai sinh")
    page.wait_for_selector("#procedure-results li[role=option]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#competent-field:not([hidden])")


def test_centre_clerk_chooses_the_competent_commune(page, screenshot):
    centre, communes, clerk, _ = _province()
    login(page, clerk.username, PASSWORD)
    _choose_procedure(page)
    assert page.input_value("#id_resolving_unit") == ""  # the centre is no commune: no default
    page.keyboard.press("Alt+a")
    page.fill("#id_applicant_name", "Nguyễn Thị Mai")
    page.fill("#id_applicant_id_number", "025190001234")
    page.fill("#id_applicant_address", OLD_ADDRESS)
    # the old address: converted and shown, its new commune proposed; the address is not touched
    page.wait_for_selector("#address-convert:not([hidden])", timeout=60000)
    assert page.inner_text("#address-convert-text") == "Tổ 5, Phường Hòa Bình, Tỉnh Phú Thọ"
    page.wait_for_selector("#competent-suggest:not([hidden])")
    assert "Ủy ban nhân dân phường Hòa Bình (000.31.25.H25)" in page.inner_text("#competent-suggest")
    assert page.input_value("#id_applicant_address") == OLD_ADDRESS
    screenshot(page, "competent-centre-suggested", full_page=False)
    page.keyboard.press("Alt+x")  # take the proposal
    assert page.input_value("#id_resolving_unit") == "000.31.25.H25"

    # … but the applicant asks for Kim Bôi: type, ↓, Enter
    page.fill("#competent-q", "")
    page.click("#competent-q")
    page.keyboard.type("kim boi")
    # the list of the typed words (an earlier answer, for the empty box, may show first)
    page.wait_for_function("() => document.querySelectorAll('#competent-results li[role=option]').length === 1")
    assert "Kim Bôi" in page.inner_text("#competent-results")
    page.keyboard.press("Enter")
    assert page.input_value("#id_resolving_unit") == "000.33.25.H25"
    assert page.input_value("#competent-q") == "Ủy ban nhân dân xã Kim Bôi (000.33.25.H25)"
    screenshot(page, "competent-centre-chosen", full_page=False)
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    d = Dossier.objects.get()
    assert (d.receiving_unit_id, d.resolving_unit_id) == (centre.pk, communes["Kim Bôi"].pk)
    assert d.applicant_address == OLD_ADDRESS  # never silently rewritten


def test_centre_clerk_saving_without_a_commune_sees_the_error_and_keeps_the_input(page, screenshot):
    _centre, _communes, clerk, _ = _province()
    login(page, clerk.username, PASSWORD)
    _choose_procedure(page)
    page.keyboard.press("Alt+a")
    page.fill("#id_applicant_name", "Nguyễn Thị Mai")
    page.fill("#id_applicant_address", "Thôn Đông, xã Bình Minh")  # no commune of ours: no proposal
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert not Dossier.objects.exists()
    field = page.locator("#competent-field")
    assert field.is_visible()
    assert "chọn cơ quan giải quyết (3 đơn vị)" in field.inner_text()
    assert page.input_value("#id_applicant_name") == "Nguyễn Thị Mai"
    screenshot(page, "competent-centre-missing", full_page=False)


def test_commune_clerk_gets_the_own_commune_by_default(page, screenshot):
    _centre, communes, _, commune_clerk = _province()
    login(page, commune_clerk.username, PASSWORD)
    _choose_procedure(page)
    page.wait_for_function("() => document.querySelector('#id_resolving_unit').value === '000.32.25.H25'")
    assert page.input_value("#competent-q") == "Ủy ban nhân dân xã Liên Sơn (000.32.25.H25)"
    page.keyboard.press("Alt+a")
    page.fill("#id_applicant_name", "Phạm Văn Cường")
    screenshot(page, "competent-commune-default", full_page=False)
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    d = Dossier.objects.get()
    assert d.receiving_unit_id == d.resolving_unit_id == communes["Liên Sơn"].pk
