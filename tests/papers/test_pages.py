"""Papers on the pages: scans at the counter's intake, the dossier page, the citizen's download,
the kiosk, and index 766 group 4 on the scorecard."""
from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from dossiers.models import Dossier, DossierEvent
from papers import services
from papers.models import Document
from tests.papers.conftest import APPLICANT_ID, CHECKLIST, api, jpeg_bytes, pdf_bytes, png_bytes, receive, upload
from dossiers.services import lifecycle

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def f(data: bytes, name: str):
    b = io.BytesIO(data)
    b.name = name
    return b


def intake_form(org, **extra) -> dict:
    data = {
        "procedure": org.birth.code, "applicant_name": "Nguyễn Thị Hương", "applicant_id_number": APPLICANT_ID,
        "applicant_phone": "0912 345 678", "applicant_address": "Hòa Bình", "applicant_email": "",
        "channel": "direct", "return_channel": "counter", "request_content": "", "copies": "1",
        "doc-count": "3", "doc-extra": "",
        **{f"doc-{i}-name": n for i, n in enumerate(CHECKLIST)},
        **{f"doc-{i}-on": "1" for i in range(3)},
        **{f"doc-{i}-originals": "1" for i in range(3)},
        **{f"doc-{i}-copies": "0" for i in range(3)},
    }
    data.update(extra)
    return data


