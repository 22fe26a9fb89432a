"""The object store of documents through django-storages: ``STORAGES["documents"]``.

The filesystem under ``var/documents`` by default (nothing to install), an S3-compatible store
(SeaweedFS in CI, any S3 in production) when ``DOCUMENT_STORE=s3``. Objects are written once
under a fresh key and never overwritten; any failure of the store is a
:class:`StoreUnavailable` with one Vietnamese message.
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.utils import timezone

from dossiers.errors import DossierError

PREFIX = "documents/"
CHUNK = 1024 * 1024
MSG_STORE_DOWN = ("Kho lưu trữ giấy tờ số hóa tạm thời không truy cập được; giấy tờ chưa được lưu. "
                  "Hồ sơ không bị ảnh hưởng, vui lòng đính kèm lại sau.")


class StoreUnavailable(DossierError):
    status_code = 503

    def __init__(self, message: str = MSG_STORE_DOWN):
        super().__init__(message, errors={"file": [message]})


def store():
    return storages["documents"]


def is_s3() -> bool:
    return store().__class__.__name__ == "S3Storage"


def new_key(ext: str, at: datetime | None = None) -> str:
    at = timezone.localtime(at or timezone.now())
    return f"{PREFIX}{at:%Y/%m}/{uuid.uuid4().hex}{ext}"


def save(key: str, path: str) -> None:
    """Copy the file at `path` to the store under `key` (streamed: multipart on S3)."""
    try:
        with open(path, "rb") as fh:
            stored = store().save(key, File(fh, name=key))
    except Exception as exc:
        raise StoreUnavailable() from exc
    if stored != key:  # a store that renamed our fresh key would break the row's link
        raise StoreUnavailable()


def chunks(key: str) -> Iterator[bytes]:
    """The stored bytes in chunks, never the whole object in memory."""
    try:
        if is_s3():
            s = store()
            body = s.connection.meta.client.get_object(Bucket=s.bucket_name, Key=s._normalize_name(key))["Body"]
            yield from body.iter_chunks(CHUNK)
            return
        with store().open(key, "rb") as fh:
            while block := fh.read(CHUNK):
                yield block
    except FileNotFoundError:
        raise
    except Exception as exc:
        if _is_missing(exc):
            raise FileNotFoundError(key) from exc
        raise StoreUnavailable() from exc


def _is_missing(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    return code in ("NoSuchKey", "404", "NotFound")


def to_file(key: str, fh) -> str:
    """Copy the object into the open binary file `fh`; return its SHA-256."""
    h = hashlib.sha256()
    for block in chunks(key):
        h.update(block)
        fh.write(block)
    fh.flush()
    return h.hexdigest()


def sha256_of(key: str) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    for block in chunks(key):
        h.update(block)
        n += len(block)
    return h.hexdigest(), n


def exists(key: str) -> bool:
    try:
        return store().exists(key)
    except Exception as exc:
        raise StoreUnavailable() from exc


def delete(key: str) -> None:
    try:
        store().delete(key)
    except Exception as exc:
        raise StoreUnavailable() from exc


def keys_with_times(prefix: str = PREFIX) -> Iterator[tuple[str, datetime | None]]:
    """Every stored key under `prefix` with its modification time."""
    s = store()
    if is_s3():
        paginator = s.connection.meta.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=s.bucket_name, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield obj["Key"], obj["LastModified"]
        return

    def walk(folder: str):
        try:
            dirs, files = s.listdir(folder)
        except FileNotFoundError:
            return
        for f in files:
            key = f"{folder.rstrip('/')}/{f}"
            yield key, s.get_modified_time(key)
        for d in dirs:
            yield from walk(f"{folder.rstrip('/')}/{d}")

    yield from walk(prefix.rstrip("/"))


def ensure_bucket() -> None:
    """Create the S3 bucket when missing (CI, compose); nothing to do on the filesystem."""
    if not is_s3():
        return
    s = store()
    client = s.connection.meta.client
    try:
        client.head_bucket(Bucket=s.bucket_name)
    except Exception:
        client.create_bucket(Bucket=s.bucket_name)


def orphan_cutoff() -> datetime:
    return timezone.now() - timedelta(hours=settings.DOCUMENT_ORPHAN_HOURS)
