"""Fixtures of the papers tests: a small organisation, real files, the two object stores and
the two kinds of signing keys.

``store`` runs a test on the filesystem store and on a real S3 server (SeaweedFS, started by
``.ci/run``, found through ``PAPERS_TEST_S3_ENDPOINT_URL`` and its keys); without one the S3
variant skips, except under CI=true, where it fails. The PKCS#11 key is a real SoftHSM2 token
the fixture initialises, with a test CA the tests create (skipped locally without softhsm2,
failing under CI=true).
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone as dt_timezone
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dossiers.models import Field, Procedure, StaffProfile, Unit
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name, roles_sync
from tests.conftest import IN_CI

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
CHECKLIST = ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Căn cước công dân của người đi đăng ký"]
APPLICANT_ID = "017090001234"


def need(condition: bool, why: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"CI=true: {why}")
        pytest.skip(why)


# --- files -----------------------------------------------------------------------------------


def png_bytes(color=(200, 30, 30), size=(60, 80)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(color=(30, 200, 30), size=(60, 80)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def pdf_bytes(pages: int = 1, javascript: bool = False, filler: int = 0) -> bytes:
    """A real PDF (pikepdf): `filler` bytes of incompressible data make it as big as wanted."""
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    if javascript:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')"))
    if filler:
        pdf.Root.OneCuaFiller = pikepdf.Stream(pdf, os.urandom(filler))
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


# --- the organisation ------------------------------------------------------------------------


@pytest.fixture
def org(db):
    roles_sync()
    root = Unit.objects.create(code="000.00.00.H23", name="UBND tỉnh Hòa Bình", level="province", kind="people_committee",
                               place="Hòa Bình")
    centre = Unit.objects.create(code="000.00.01.H23", name="Trung tâm Phục vụ hành chính công tỉnh", level="province",
                                 kind="service_centre", parent=root)
    justice = Unit.objects.create(code="000.00.12.H23", name="Sở Tư pháp", level="province", kind="agency", parent=root,
                                  place="Hòa Bình")
    other = Unit.objects.create(code="000.00.15.H23", name="Sở Xây dựng", level="province", kind="agency", parent=root)
    civil = Field.objects.create(name="Hộ tịch")
    birth = Procedure.objects.create(
        code="1.001193", name="Đăng ký khai sinh", field=civil, processing_time=5,
        time_unit=Procedure.TimeUnit.WORKING_DAYS, resolving_unit=justice, documents="\n".join(CHECKLIST),
    )

    def user(username, unit, *roles):
        u = User.objects.create_user(username, password="mat-khau-123", first_name=username.title())
        if unit is not None:
            StaffProfile.objects.create(user=u, unit=unit)
        for role in roles:
            u.groups.add(Group.objects.get(name=role_group_name(role)))
        return u

    return SimpleNamespace(
        root=root, centre=centre, justice=justice, other=other, birth=birth,
        clerk=user("clerk", centre, COUNTER_CLERK), officer=user("officer", justice, OFFICER),
        leader=user("leader", justice, LEADER), other_officer=user("other_officer", other, OFFICER),
        other_leader=user("other_leader", other, LEADER),
    )


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def receive(org, *, id_number=APPLICANT_ID, actor=None):
    from dossiers.services.lifecycle import dossier_register

    return dossier_register(
        procedure=org.birth, receiving_unit=org.centre, channel="direct", actor=actor or org.clerk,
        applicant={"name": "Nguyễn Văn An", "id_number": id_number, "phone": "0912345678", "address": "Hòa Bình"},
    )


def upload(client, dossier, content: bytes, *, name="scan.pdf", kind="application", item=1, origin="scanned", **extra):
    data = {"file": io.BytesIO(content), "kind": kind, **extra}
    data["file"].name = name
    if item is not None:
        data["checklist_item"] = item
    if origin:
        data["origin"] = origin
    return client.post(f"/api/v1/dossiers/{dossier.code}/documents/", data, format="multipart")


# --- the object stores -----------------------------------------------------------------------


def s3_env() -> dict | None:
    endpoint = os.environ.get("PAPERS_TEST_S3_ENDPOINT_URL")
    if not endpoint:
        return None
    return {
        "endpoint_url": endpoint,
        "access_key": os.environ.get("PAPERS_TEST_S3_ACCESS_KEY", ""),
        "secret_key": os.environ.get("PAPERS_TEST_S3_SECRET_KEY", ""),
    }


def s3_storage_settings(bucket: str, **env) -> dict:
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket, "region_name": "us-east-1", "addressing_style": "path", "signature_version": "s3v4",
            "file_overwrite": True, "default_acl": None, "querystring_auth": False, "max_memory_size": 1024 * 1024,
            "client_config": Config(connect_timeout=2, read_timeout=20, retries={"max_attempts": 1}),
            **env,
        },
    }


@pytest.fixture(params=["filesystem", "s3"])
def store(request, settings, tmp_path):
    """The documents store of this test: a fresh folder, or a fresh bucket on SeaweedFS."""
    if request.param == "filesystem":
        settings.STORAGES = {**settings.STORAGES, "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents"), "base_url": None}}}
        yield "filesystem"
        return
    env = s3_env()
    need(env is not None, "no S3 server for the papers tests (PAPERS_TEST_S3_ENDPOINT_URL; .ci/run starts SeaweedFS)")
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    settings.STORAGES = {**settings.STORAGES, "documents": s3_storage_settings(bucket, **env)}
    from papers import storage

    storage.ensure_bucket()
    yield "s3"
    s = storage.store()
    client = s.connection.meta.client
    for key, _ in storage.keys_with_times(""):
        client.delete_object(Bucket=bucket, Key=key)
    client.delete_bucket(Bucket=bucket)


@pytest.fixture
def fs_store(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "documents"), "base_url": None}}}
    return tmp_path / "documents"


@pytest.fixture
def store_down(settings):
    """An S3 store nobody listens on (a closed port on loopback): every call fails fast."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    settings.STORAGES = {**settings.STORAGES, "documents": s3_storage_settings(
        "onecua-down", endpoint_url=f"http://127.0.0.1:{port}", access_key="x", secret_key="y")}


