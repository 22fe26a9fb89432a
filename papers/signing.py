"""PAdES signing of results with pyHanko, and validating a signature when it is shown.

The key is the lead unit's (``SigningKey``, configured by administrators) or the default from
the environment: ``SIGNING_PKCS12`` + ``SIGNING_PKCS12_PASSWORD``, or ``SIGNING_PKCS11_MODULE``
+ ``SIGNING_PKCS11_TOKEN`` + ``SIGNING_PKCS11_PIN`` + ``SIGNING_PKCS11_KEY_LABEL`` (a token or
an HSM, as Vietnamese signing certificates are usually held; the certificate sits on the token
under the key's label). No key: nothing is signed. Trust: ``SIGNING_TRUST_ROOTS`` (a PEM file of
CA certificates) decides whether a valid signature is also *trusted*.
"""
from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

MSG_KEY = "Không dùng được khóa ký số của đơn vị ({reason}); chưa phê duyệt."


class SigningError(RuntimeError):
    pass


@dataclass(frozen=True)
class KeyConfig:
    source: str  # "pkcs12" or "pkcs11"
    pkcs12_path: str = ""
    secret: str = ""
    module: str = ""
    token: str = ""
    key_label: str = ""


def key_config_for(unit) -> KeyConfig | None:
    """The unit's active key, else the environment's default, else None."""
    from papers.models import SigningKey

    key = SigningKey.objects.filter(unit=unit, is_active=True).first() if unit is not None else None
    if key is not None:
        secret = os.environ.get(key.secret_env, "")
        if key.source == SigningKey.Source.PKCS12:
            return KeyConfig("pkcs12", pkcs12_path=key.pkcs12_path, secret=secret)
        return KeyConfig("pkcs11", module=key.pkcs11_module, token=key.pkcs11_token, key_label=key.pkcs11_key_label,
                         secret=secret)
    if settings.SIGNING_PKCS12:
        return KeyConfig("pkcs12", pkcs12_path=settings.SIGNING_PKCS12, secret=settings.SIGNING_PKCS12_PASSWORD)
    if settings.SIGNING_PKCS11_MODULE:
        return KeyConfig("pkcs11", module=settings.SIGNING_PKCS11_MODULE, token=settings.SIGNING_PKCS11_TOKEN,
                         key_label=settings.SIGNING_PKCS11_KEY_LABEL, secret=settings.SIGNING_PKCS11_PIN)
    return None


@functools.lru_cache(maxsize=8)
def _pkcs12_signer(path: str, mtime_ns: int, secret: str):
    """Decrypting a PKCS#12 file costs about half a second (its key derivation): once per
    process and file version."""
    from pyhanko.sign import signers

    return signers.SimpleSigner.load_pkcs12(path, passphrase=secret.encode() or None)


@contextlib.contextmanager
def open_signer(config: KeyConfig):
    """A pyHanko signer for `config` (a PKCS#11 session stays open inside the block)."""
    if config.source == "pkcs12":
        try:
            mtime = os.stat(config.pkcs12_path).st_mtime_ns
        except OSError as exc:
            raise SigningError(MSG_KEY.format(reason="không đọc được tệp PKCS#12")) from exc
        signer = _pkcs12_signer(config.pkcs12_path, mtime, config.secret)
        if signer is None:
            raise SigningError(MSG_KEY.format(reason="tệp PKCS#12 hoặc mật khẩu sai"))
        yield signer
        return
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11 as p11

    try:
        session = p11.open_pkcs11_session(config.module, token_criteria=TokenCriteria(label=config.token),
                                          user_pin=config.secret)
    except Exception as exc:  # missing module, token or wrong PIN
        raise SigningError(MSG_KEY.format(reason=f"PKCS#11: {exc}")) from exc
    try:
        yield p11.PKCS11Signer(session, key_label=config.key_label, cert_label=config.key_label)
    finally:
        session.close()


def certificate_name(cert) -> str:
    """The signer's name as people read it: the certificate subject's CN (and O)."""
    subject = cert.subject.native
    parts = [subject.get("common_name", "")]
    if subject.get("organization_name") and subject.get("organization_name") not in parts:
        parts.append(subject["organization_name"])
    return ", ".join(p for p in parts if p) or cert.subject.human_friendly


#: room for the CMS signature in the file: without it pyHanko signs twice (a dummy signature to
#: measure, half of the time of a signature); 16 KB holds a 4096-bit key with a chain of a few
#: certificates, and a longer chain falls back to the measured size.
BYTES_RESERVED = 16384


def _sign_into(in_path: str, out_path: str, meta, signer, reserved: int | None) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    with open(in_path, "rb") as inf, open(out_path, "wb") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        signers.sign_pdf(writer, meta, signer=signer, output=outf, bytes_reserved=reserved)


def sign_pdf(*, in_path: str, out_path: str, config: KeyConfig, reason: str, location: str) -> tuple[str, datetime]:
    """Sign the PDF at `in_path` (PAdES B-B, SHA-256) into `out_path`; return (signer, time)."""
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name="OneCua", reason=reason[:200], location=location[:100], md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    from django.utils import timezone

    with open_signer(config) as signer:
        try:
            try:
                _sign_into(in_path, out_path, meta, signer, BYTES_RESERVED)
            except Exception:  # e.g. a long certificate chain outgrew the room: let pyHanko measure
                _sign_into(in_path, out_path, meta, signer, None)
        except SigningError:
            raise
        except Exception as exc:
            raise SigningError(MSG_KEY.format(reason=str(exc)[:200])) from exc
        return certificate_name(signer.signing_cert), timezone.now()


@dataclass(frozen=True)
class Validation:
    signed: bool
    intact: bool = False
    valid: bool = False
    trusted: bool | None = None  # None: no trust roots configured
    whole_file: bool = False
    signer: str = ""
    signed_at: datetime | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.whole_file


def _trust_roots():
    path = settings.SIGNING_TRUST_ROOTS
    if not path:
        return None
    from pyhanko.keys import load_certs_from_pemder

    return list(load_certs_from_pemder([path]))


def validate_pdf(path: str) -> Validation:
    """Validate the last signature of the PDF at `path`: intact (the signed bytes unchanged),
    valid (the cryptography holds), covering the whole file, trusted (chains to a configured
    root), signer and signing time."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        with open(path, "rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            sigs = reader.embedded_signatures
            if not sigs:
                return Validation(signed=False)
            roots = _trust_roots()
            vc = ValidationContext(trust_roots=roots or [], allow_fetching=False)
            status = validate_pdf_signature(sigs[-1], vc)
            return Validation(
                signed=True, intact=status.intact, valid=status.valid,
                trusted=status.trusted if roots else None,
                whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                signer=certificate_name(status.signing_cert),
                signed_at=status.signer_reported_dt,
            )
    except Exception as exc:  # a file too damaged to parse is not intact either
        return Validation(signed=True, error=str(exc)[:200])
