"""The papers API against a real object store (filesystem and SeaweedFS): interfaces.md "Papers"."""
from __future__ import annotations

import hashlib

import pytest

from dossiers.models import Dossier, DossierEvent
from papers.models import Document
from tests.papers.conftest import (
    APPLICANT_ID, CHECKLIST, api, jpeg_bytes, pdf_bytes, png_bytes, receive, upload,
)

pytestmark = pytest.mark.django_db

FIELDS = {"id", "kind", "checklist_item", "name", "content_type", "size", "sha256", "origin", "created_at", "signed",
          "signature"}


def test_upload_stores_the_exact_bytes_with_sha256_and_a_history_event(org, store):
    d = receive(org)
    content = pdf_bytes(pages=2)
    r = upload(api(org.clerk), d, content, name="to-khai.pdf", item=1)
    assert r.status_code == 201, r.content
    body = r.json()
    assert FIELDS <= set(body)
    assert (body["kind"], body["checklist_item"], body["name"], body["content_type"], body["size"], body["origin"],
            body["signed"], body["signature"]) == ("application", 1, "to-khai.pdf", "application/pdf", len(content),
                                                   "scanned", False, None)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()

    got = api(org.clerk).get(f"/api/v1/dossiers/{d.code}/documents/{body['id']}/content/")
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == content
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"].startswith("attachment;")
    assert got["Content-Security-Policy"].startswith("sandbox")
    assert got["X-Content-Type-Options"] == "nosniff"

    event = DossierEvent.objects.get(dossier=d, action="add-document")
    assert event.actor == org.clerk and event.unit == org.centre and event.note == CHECKLIST[0]
    assert event.data == {"document": body["id"], "kind": "application", "checklist_item": 1, "name": "to-khai.pdf",
                          "content_type": "application/pdf", "size": len(content), "sha256": body["sha256"],
                          "origin": "scanned", "signed": False}
    assert Dossier.objects.get(pk=d.pk).version == d.version  # a paper is not a state change

    listed = api(org.officer).get(f"/api/v1/dossiers/{d.code}/documents/")
    assert [(x["id"], x["superseded"]) for x in listed.json()] == [(body["id"], False)]


def test_a_newer_paper_supersedes_never_overwrites(org, store):
    d = receive(org)
    first = upload(api(org.clerk), d, jpeg_bytes(), name="cccd.jpg", item=3).json()
    second = upload(api(org.clerk), d, png_bytes(), name="cccd-ro-hon.png", item=3).json()
    assert Document.objects.get(pk=second["id"]).supersedes_id == first["id"]
    old = api(org.clerk).get(f"/api/v1/dossiers/{d.code}/documents/{first['id']}/content/")
    assert b"".join(old.streaming_content) == jpeg_bytes()  # still there, unchanged
    listed = {x["id"]: x["superseded"] for x in api(org.clerk).get(f"/api/v1/dossiers/{d.code}/documents/").json()}
    assert listed == {first["id"]: True, second["id"]: False}
    detail = api(org.clerk).get(f"/api/v1/dossiers/{d.code}/").json()
    assert [x["id"] for x in detail["documents"]] == [second["id"]]


def test_detail_says_digitised_once_every_checklist_item_has_a_file(org, store):
    d = receive(org)
    client = api(org.clerk)
    for item in (1, 2):
        assert upload(client, d, pdf_bytes(), item=item).status_code == 201
    detail = client.get(f"/api/v1/dossiers/{d.code}/").json()
    assert (detail["digitised"], detail["electronic_result"]) == (False, False)
    assert upload(client, d, jpeg_bytes(), name="cccd.jpg", item=3).status_code == 201
    assert client.get(f"/api/v1/dossiers/{d.code}/").json()["digitised"] is True


@pytest.mark.parametrize("content,name", [
    (b"MZ\x90\x00" + b"\x00" * 300, "ket-qua.pdf"),
    (b"<!DOCTYPE html><html><body onload=alert(1)>", "to-khai.pdf"),
    (b"%PDF-1.4\n garbage", "hong.pdf"),
])
def test_content_that_is_not_pdf_jpeg_png_answers_400_and_stores_nothing(org, store, content, name):
    d = receive(org)
    r = upload(api(org.clerk), d, content, name=name)
    assert r.status_code == 400
    assert list(r.json()["errors"]) == ["file"]
    assert not Document.objects.exists()
    from papers import storage

    assert list(storage.keys_with_times()) == []


