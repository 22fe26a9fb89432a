"""Papers on the pages: the dossier page's panel, the counter's scans at intake, downloads, and
the citizen's electronic result. Views are thin: rules live in ``papers.services``."""
from __future__ import annotations

import os
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dossiers.errors import DossierError
from dossiers.models import Dossier
from dossiers.selectors import dossier_get_for_user
from dossiers.identity import IdentityError, normalize_id_number
from dossiers.workflow import DossierState
from papers import services, signing, sniff, storage
from papers.models import Document
from papers.upload import file_sha256, hashed, too_large_message

MSG_MIXED = "Giấy tờ “{item}”: chọn một tệp PDF, hoặc một hay nhiều trang ảnh JPEG/PNG (không trộn PDF với ảnh)."


def _dossier(user, code: str) -> Dossier:
    try:
        return dossier_get_for_user(user=user, code=code)
    except Dossier.DoesNotExist:
        raise Http404 from None


# --- one file from the form's uploads (several scanned pages become one PDF) ------------------


class Prepared:
    """A file ready to store: a path, its SHA-256 and size, a name; temporary files cleaned on close."""

    def __init__(self, path: str, sha256: str, size: int, name: str, tmp: str | None = None):
        self.path, self.sha256, self.size, self.name, self._tmp = path, sha256, size, name, tmp

    def close(self):
        if self._tmp and os.path.exists(self._tmp):
            os.unlink(self._tmp)


def _upload_path(upload) -> tuple[str, str | None]:
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path(), None
    tmp = tempfile.NamedTemporaryFile(prefix="onecua-up-", delete=False)
    for block in upload.chunks():
        tmp.write(block)
    tmp.close()
    return tmp.name, tmp.name


def prepare(uploads: list, item_name: str) -> Prepared:
    """One PDF/JPEG/PNG as it came, or several JPEG/PNG pages joined into one PDF (img2pdf)."""
    if len(uploads) == 1:
        path, tmp = _upload_path(uploads[0])
        digest, size = hashed(uploads[0])
        return Prepared(path, digest, size, uploads[0].name, tmp)
    paths, tmps = [], []
    try:
        for up in uploads:
            path, tmp = _upload_path(up)
            paths.append(path)
            if tmp:
                tmps.append(tmp)
            try:
                kind = sniff.sniff_path(path).content_type
            except sniff.NotAllowed as exc:
                raise DossierError(str(exc), errors={"file": [str(exc)]}) from exc
            if kind == sniff.PDF:
                msg = MSG_MIXED.format(item=item_name)
                raise DossierError(msg, errors={"file": [msg]})
        out = tempfile.NamedTemporaryFile(prefix="onecua-pages-", suffix=".pdf", delete=False)
        out.close()
        sniff.images_to_pdf(paths, out.name)
        digest, size = file_sha256(out.name)
        stem = os.path.splitext(os.path.basename(uploads[0].name))[0] or "ban-quet"
        return Prepared(out.name, digest, size, f"{stem}.pdf", out.name)
    finally:
        for t in tmps:
            os.unlink(t)


# --- intake: one scan (or several pages) per checklist item, or a reused paper ----------------


def intake_panel(request) -> str:
    return render_to_string("papers/intake_panel.html", {"reuse_url": reverse("papers:reusable")}, request=request)


def intake_saved(request, dossier: Dossier) -> None:
    """Store the scans attached to the intake form. The dossier is already committed: a store
    that is down leaves it without papers, and the clerk is told so."""
    names = services.checklist(dossier)
    stored, errors = 0, []
    if getattr(request, "papers_too_large", None):
        errors.append(_("Không lưu tệp %(files)s: %(why)s") % {
            "files": ", ".join(request.papers_too_large), "why": too_large_message()})
    for i, name in enumerate(names):
        row = _row_index(request, i, name)
        reuse = (request.POST.get(f"reuse-{row}") or "").strip()
        uploads = request.FILES.getlist(f"scan-{row}")
        try:
            if reuse.isdigit():
                services.document_reuse(dossier=dossier, actor=request.user, source_id=int(reuse), checklist_item=i + 1)
                stored += 1
            elif uploads:
                prepared = prepare(uploads, name)
                try:
                    services.document_add(
                        dossier=dossier, actor=request.user, path=prepared.path, sha256=prepared.sha256,
                        size=prepared.size, name=prepared.name, kind=Document.Kind.APPLICATION, checklist_item=i + 1,
                        origin=Document.Origin.SCANNED,
                    )
                finally:
                    prepared.close()
                stored += 1
        except storage.StoreUnavailable:
            messages.warning(request, _("Hồ sơ %(code)s đã được tiếp nhận nhưng CHƯA lưu được bản số hóa: kho lưu trữ "
                                        "giấy tờ tạm thời không truy cập được. Đính kèm lại trên trang hồ sơ khi kho "
                                        "hoạt động trở lại.") % {"code": dossier.code})
            return
        except DossierError as exc:
            errors.append(f"{name}: {exc.message}")
    if stored:
        done = services.is_digitised(dossier)
        messages.info(request, _("Đã lưu %(n)s bản số hóa%(all)s.") % {
            "n": stored, "all": _(" – hồ sơ đã số hóa đủ") if done else ""})
    for e in errors:
        messages.error(request, e)


def _row_index(request, i: int, name: str) -> int:
    """The form row of checklist item i (rows follow the procedure's list; match by name if not)."""
    if request.POST.get(f"doc-{i}-name", name) == name:
        return i
    for j in range(int(request.POST.get("doc-count") or 0)):
        if request.POST.get(f"doc-{j}-name") == name:
            return j
    return i


