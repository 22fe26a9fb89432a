"""Uploads stream to a temporary file, hashed on the way, never held whole in memory.

``HashingUploadHandler`` replaces Django's handlers on multipart requests (the middleware
below): each file goes to a temporary file on disk with its SHA-256 computed chunk by chunk; a
file growing past ``DOCUMENT_MAX_BYTES`` is dropped at once (the rest of it is read and thrown
away) and named in ``request.papers_too_large``. A body whose Content-Length already exceeds
what the request may carry is answered 413 before a byte is read.
"""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.http import JsonResponse

MSG_TOO_LARGE = "Tệp vượt quá dung lượng cho phép ({mb} MB)."
#: the non-file fields of a form ride along: a little over the file limit is still one file
BODY_SLACK = 256 * 1024
#: the intake page may carry one scan per checklist item
MAX_FILES_PER_REQUEST = 20


def too_large_message() -> str:
    return MSG_TOO_LARGE.format(mb=settings.DOCUMENT_MAX_BYTES // (1024 * 1024))


class HashingUploadHandler(FileUploadHandler):
    chunk_size = 1024 * 1024  # fewer, larger chunks through the multipart parser; memory stays bounded

    def __init__(self, request=None):
        super().__init__(request)
        self.max_bytes = settings.DOCUMENT_MAX_BYTES

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.size = 0
        self.hasher = hashlib.sha256()
        self.file = TemporaryUploadedFile(self.file_name, self.content_type, 0, self.charset, self.content_type_extra)
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        if self.size > self.max_bytes:
            self.file.close()
            if self.request is not None:
                self.request.papers_too_large = [*getattr(self.request, "papers_too_large", []), self.file_name]
            raise SkipFile()
        self.hasher.update(raw_data)
        self.file.write(raw_data)

    def file_complete(self, file_size):
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = self.hasher.hexdigest()
        return self.file


def hashed(upload) -> tuple[str, int]:
    """SHA-256 and size of an uploaded file (computed while it arrived, else now, by chunks)."""
    digest = getattr(upload, "sha256", None)
    if digest is None:
        h = hashlib.sha256()
        for block in upload.chunks():
            h.update(block)
        digest = h.hexdigest()
        upload.seek(0)
    return digest, upload.size


class UploadLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.DOCUMENT_MAX_BYTES * MAX_FILES_PER_REQUEST + BODY_SLACK or (
                    request.path.startswith("/api/") and length > settings.DOCUMENT_MAX_BYTES + BODY_SLACK):
                msg = too_large_message()
                return JsonResponse({"detail": msg, "errors": {"file": [msg]}}, status=413)
            request.upload_handlers = [HashingUploadHandler(request)]
        return self.get_response(request)


def file_sha256(path: str) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(1024 * 1024):
            h.update(block)
            n += len(block)
    return h.hexdigest(), n