def test_a_pdf_with_javascript_is_stored_but_only_ever_downloaded(org, store):
    d = receive(org)
    r = upload(api(org.clerk), d, pdf_bytes(javascript=True), item=1)
    assert r.status_code == 201
    doc = Document.objects.get(pk=r.json()["id"])
    assert doc.has_javascript is True
    got = api(org.clerk).get(f"/api/v1/dossiers/{d.code}/documents/{doc.pk}/content/")
    assert got["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in got["Content-Security-Policy"]


def test_above_the_limit_413_by_content_length_and_by_counting(org, fs_store, settings):
    settings.DOCUMENT_MAX_BYTES = 50_000
    d = receive(org)
    big = pdf_bytes(filler=300_000)
    r = upload(api(org.clerk), d, big)  # Content-Length says it all: refused before reading
    assert r.status_code == 413
    assert r.json()["errors"]["file"] == ["Tệp vượt quá dung lượng cho phép (0 MB)."]
    # A body whose Content-Length hides the size (several parts): counted while streaming.
    from django.test import RequestFactory
    from papers.upload import HashingUploadHandler

    rf = RequestFactory()
    request = rf.post("/x/", {"file": _named(pdf_bytes(filler=60_000), "a.pdf"), "kind": "application"})
    request.upload_handlers = [HashingUploadHandler(request)]
    assert "file" not in request.FILES
    assert request.papers_too_large == ["a.pdf"]
    assert request.POST["kind"] == "application"
    assert not Document.objects.exists()


def _named(data: bytes, name: str):
    import io

    f = io.BytesIO(data)
    f.name = name
    return f


def test_checklist_item_is_required_and_checked(org, store):
    d = receive(org)
    r = upload(api(org.clerk), d, pdf_bytes(), item=None)
    assert (r.status_code, r.json()["errors"]) == (400, {"checklist_item": [
        "Vui lòng chọn giấy tờ trong danh mục thành phần hồ sơ (từ 1 đến 3)."]})
    r = upload(api(org.clerk), d, pdf_bytes(), item=4)
    assert (r.status_code, r.json()["errors"]) == (400, {"checklist_item": [
        "Thủ tục chỉ có 3 giấy tờ trong danh mục; không có giấy tờ số 4."]})


def test_who_may_add_d17(org, store):
    d = receive(org)
    # the counter at intake; an officer of the unit not holding it may not; a stranger cannot see it
    assert upload(api(org.clerk), d, pdf_bytes()).status_code == 201
    assert upload(api(org.officer), d, pdf_bytes(), item=2).status_code == 403
    assert upload(api(org.other_officer), d, pdf_bytes(), item=2).status_code == 404
    # a result: only the lead unit's leader
    r = upload(api(org.clerk), d, pdf_bytes(), kind="result", item=None, origin="")
    assert (r.status_code, r.json()["detail"]) == (403, "Chỉ lãnh đạo cơ quan chủ trì giải quyết được lưu tệp kết quả.")
    assert upload(api(org.leader), d, pdf_bytes(), kind="result", item=None, origin="").status_code == 201
    # once the dossier is held by the agency (its step), the agency adds papers; not another unit
    Dossier.objects.filter(pk=d.pk).update(current_unit=org.justice, state="in_processing")
    assert upload(api(org.officer), d, pdf_bytes(), item=2).status_code == 201
    # a closed dossier takes no more papers
    Dossier.objects.filter(pk=d.pk).update(state="returned")
    r = upload(api(org.officer), d, pdf_bytes(), item=2)
    assert (r.status_code, r.json()["detail"]) == (403, "Hồ sơ đã kết thúc; không thêm giấy tờ được nữa.")


def test_a_result_must_be_a_pdf(org, store):
    d = receive(org)
    r = upload(api(org.leader), d, png_bytes(), name="ket-qua.png", kind="result", item=None, origin="")
    assert (r.status_code, r.json()["errors"]) == (400, {"file": ["Kết quả điện tử phải là tệp PDF."]})


def test_reuse_links_an_earlier_paper_of_the_same_applicant(org, store):
    earlier = receive(org)
    src = upload(api(org.clerk), earlier, jpeg_bytes(), name="cccd.jpg", item=3).json()
    stranger = receive(org, id_number="017090009999")
    foreign = upload(api(org.clerk), stranger, jpeg_bytes(), name="khac.jpg", item=3).json()
    d = receive(org)
    client = api(org.clerk)
    r = client.post(f"/api/v1/dossiers/{d.code}/documents/",
                    {"kind": "application", "checklist_item": 3, "origin": "reused", "reuse_of": src["id"]}, format="multipart")
    assert r.status_code == 201, r.content
    assert (r.json()["origin"], r.json()["sha256"], r.json()["size"]) == ("reused", src["sha256"], src["size"])
    got = client.get(f"/api/v1/dossiers/{d.code}/documents/{r.json()['id']}/content/")
    assert b"".join(got.streaming_content) == jpeg_bytes()
    r = client.post(f"/api/v1/dossiers/{d.code}/documents/",
                    {"kind": "application", "checklist_item": 3, "origin": "reused", "reuse_of": foreign["id"]}, format="multipart")
    assert (r.status_code, r.json()["errors"]) == (400, {"reuse_of": [f"Không có giấy tờ số {foreign['id']} của cùng người nộp để tái sử dụng."]})


def test_a_missing_object_answers_404_with_the_reason(org, store):
    d = receive(org)
    body = upload(api(org.clerk), d, pdf_bytes()).json()
    from papers import storage

    storage.delete(Document.objects.get(pk=body["id"]).key)
    r = api(org.clerk).get(f"/api/v1/dossiers/{d.code}/documents/{body['id']}/content/")
    assert r.status_code == 404
    assert "không còn trong kho lưu trữ" in r.json()["detail"]


def test_store_down_answers_503_and_writes_nothing(org, store_down):
    d = receive(org)
    events = DossierEvent.objects.filter(dossier=d).count()
    r = upload(api(org.clerk), d, pdf_bytes())
    assert r.status_code == 503
    assert "Kho lưu trữ giấy tờ số hóa tạm thời không truy cập được" in r.json()["detail"]
    assert not Document.objects.exists()
    assert DossierEvent.objects.filter(dossier=d).count() == events
    # the dossier itself is unaffected: still readable, its detail says no papers
    detail = api(org.clerk).get(f"/api/v1/dossiers/{d.code}/")
    assert detail.status_code == 200 and detail.json()["documents"] == []


def test_an_interrupted_upload_leaves_an_orphan_that_cleanup_removes(org, store, settings):
    """The object is written first; if the process dies before the row, the object has no row.
    The cleanup keeps young orphans (maybe mid-flight) and removes old ones; never a referenced one."""
    from datetime import timedelta

    from django.utils import timezone

    from papers import services, storage

    d = receive(org)
    kept = upload(api(org.clerk), d, pdf_bytes()).json()
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf_bytes())
        fh.flush()
        key = storage.new_key(".pdf")
        storage.save(key, fh.name)  # … and the process stops here: no row
    assert services.orphans_remove() == []  # younger than DOCUMENT_ORPHAN_HOURS: left alone
    assert services.orphans_remove(older_than=timezone.now() + timedelta(minutes=5)) == [key]
    assert [k for k, _ in storage.keys_with_times()] == [Document.objects.get(pk=kept["id"]).key]