@login_required
@require_GET
def reusable_lookup(request):
    """Earlier digitised papers and results of the applicant with this CCCD (for reuse)."""
    try:
        id_number = normalize_id_number(request.GET.get("id_number"))
    except IdentityError as exc:
        id_number, message = "", exc.message
    else:
        message = ""
    if not id_number:
        message = message or "Vui lòng nhập số CCCD gồm 12 chữ số."
        return JsonResponse({"detail": message, "errors": {"id_number": [message]}}, status=400)
    docs = services.reusable(dossier_or_id_number=id_number, user=request.user)[:50]
    return JsonResponse({"documents": [{
        "id": d.pk, "kind": d.kind, "name": d.name, "item_name": d.item_name, "dossier": d.dossier.code,
        "date": f"{d.created_at:%d/%m/%Y}", "signed": d.signed,
        "label": f"{d.item_name or d.get_kind_display()} – {d.dossier.code} ({d.created_at:%d/%m/%Y})",
    } for d in docs]})


# --- the dossier page ------------------------------------------------------------------------


def _validation(doc: Document) -> signing.Validation | None:
    if doc.content_type != sniff.PDF or doc.kind != Document.Kind.RESULT:
        return None
    try:
        with tempfile.NamedTemporaryFile(prefix="onecua-val-", suffix=".pdf") as fh:
            storage.to_file(doc.key, fh)
            return signing.validate_pdf(fh.name)
    except (FileNotFoundError, storage.StoreUnavailable):
        return signing.Validation(signed=doc.signed, error=_("Không đọc được tệp trong kho lưu trữ."))


def dossier_panel(request, dossier: Dossier) -> str:
    docs = services.current_documents(dossier)
    names = services.checklist(dossier)
    by_item = {d.checklist_item: d for d in docs if d.kind == Document.Kind.APPLICATION}
    items = [{"number": i + 1, "name": n, "doc": by_item.get(i + 1)} for i, n in enumerate(names)]
    extra = [d for d in docs if d.kind == Document.Kind.APPLICATION and (d.checklist_item is None or d.checklist_item > len(names))]
    results = [{"doc": d, "check": _validation(d)} for d in docs if d.kind == Document.Kind.RESULT]
    return render_to_string("papers/dossier_panel.html", {
        "dossier": dossier, "items": items, "extra": extra, "results": results,
        "digitised": services.is_digitised(dossier, docs),
        "electronic": services.electronic_result(dossier, docs),
        "may_add_application": services.add_refusal(request.user, dossier, Document.Kind.APPLICATION) is None,
        "may_add_result": services.add_refusal(request.user, dossier, Document.Kind.RESULT) is None,
        "upload_url": reverse("papers:upload", args=[dossier.code]),
        "max_mb": settings.DOCUMENT_MAX_BYTES // (1024 * 1024),
    }, request=request)


@login_required
@require_POST
def dossier_documents_post(request, code: str):
    """Attach a paper (or the result PDF) from the dossier page."""
    dossier = _dossier(request.user, code)
    back = redirect("dossiers:detail", code=dossier.code)
    kind = request.POST.get("kind", Document.Kind.APPLICATION)
    if kind not in Document.Kind.values:
        raise Http404
    refusal = services.add_refusal(request.user, dossier, kind)
    if refusal:
        messages.error(request, refusal)
        return back
    if getattr(request, "papers_too_large", None):
        messages.error(request, too_large_message())
        return back
    uploads = request.FILES.getlist("file")
    if not uploads:
        messages.error(request, _("Vui lòng chọn tệp."))
        return back
    item = request.POST.get("checklist_item")
    item = int(item) if (item or "").isdigit() else None
    try:
        prepared = prepare(uploads, "")
        try:
            doc = services.document_add(
                dossier=dossier, actor=request.user, path=prepared.path, sha256=prepared.sha256, size=prepared.size,
                name=prepared.name, kind=kind, checklist_item=item if kind == Document.Kind.APPLICATION else None,
                origin=Document.Origin.SCANNED if kind == Document.Kind.APPLICATION else "",
            )
        finally:
            prepared.close()
    except DossierError as exc:
        messages.error(request, exc.message)
        return back
    messages.success(request, _("Đã lưu “%(name)s” (SHA-256 %(sha)s…).") % {"name": doc.name, "sha": doc.sha256[:12]})
    return back


@login_required
@require_GET
def document_download(request, code: str, pk: int):
    from papers.api import content_response
    from rest_framework.exceptions import NotFound

    dossier = _dossier(request.user, code)
    doc = Document.objects.filter(dossier=dossier, pk=pk).first()
    if doc is None:
        raise Http404
    try:
        return content_response(doc)
    except NotFound:
        raise Http404 from None


# --- the citizen: the electronic result, once the lookup is verified --------------------------

PUBLIC_RESULT_STATES = (DossierState.APPROVED, DossierState.RETURNED)


def public_panel(request, dossier: Dossier) -> str:
    if dossier.state not in PUBLIC_RESULT_STATES:
        return ""
    doc = services.electronic_result(dossier)
    return render_to_string("papers/public_panel.html", {
        "dossier": dossier, "doc": doc, "check": _validation(doc) if doc else None,
    }, request=request)


def kiosk_panel(request, dossier: Dossier) -> str:
    doc = services.electronic_result(dossier)
    return render_to_string("papers/kiosk_panel.html", {"doc": doc}, request=request)


@never_cache
@require_GET
def public_download(request, code: str, pk: int):
    from citizens.views.public import verified_dossier
    from papers.api import content_response
    from rest_framework.exceptions import NotFound

    dossier = verified_dossier(request, code)
    if dossier is None or dossier.state not in PUBLIC_RESULT_STATES:
        raise Http404
    doc = services.electronic_result(dossier)
    if doc is None or doc.pk != pk:
        raise Http404
    try:
        return content_response(doc)
    except NotFound:
        raise Http404 from None
