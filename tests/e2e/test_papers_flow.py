"""In the browser: a clerk attaches scans at intake (pages joined, a paper reused), the leader
approves with a result that OneCua signs, the citizen downloads it. Screenshots in var/screenshots/."""
from __future__ import annotations

import pytest

from dossiers.models import Dossier
from papers.models import Document
from tests.e2e.conftest import login
from tests.papers.conftest import APPLICANT_ID, CHECKLIST, api, jpeg_bytes, pdf_bytes, png_bytes, receive, upload
from tests.papers.conftest import fs_store, org, pkcs12_key, test_ca  # noqa: F401 (fixtures; the browser is tests/e2e's)
from dossiers.services import lifecycle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _file(name, mime, data):
    return {"name": name, "mimeType": mime, "buffer": data}


def test_scans_at_intake_signed_result_and_the_citizens_download(page, screenshot, org, fs_store, pkcs12_key):  # noqa: F811
    earlier = receive(org)
    upload(api(org.clerk), earlier, jpeg_bytes(), name="cccd.jpg", item=3)
    pg = page
    login(pg, "clerk", "mat-khau-123")
    pg.goto(pg.base_url + f"/tiep-nhan/?procedure={org.birth.code}")
    pg.fill("#id_applicant_name", "Nguyễn Văn An")
    pg.fill("#id_applicant_id_number", APPLICANT_ID)
    pg.wait_for_selector("select[name='reuse-2']")
    assert pg.locator("select[name='reuse-2']").input_value() != ""  # the earlier CCCD scan is offered and chosen
    pg.set_input_files("input[name='scan-0']", [_file("to-khai-1.jpg", "image/jpeg", jpeg_bytes()),
                                               _file("to-khai-2.png", "image/png", png_bytes((30, 30, 200)))])
    pg.set_input_files("input[name='scan-1']", [_file("giay-chung-sinh.pdf", "application/pdf", pdf_bytes())])
    assert pg.locator("tr:has(input[name='scan-0']) .thumbs img").count() == 2
    assert pg.locator("#papers-summary").inner_text() == "Đã số hóa 3/3 giấy tờ"
    screenshot(pg, "papers-intake-attachments")
    pg.click("#save")
    pg.wait_for_load_state("networkidle")
    d = Dossier.objects.exclude(pk=earlier.pk).get()
    docs = {x.checklist_item: x.origin for x in Document.objects.filter(dossier=d)}
    assert docs == {1: "scanned", 2: "scanned", 3: "reused"}

    # the leader of the lead unit: a result PDF, then approval signs it
    lifecycle.dossier_transfer(dossier=d, actor=None)  # the counter hands it over (D18)
    pg.click("form.logout button")
    login(pg, "leader", "mat-khau-123")
    pg.goto(pg.base_url + f"/ho-so/{d.code}/")
    pg.set_input_files(".papers-upload input[type=file]", [_file("quyet-dinh.pdf", "application/pdf", pdf_bytes(pages=2))])
    pg.click(".papers-upload button[type=submit]")
    pg.wait_for_load_state("networkidle")
    pg.click("#action-approve > summary")
    pg.click("#action-approve button[type=submit]")
    pg.wait_for_load_state("networkidle")
    assert "Chữ ký số hợp lệ, tệp nguyên vẹn" in pg.locator("#giay-to").inner_text()
    screenshot(pg, "papers-dossier-signed-result")

    # the citizen, once verified, downloads the signed result
    pg.click("form.logout button")
    pg.goto(pg.base_url + "/tra-cuu-ho-so/")
    pg.fill("[name=code]", d.code)
    pg.fill("[name=digits]", APPLICANT_ID[-4:])
    pg.click("main form button[type=submit]")
    pg.wait_for_load_state("networkidle")
    assert "Tải kết quả (PDF)" in pg.content()
    screenshot(pg, "papers-public-result")
    with pg.expect_download() as dl:
        pg.click("text=Tải kết quả (PDF)")
    signed = Document.objects.get(dossier=d, signed=True)
    from pathlib import Path
    import hashlib

    assert hashlib.sha256(Path(dl.value.path()).read_bytes()).hexdigest() == signed.sha256
