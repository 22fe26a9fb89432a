"""REST API of papers (interfaces.md "Papers"): list and add a dossier's documents, read one's bytes.

Order of answers: a dossier the caller cannot see → 404; a body too large → 413; bad fields
or a file that is not PDF/JPEG/PNG by content → 400; a caller who may not add this kind of
document now → 403 (D17); the object store down → 503 (nothing written).
"""
from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from dossiers.api.views import DossierApiView, dossier_for
from dossiers.errors import DossierError
from onecua.api import ErrorSerializer
from papers import services, storage
from papers.models import Document
from papers.upload import hashed, too_large_message

TAGS = ["Giấy tờ số hóa (papers)"]
MSG_FILE_REQUIRED = "Vui lòng chọn tệp."
MSG_NO_DOCUMENT = "Hồ sơ {code} không có giấy tờ số {id}."
MSG_MISSING_OBJECT = "Tệp của giấy tờ số {id} không còn trong kho lưu trữ; báo quản trị hệ thống (verify_documents)."


class DocumentInputSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, error_messages={"invalid": MSG_FILE_REQUIRED})
    kind = serializers.ChoiceField(choices=Document.Kind.choices, error_messages={
        "invalid_choice": "Loại phải là application hoặc result.", "required": "Vui lòng chọn loại giấy tờ."})
    checklist_item = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=999)
    origin = serializers.ChoiceField(choices=["scanned", "uploaded", "reused"], required=False, allow_blank=True,
                                     error_messages={"invalid_choice": services.MSG_ORIGIN})
    reuse_of = serializers.IntegerField(required=False, allow_null=True, min_value=1)

    def validate(self, attrs):
        if attrs.get("origin") == "reused":
            if not attrs.get("reuse_of"):
                raise serializers.ValidationError({"reuse_of": [services.MSG_REUSE_REQUIRED]})
        elif not attrs.get("file"):
            raise serializers.ValidationError({"file": [MSG_FILE_REQUIRED]})
        if attrs["kind"] == Document.Kind.APPLICATION and not attrs.get("origin"):
            attrs["origin"] = "uploaded"
        return attrs


class DocumentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    checklist_item = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    origin = serializers.CharField()
    created_at = serializers.DateTimeField()
    signed = serializers.BooleanField()
    signature = serializers.DictField(allow_null=True)


class DocumentListItemSerializer(DocumentOutputSerializer):
    superseded = serializers.BooleanField(help_text="A newer document of the same item supersedes this one.")


def _err(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    400: _err("Không phải PDF/JPEG/PNG theo nội dung, hoặc trường sai (lỗi theo từng trường)."),
    401: _err("Chưa đăng nhập hoặc token sai."),
    403: _err("Không được thêm loại giấy tờ này vào hồ sơ lúc này (D17)."),
    404: _err("Không có hồ sơ / giấy tờ, hoặc hồ sơ ngoài đơn vị của người gọi."),
    413: _err("Tệp vượt quá DOCUMENT_MAX_BYTES."),
    503: _err("Kho lưu trữ giấy tờ tạm thời không truy cập được; không ghi gì."),
}


class DocumentCollectionApi(DossierApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=TAGS, summary="Giấy tờ của hồ sơ",
                   responses={200: DocumentListItemSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request, code: str):
        dossier = dossier_for(request, code)
        docs = Document.objects.filter(dossier=dossier).order_by("created_at", "id")
        superseded = set(Document.objects.filter(dossier=dossier, supersedes__isnull=False).values_list("supersedes_id", flat=True))
        return Response([{**services.document_data(d), "superseded": d.pk in superseded} for d in docs])

    @extend_schema(tags=TAGS, summary="Thêm giấy tờ (multipart)", request=DocumentInputSerializer,
                   responses={201: DocumentOutputSerializer, **ERRORS})
    def post(self, request, code: str):
        dossier = dossier_for(request, code)
        data = request.data  # streams each file to a temporary file, hashed (papers.upload)
        if getattr(request._request, "papers_too_large", None):
            msg = too_large_message()
            return Response({"detail": msg, "errors": {"file": [msg]}}, status=413)
        s = DocumentInputSerializer(data=data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        refusal = services.add_refusal(request.user, dossier, v["kind"])
        if refusal:
            raise PermissionDenied(refusal)
        if v.get("origin") == "reused":
            if v["kind"] != Document.Kind.APPLICATION:
                raise DossierError(services.MSG_ORIGIN, errors={"origin": [services.MSG_ORIGIN]})
            doc = services.document_reuse(dossier=dossier, actor=request.user, source_id=v["reuse_of"],
                                          checklist_item=v.get("checklist_item"))
        else:
            upload = v["file"]
            digest, size = hashed(upload)
            doc = services.document_add(
                dossier=dossier, actor=request.user, path=_path_of(upload), sha256=digest, size=size,
                name=upload.name, kind=v["kind"], checklist_item=v.get("checklist_item"), origin=v.get("origin", ""),
            )
        return Response(services.document_data(doc), status=201)


def _path_of(upload) -> str:
    """A path to the uploaded bytes (a temporary file; a small in-memory one is written out)."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path()
    import tempfile

    tmp = tempfile.NamedTemporaryFile(prefix="onecua-up-", delete=False)
    for block in upload.chunks():
        tmp.write(block)
    tmp.close()
    upload._papers_tmp = tmp.name
    return tmp.name


def content_response(doc: Document) -> StreamingHttpResponse:
    """The exact stored bytes, streamed, always as an attachment in a sandbox (a PDF with
    JavaScript, or any file, is never rendered inline by the browser from our origin)."""
    try:
        chunks = storage.chunks(doc.key)
        first = next(chunks, b"")
    except FileNotFoundError:
        raise NotFound(MSG_MISSING_OBJECT.format(id=doc.pk)) from None

    def body():
        yield first
        yield from chunks

    response = StreamingHttpResponse(body(), content_type=doc.content_type)
    response["Content-Length"] = str(doc.size)
    from django.utils.http import content_disposition_header

    response["Content-Disposition"] = content_disposition_header(True, doc.name)
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{doc.sha256}"'
    response["Cache-Control"] = "private, no-store"
    return response


class DocumentContentApi(DossierApiView):
    @extend_schema(tags=TAGS, summary="Nội dung tệp (đúng các byte đã lưu)", responses={
        (200, "application/pdf"): OpenApiTypes.BINARY, (200, "image/jpeg"): OpenApiTypes.BINARY,
        (200, "image/png"): OpenApiTypes.BINARY, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404], 503: ERRORS[503]})
    def get(self, request, code: str, pk: int):
        dossier = dossier_for(request, code)
        doc = Document.objects.filter(dossier=dossier, pk=pk).first()
        if doc is None:
            raise NotFound(MSG_NO_DOCUMENT.format(code=dossier.code, id=pk))
        return content_response(doc)