def test_intake_with_scans_stores_one_pdf_per_item_and_joins_pages(org, store):
    c = page_client(org.clerk)
    page = c.get("/tiep-nhan/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "papers/intake.js" in page and 'id="papers-intake"' in page
    r = c.post("/tiep-nhan/", intake_form(org, **{
        "scan-0": [f(jpeg_bytes(), "to-khai-1.jpg"), f(png_bytes(), "to-khai-2.png")],
        "scan-1": f(pdf_bytes(), "chung-sinh.pdf"),
    }))
    assert r.status_code == 302, r.content.decode()[:2000]
    d = Dossier.objects.get()
    docs = {x.checklist_item: x for x in Document.objects.filter(dossier=d)}
    assert set(docs) == {1, 2}
    assert (docs[1].content_type, docs[1].name, docs[1].origin) == ("application/pdf", "to-khai-1.pdf", "scanned")
    import pikepdf

    from papers import storage

    buf = b"".join(storage.chunks(docs[1].key))
    assert len(pikepdf.open(io.BytesIO(buf)).pages) == 2  # two scanned pages, one PDF
    assert [str(m) for m in get_messages(r.wsgi_request)][-1] == "Đã lưu 2 bản số hóa."
    assert DossierEvent.objects.filter(dossier=d, action="add-document").count() == 2
    assert services.is_digitised(d) is False
    detail = c.get(f"/ho-so/{d.code}/").content.decode()
    assert "Chưa số hóa đủ" in detail and "to-khai-1.pdf" in detail and "chung-sinh.pdf" in detail


def test_intake_with_the_store_down_takes_the_dossier_in_and_says_so(org, store_down):
    c = page_client(org.clerk)
    r = c.post("/tiep-nhan/", intake_form(org, **{"scan-0": f(pdf_bytes(), "to-khai.pdf")}))
    assert r.status_code == 302
    d = Dossier.objects.get()
    assert d.state == "received"
    assert not Document.objects.exists()
    assert not DossierEvent.objects.filter(action="add-document").exists()
    texts = [str(m) for m in get_messages(r.wsgi_request)]
    assert any("CHƯA lưu được bản số hóa" in t and d.code in t for t in texts), texts


def test_intake_reuses_an_earlier_paper_of_the_applicant(org, store):
    earlier = receive(org)
    src = upload(api(org.clerk), earlier, jpeg_bytes(), name="cccd.jpg", item=3).json()
    c = page_client(org.clerk)
    offered = c.get("/giay-to/tai-su-dung/", {"id_number": APPLICANT_ID}).json()["documents"]
    assert [(x["id"], x["item_name"], x["dossier"]) for x in offered] == [(src["id"], CHECKLIST[2], earlier.code)]
    assert c.get("/giay-to/tai-su-dung/", {"id_number": "123"}).status_code == 400
    r = c.post("/tiep-nhan/", intake_form(org, **{"reuse-2": str(src["id"])}))
    assert r.status_code == 302
    d = Dossier.objects.exclude(pk=earlier.pk).get()
    reused = Document.objects.get(dossier=d)
    assert (reused.origin, reused.reuse_of_id, reused.checklist_item, reused.sha256) == ("reused", src["id"], 3, src["sha256"])


def test_intake_refuses_a_non_image_non_pdf_scan_but_keeps_the_dossier(org, store):
    c = page_client(org.clerk)
    r = c.post("/tiep-nhan/", intake_form(org, **{"scan-0": f(b"<html>no</html>", "to-khai.pdf")}))
    assert r.status_code == 302
    assert Dossier.objects.count() == 1 and not Document.objects.exists()
    texts = [str(m) for m in get_messages(r.wsgi_request)]
    assert f"{CHECKLIST[0]}: Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp, không theo tên)." in texts


def test_the_leader_uploads_a_result_on_the_dossier_page_and_approval_signs_it(org, store, pkcs12_key):
    d = receive(org)
    lifecycle.dossier_transfer(dossier=d, actor=None)  # the counter hands it over (D18)
    c = page_client(org.leader)
    page = c.get(f"/ho-so/{d.code}/").content.decode()
    assert 'value="result"' in page
    r = c.post(f"/ho-so/{d.code}/giay-to/", {"kind": "result", "file": f(pdf_bytes(), "quyet-dinh.pdf")})
    assert r.status_code == 302
    # the page's approve (no result_document): the latest unsigned result is signed
    from dossiers.services.lifecycle import dossier_approve

    dossier_approve(dossier=Dossier.objects.get(pk=d.pk), actor=org.leader)
    page = c.get(f"/ho-so/{d.code}/").content.decode()
    assert "Có kết quả điện tử" in page
    assert "Chữ ký số hợp lệ, tệp nguyên vẹn – ký bởi Sở Tư pháp tỉnh Hòa Bình, UBND tỉnh Hòa Bình" in page


def test_the_citizen_downloads_the_signed_result_once_verified(org, store, pkcs12_key):
    d = receive(org)
    lifecycle.dossier_transfer(dossier=d, actor=None)  # the counter hands it over (D18)
    result = upload(api(org.leader), d, pdf_bytes(), kind="result", item=None, origin="").json()
    api(org.leader).post(f"/api/v1/dossiers/{d.code}/approve/", {"result_document": result["id"]}, format="json")
    signed = Document.objects.get(dossier=d, signed=True)
    citizen = Client()
    url = f"/tra-cuu-ho-so/ho-so/{d.code}/ket-qua/{signed.pk}/"
    assert citizen.get(url).status_code == 404  # not verified yet
    r = citizen.post("/tra-cuu-ho-so/", {"code": d.code, "digits": APPLICANT_ID[-4:]})
    assert r.status_code == 302
    page = citizen.get(f"/tra-cuu-ho-so/ho-so/{d.code}/").content.decode()
    assert "Tải kết quả (PDF)" in page and "Chữ ký số hợp lệ" in page
    got = citizen.get(url)
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment;")
    from papers import storage

    assert b"".join(got.streaming_content) == b"".join(storage.chunks(signed.key))
    # only the signed result: never the application papers, nor the unsigned draft
    assert citizen.get(f"/tra-cuu-ho-so/ho-so/{d.code}/ket-qua/{result['id']}/").status_code == 404


def test_the_kiosk_says_whether_the_result_is_electronic(org, fs_store, pkcs12_key):
    from django.utils import timezone

    d = receive(org)
    lifecycle.dossier_transfer(dossier=d, actor=None)  # the counter hands it over (D18)
    result = upload(api(org.leader), d, pdf_bytes(), kind="result", item=None, origin="").json()
    api(org.leader).post(f"/api/v1/dossiers/{d.code}/approve/", {"result_document": result["id"]}, format="json")
    Dossier.objects.filter(pk=d.pk).update(state="returned", returned_at=timezone.now())
    kiosk = Client()
    r = kiosk.post("/danh-gia-tai-quay/", {"code": d.code, "digits": APPLICANT_ID[-4:]})
    assert r.status_code == 302
    page = kiosk.get("/danh-gia-tai-quay/phieu/").content.decode()
    assert "Kết quả: bản điện tử có chữ ký số" in page


def test_scorecard_group_4_is_computed_from_the_papers(org, fs_store, pkcs12_key):
    from citizens.scorecard import scorecard
    from reporting.periods import Period
    from django.utils import timezone

    a, b, c_ = receive(org), receive(org), receive(org, id_number="017090005555")
    for item, content in ((1, pdf_bytes()), (2, pdf_bytes()), (3, jpeg_bytes())):
        upload(api(org.clerk), a, content, name=f"{item}.pdf" if item < 3 else "3.jpg", item=item)
    src = Document.objects.filter(dossier=a, checklist_item=3).get()
    api(org.clerk).post(f"/api/v1/dossiers/{b.code}/documents/",
                        {"kind": "application", "checklist_item": 3, "origin": "reused", "reuse_of": src.pk}, format="multipart")
    lifecycle.dossier_transfer(dossier=a, actor=None)  # the counter hands it over (D18)
    result = upload(api(org.leader), a, pdf_bytes(), kind="result", item=None, origin="").json()
    assert api(org.leader).post(f"/api/v1/dossiers/{a.code}/approve/", {"result_document": result["id"]},
                                format="json").status_code == 200
    today = timezone.localdate()
    card = scorecard(period=Period.containing(today, basis="calendar"), unit=None)
    g4 = {i.code: i for g in card["groups"] if g["number"] == 4 for i in g["indicators"]}
    assert (g4["4.1"].numerator, g4["4.1"].denominator, g4["4.1"].rate) == (1, 1, "100.00")
    assert (g4["4.2"].numerator, g4["4.2"].denominator, g4["4.2"].rate) == (1, 3, "33.33")
    assert (g4["4.3"].numerator, g4["4.3"].denominator, g4["4.3"].rate) == (1, 3, "33.33")
    assert g4["4.2"].threshold == 80 and g4["4.2"].attainment == "41.67"
    assert g4["4.4"].computed is False
