"""Approval signs the result (PAdES) with the lead unit's key: a PKCS#12 file or a PKCS#11 token
(SoftHSM2, a real one); the signature validates in OneCua and independently with ``pdfsig``."""
from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from dossiers.models import Dossier, DossierEvent
from papers import signing, storage
from papers.models import Document, SigningKey
from tests.papers.conftest import api, need, pdf_bytes, receive, upload
from dossiers.services import lifecycle

pytestmark = pytest.mark.django_db


def _in_processing(org):
    d = receive(org)
    lifecycle.dossier_transfer(dossier=d, actor=None)  # the counter hands it over (D18)
    d.refresh_from_db()
    return d


def _approve_with_result(org, d, content=None):
    result = upload(api(org.leader), d, content or pdf_bytes(pages=2), name="quyet-dinh.pdf", kind="result",
                    item=None, origin="")
    assert result.status_code == 201, result.content
    r = api(org.leader).post(f"/api/v1/dossiers/{d.code}/approve/", {"result_document": result.json()["id"]}, format="json")
    assert r.status_code == 200, r.content
    return result.json(), r.json()


def _stored_copy(doc: Document, tmp_path) -> str:
    path = tmp_path / f"{doc.pk}.pdf"
    with open(path, "wb") as fh:
        storage.to_file(doc.key, fh)
    return str(path)


def _pdfsig(path: str) -> str:
    need(shutil.which("pdfsig") is not None, "pdfsig (poppler-utils) is not installed")
    return subprocess.run(["pdfsig", path], capture_output=True, text=True).stdout


@pytest.mark.parametrize("key", ["pkcs12_key", "pkcs11_key"])
def test_approval_signs_the_result_and_the_signature_validates(org, store, key, request, tmp_path):
    request.getfixturevalue(key)
    d = _in_processing(org)
    source, detail = _approve_with_result(org, d)
    signed = Document.objects.get(dossier=d, signed=True)
    assert (signed.kind, signed.supersedes_id, signed.signing_unit_id, signed.content_type) == (
        "result", source["id"], org.justice.pk, "application/pdf")
    assert signed.signer == "Sở Tư pháp tỉnh Hòa Bình, UBND tỉnh Hòa Bình"
    assert detail["status"] == "approved"
    assert detail["electronic_result"] is True
    assert [x["signed"] for x in detail["documents"] if x["kind"] == "result"] == [True]
    assert next(x for x in detail["documents"] if x["signed"])["signature"]["signer"] == signed.signer
    approve = DossierEvent.objects.get(dossier=d, action="approve")
    assert approve.data == {"result_document": source["id"], "signed_document": signed.pk, "signed": True}
    assert DossierEvent.objects.filter(dossier=d, action="add-document", data__signed=True).count() == 1

    path = _stored_copy(signed, tmp_path)
    check = signing.validate_pdf(path)
    assert (check.signed, check.intact, check.valid, check.whole_file, check.trusted, check.ok) == (
        True, True, True, True, True, True)
    assert check.signer == signed.signer
    out = _pdfsig(path)
    assert "Signature Validation: Signature is Valid." in out, out
    assert "Signer Certificate Common Name: Sở Tư pháp tỉnh Hòa Bình" in out, out


def test_a_modified_signed_file_is_reported_not_intact(org, fs_store, pkcs12_key, tmp_path):
    d = _in_processing(org)
    _approve_with_result(org, d)
    signed = Document.objects.get(dossier=d, signed=True)
    data = bytearray((fs_store / signed.key).read_bytes())
    at = data.index(b"/MediaBox")  # inside the signed byte range
    data[at:at + 9] = b"/MediaBoy"
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    check = signing.validate_pdf(str(tampered))
    assert check.signed is True and check.intact is False and check.ok is False
    assert "Digest Mismatch" in _pdfsig(str(tampered)) or "Signature is Invalid" in _pdfsig(str(tampered))
    # and on the dossier page
    (fs_store / signed.key).write_bytes(bytes(data))
    client = _page_client(org.leader)
    page = client.get(f"/ho-so/{d.code}/").content.decode()
    assert "Chữ ký số KHÔNG hợp lệ hoặc tệp đã bị thay đổi sau khi ký." in page


def _page_client(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def test_without_a_key_approval_works_and_the_result_stays_unsigned(org, fs_store, settings):
    settings.SIGNING_PKCS12 = settings.SIGNING_PKCS11_MODULE = ""
    d = _in_processing(org)
    source, detail = _approve_with_result(org, d)
    assert detail["status"] == "approved"
    assert detail["electronic_result"] is False
    assert not Document.objects.filter(signed=True).exists()
    assert DossierEvent.objects.get(dossier=d, action="approve").data == {"result_document": source["id"], "signed": False}


def test_approve_names_a_document_that_is_not_a_result_of_this_dossier(org, fs_store, pkcs12_key):
    d = _in_processing(org)
    paper = upload(api(org.clerk), d, pdf_bytes(), item=1).json()
    r = api(org.leader).post(f"/api/v1/dossiers/{d.code}/approve/", {"result_document": paper["id"]}, format="json")
    assert r.status_code == 400
    assert r.json()["errors"] == {"result_document": [f"Không có tệp kết quả số {paper['id']} chưa ký của hồ sơ này."]}
    assert Dossier.objects.get(pk=d.pk).state == "in_processing"  # nothing happened


def test_a_wrong_pin_refuses_the_approval_with_the_reason(org, fs_store, pkcs11_key, settings):
    settings.SIGNING_PKCS11_PIN = "000000"
    d = _in_processing(org)
    result = upload(api(org.leader), d, pdf_bytes(), kind="result", item=None, origin="").json()
    r = api(org.leader).post(f"/api/v1/dossiers/{d.code}/approve/", {"result_document": result["id"]}, format="json")
    assert r.status_code == 400
    assert r.json()["detail"].startswith("Không dùng được khóa ký số của đơn vị (PKCS#11")
    assert Dossier.objects.get(pk=d.pk).state == "in_processing"
    assert not Document.objects.filter(signed=True).exists()


def test_a_unit_key_configured_by_administrators_wins_over_the_default(org, fs_store, pkcs11_key, test_ca, tmp_path,
                                                                          monkeypatch, settings):
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    p12 = tmp_path / "justice.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"j", test_ca.key, test_ca.cert, [test_ca.ca],
                                                          BestAvailableEncryption(b"s3cret")))
    monkeypatch.setenv("JUSTICE_P12_PASSWORD", "s3cret")
    SigningKey.objects.create(unit=org.justice, source="pkcs12", pkcs12_path=str(p12), secret_env="JUSTICE_P12_PASSWORD")
    settings.SIGNING_PKCS11_MODULE = "/nonexistent.so"  # the default would fail
    d = _in_processing(org)
    _approve_with_result(org, d)
    assert Document.objects.filter(dossier=d, signed=True).count() == 1


def test_signing_a_2_mb_pdf_takes_under_a_second(org, fs_store, pkcs12_key, tmp_path):
    src = tmp_path / "big.pdf"
    src.write_bytes(pdf_bytes(pages=3, filler=2 * 1024 * 1024))
    config = signing.key_config_for(org.justice)
    signing.sign_pdf(in_path=str(src), out_path=str(tmp_path / "warm.pdf"), config=config, reason="x", location="y")
    start = time.perf_counter()
    signing.sign_pdf(in_path=str(src), out_path=str(tmp_path / "out.pdf"), config=config, reason="x", location="y")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    assert signing.validate_pdf(str(tmp_path / "out.pdf")).ok