# --- keys: a test CA, a PKCS#12 file, a SoftHSM2 token ------------------------------------------


def _ca_and_signer(tmp, unit_name="Sở Tư pháp tỉnh Hòa Bình"):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(dt_timezone.utc) - timedelta(minutes=5)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OneCua Test CA"),
                         x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, unit_name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND tỉnh Hòa Bình"),
                         x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_pem = tmp / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return SimpleNamespace(ca=ca, ca_pem=str(ca_pem), key=key, cert=cert)


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    return _ca_and_signer(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def pkcs12_key(settings, test_ca, tmp_path):
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    p12 = tmp_path / "unit.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"unit", test_ca.key, test_ca.cert, [test_ca.ca], BestAvailableEncryption(b"p12-pass")))
    settings.SIGNING_PKCS12 = str(p12)
    settings.SIGNING_PKCS12_PASSWORD = "p12-pass"
    settings.SIGNING_PKCS11_MODULE = ""
    settings.SIGNING_TRUST_ROOTS = test_ca.ca_pem
    return test_ca


@pytest.fixture(scope="session")
def softhsm_token(test_ca, tmp_path_factory):
    """A SoftHSM2 token 'onecua-test' holding the signer's key and certificate (label 'ket-qua')."""
    if not (shutil.which("softhsm2-util") and os.path.exists(SOFTHSM_MODULE)):
        need(False, "SoftHSM2 is not installed (apt-get install softhsm2; .ci/run does it)")
    from cryptography.hazmat.primitives import serialization

    tmp = tmp_path_factory.mktemp("softhsm")
    (tmp / "tokens").mkdir()
    conf = tmp / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "onecua-test", "--so-pin", "87654321",
                    "--pin", "123456"], check=True, capture_output=True)
    key_pem = tmp / "key.pem"
    key_pem.write_bytes(test_ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    subprocess.run(["softhsm2-util", "--import", str(key_pem), "--token", "onecua-test", "--label", "ket-qua",
                    "--id", "01", "--pin", "123456"], check=True, capture_output=True)
    key_pem.unlink()
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    lib = pkcs11.lib(SOFTHSM_MODULE)
    token = lib.get_token(token_label="onecua-test")
    with token.open(rw=True, user_pin="123456") as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: "ket-qua", Attribute.ID: b"\x01",
            Attribute.VALUE: test_ca.cert.public_bytes(serialization.Encoding.DER),
            Attribute.SUBJECT: test_ca.cert.subject.public_bytes(),
        })
    return SimpleNamespace(module=SOFTHSM_MODULE, token="onecua-test", pin="123456", label="ket-qua", ca=test_ca)


@pytest.fixture
def pkcs11_key(settings, softhsm_token):
    settings.SIGNING_PKCS12 = ""
    settings.SIGNING_PKCS11_MODULE = softhsm_token.module
    settings.SIGNING_PKCS11_TOKEN = softhsm_token.token
    settings.SIGNING_PKCS11_PIN = softhsm_token.pin
    settings.SIGNING_PKCS11_KEY_LABEL = softhsm_token.label
    settings.SIGNING_TRUST_ROOTS = softhsm_token.ca.ca_pem
    return softhsm_token