def test_verify_documents_reports_missing_and_changed(org, fs_store, capsys):
    from django.core.management import CommandError, call_command

    d = receive(org)
    a = upload(api(org.clerk), d, pdf_bytes(), item=1).json()
    b = upload(api(org.clerk), d, pdf_bytes(), item=2).json()
    call_command("verify_documents")
    assert "checked 2 documents: 0 missing, 0 changed" in capsys.readouterr().out
    (fs_store / Document.objects.get(pk=a["id"]).key).write_bytes(b"%PDF-1.4 tampered")
    (fs_store / Document.objects.get(pk=b["id"]).key).unlink()
    with pytest.raises(CommandError):
        call_command("verify_documents")
    out = capsys.readouterr().out
    assert f"CHANGED  document {a['id']}" in out and f"MISSING  document {b['id']}" in out
    assert "checked 2 documents: 1 missing, 1 changed" in out


@pytest.mark.django_db(transaction=True)
def test_an_upload_cut_off_midway_leaves_no_row_and_no_object(org, fs_store, live_server):
    """A real HTTP upload whose connection drops halfway: nothing is stored, no row is written."""
    import socket
    import time
    from urllib.parse import urlsplit

    from rest_framework.authtoken.models import Token

    d = receive(org)
    token = Token.objects.create(user=org.clerk).key
    boundary = "onecua-cut"
    content = pdf_bytes(filler=1_000_000)
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\napplication\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="checklist_item"\r\n\r\n1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="to-khai.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n").encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    url = urlsplit(live_server.url)
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall((f"POST /api/v1/dossiers/{d.code}/documents/ HTTP/1.1\r\nHost: {url.hostname}\r\n"
                      f"Authorization: Token {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode())
        sock.sendall(body[: len(body) // 2])
    time.sleep(1.5)  # the server notices the short body
    assert not Document.objects.exists()
    assert not DossierEvent.objects.filter(action="add-document").exists()
    from papers import storage

    assert list(storage.keys_with_times()) == []
