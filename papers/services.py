"""Papers of a dossier (domain.md D21): store, reuse, sign at approval, flags, index 766 group 4.

The object is written first under a fresh key, then the row and its history event in one
transaction: an interrupted upload leaves at most an object without a row, which
``orphans_remove`` deletes once it is older than ``DOCUMENT_ORPHAN_HOURS``.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dossiers.errors import DossierError
from dossiers.models import Dossier, DossierEvent
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, user_roles
from dossiers.selectors import staff_profile
from dossiers.services import lifecycle
from dossiers.workflow import OPEN_STATES, DossierState
from onecua.rows import rows_insert
from papers import signing, sniff, storage
from papers.models import Document

EVENT_ACTION = "add-document"

MSG_ITEM_REQUIRED = "Vui lòng chọn giấy tờ trong danh mục thành phần hồ sơ (từ 1 đến {n})."
MSG_ITEM_RANGE = "Thủ tục chỉ có {n} giấy tờ trong danh mục; không có giấy tờ số {i}."
MSG_ORIGIN = "Nguồn phải là scanned, uploaded hoặc reused."
MSG_REUSE_SOURCE = "Không có giấy tờ số {id} của cùng người nộp để tái sử dụng."
MSG_REUSE_REQUIRED = "Giấy tờ tái sử dụng phải nêu reuse_of (giấy tờ đã số hóa trước đó)."
MSG_RESULT_PDF = "Kết quả điện tử phải là tệp PDF."
MSG_RESULT_DOC = "Không có tệp kết quả số {id} chưa ký của hồ sơ này."
MSG_NOT_COUNTER = "Chỉ bộ phận một cửa nơi tiếp nhận, hoặc đơn vị đang xử lý hồ sơ, được thêm giấy tờ vào hồ sơ đang giải quyết."
MSG_NOT_LEADER = "Chỉ lãnh đạo cơ quan chủ trì giải quyết được lưu tệp kết quả."
MSG_CLOSED = "Hồ sơ đã kết thúc; không thêm giấy tờ được nữa."
MSG_SIGN_FAILED = "Không ký số được kết quả: {reason}"

APPLICATION_STATES = OPEN_STATES | {DossierState.SUBMITTED}
RESULT_STATES = OPEN_STATES  # a result is stored before the approval that signs it


# --- who may add (D17). One function, to be swapped for the core's when it lands. ------------


def add_refusal(user, dossier: Dossier, kind: str) -> str | None:
    """None when `user` may add a `kind` document to `dossier` now, else the reason (403).

    The counter of the receiving unit at intake and while the dossier is open (supplements);
    the unit holding the current step; the lead unit's leaders for results (D17, D21)."""
    roles = user_roles(user)
    profile = staff_profile(user)
    unit_id = profile.unit_id if profile else None
    if kind == Document.Kind.RESULT:
        if dossier.state not in RESULT_STATES:
            return MSG_CLOSED
        if LEADER in roles and unit_id is not None and unit_id == dossier.resolving_unit_id:
            return None
        return MSG_NOT_LEADER
    if dossier.state not in APPLICATION_STATES:
        return MSG_CLOSED
    if unit_id is None:
        return MSG_NOT_COUNTER
    if COUNTER_CLERK in roles and unit_id == dossier.receiving_unit_id:
        return None
    if roles & {OFFICER, LEADER} and unit_id == dossier.current_unit_id:
        return None
    return MSG_NOT_COUNTER


# --- storing ---------------------------------------------------------------------------------


def checklist(dossier: Dossier) -> list[str]:
    return dossier.procedure.document_list


def _item(dossier: Dossier, kind: str, item: int | None) -> tuple[int | None, str]:
    names = checklist(dossier)
    if kind != Document.Kind.APPLICATION:
        return None, ""
    if item is None:
        if names:
            msg = MSG_ITEM_REQUIRED.format(n=len(names))
            raise DossierError(msg, errors={"checklist_item": [msg]})
        return None, ""
    if not 1 <= item <= len(names):
        msg = MSG_ITEM_RANGE.format(n=len(names), i=item)
        raise DossierError(msg, errors={"checklist_item": [msg]})
    return item, names[item - 1]


def _current(dossier: Dossier, kind: str, item: int | None):
    newer = Document.objects.filter(supersedes=OuterRef("pk"))
    qs = Document.objects.filter(dossier=dossier, kind=kind).exclude(Exists(newer))
    if kind == Document.Kind.APPLICATION:
        qs = qs.filter(checklist_item=item)
    return qs.order_by("-created_at", "-id").first()


def _actor_name(actor) -> str:
    return "" if actor is None else (actor.get_full_name() or actor.get_username())


def _record(*, dossier: Dossier, actor, doc: Document) -> Document:
    """Insert the row and its history event (one transaction; the object is already stored)."""
    with transaction.atomic():
        profile = staff_profile(actor) if actor is not None else None
        doc.unit_id = profile.unit_id if profile else dossier.current_unit_id
        doc.created_by = actor if actor is not None and actor.pk else None
        doc.created_by_name = _actor_name(actor)
        doc.supersedes = doc.supersedes or _current(dossier, doc.kind, doc.checklist_item)
        doc.save()
        event = DossierEvent.objects.create(
            dossier=dossier, at=doc.created_at, action=EVENT_ACTION, from_state=dossier.state, to_state=dossier.state,
            actor=doc.created_by, actor_name=doc.created_by_name, unit_id=doc.unit_id,
            note=doc.item_name or doc.name, due_date=dossier.due_date,
            data={"document": doc.pk, "kind": doc.kind, "checklist_item": doc.checklist_item, "name": doc.name,
                  "content_type": doc.content_type, "size": doc.size, "sha256": doc.sha256, "origin": doc.origin,
                  "signed": doc.signed, **({"reuse_of": doc.reuse_of_id} if doc.reuse_of_id else {}),
                  **({"supersedes": doc.supersedes_id} if doc.supersedes_id else {})},
        )
        rows_insert(lifecycle._transition_hook_rows(dossier, event))  # webhooks "document.added"
    return doc


def document_add(
    *, dossier: Dossier, actor, path: str, sha256: str, size: int, name: str, kind: str,
    checklist_item: int | None = None, origin: str = "", at: datetime | None = None,
) -> Document:
    """Store the file at `path` (already hashed while it arrived) as a new document."""
    item, item_name = _item(dossier, kind, checklist_item)
    if kind == Document.Kind.APPLICATION and origin not in (Document.Origin.SCANNED, Document.Origin.UPLOADED):
        raise DossierError(MSG_ORIGIN, errors={"origin": [MSG_ORIGIN]})
    try:
        found = sniff.sniff_path(path)
    except sniff.NotAllowed as exc:
        raise DossierError(str(exc), errors={"file": [str(exc)]}) from exc
    if kind == Document.Kind.RESULT and found.content_type != sniff.PDF:
        raise DossierError(MSG_RESULT_PDF, errors={"file": [MSG_RESULT_PDF]})
    at = at or timezone.now()
    key = storage.new_key(sniff.EXTENSION[found.content_type], at)
    storage.save(key, path)  # first the object (an orphan if what follows fails) …
    doc = Document(
        dossier=dossier, kind=kind, checklist_item=item, item_name=item_name, name=_clean_name(name, found.content_type),
        content_type=found.content_type, size=size, sha256=sha256, key=key,
        origin=origin if kind == Document.Kind.APPLICATION else "", has_javascript=found.has_javascript, created_at=at,
    )
    return _record(dossier=dossier, actor=actor, doc=doc)  # … then the row and the event


def _clean_name(name: str, content_type: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip() or "giay-to"
    stem, ext = os.path.splitext(base)
    return (stem[:200] or "giay-to") + sniff.EXTENSION[content_type]


def reusable(*, dossier_or_id_number, user=None):
    """Earlier documents of the same applicant (by CCCD), newest first, current ones only:
    application papers and results. `user` limits them to dossiers the user may see."""
    from dossiers.selectors import dossiers_visible_to

    if isinstance(dossier_or_id_number, Dossier):
        id_number, exclude = dossier_or_id_number.applicant_id_number, dossier_or_id_number.pk
    else:
        id_number, exclude = dossier_or_id_number, None
    if not id_number:
        return Document.objects.none()
    dossiers = Dossier.objects.filter(applicant_id_number=id_number)
    if user is not None:
        dossiers = dossiers_visible_to(user, dossiers)
    newer = Document.objects.filter(supersedes=OuterRef("pk"))
    qs = Document.objects.filter(dossier__in=dossiers).exclude(Exists(newer)).select_related("dossier")
    if exclude:
        qs = qs.exclude(dossier_id=exclude)
    return qs.order_by("-created_at", "-id")


def document_reuse(*, dossier: Dossier, actor, source_id: int, checklist_item: int | None, at=None) -> Document:
    """Link an earlier digitised paper or result of the same applicant (origin ``reused``): the
    same stored bytes, a new row in this dossier."""
    item, item_name = _item(dossier, Document.Kind.APPLICATION, checklist_item)
    source = reusable(dossier_or_id_number=dossier).filter(pk=source_id).first()
    if source is None:
        msg = MSG_REUSE_SOURCE.format(id=source_id)
        raise DossierError(msg, errors={"reuse_of": [msg]})
    doc = Document(
        dossier=dossier, kind=Document.Kind.APPLICATION, checklist_item=item, item_name=item_name, name=source.name,
        content_type=source.content_type, size=source.size, sha256=source.sha256, key=source.key,
        origin=Document.Origin.REUSED, reuse_of=source, has_javascript=source.has_javascript,
        created_at=at or timezone.now(),
    )
    return _record(dossier=dossier, actor=actor, doc=doc)


# --- flags -----------------------------------------------------------------------------------


def current_documents(dossier: Dossier) -> list[Document]:
    newer = Document.objects.filter(supersedes=OuterRef("pk"))
    return list(Document.objects.filter(dossier=dossier).exclude(Exists(newer)).order_by("kind", "checklist_item", "created_at", "id"))


def is_digitised(dossier: Dossier, docs: list[Document] | None = None) -> bool:
    """Every checklist item has a file (a procedure without a checklist: at least one paper)."""
    docs = current_documents(dossier) if docs is None else docs
    items = {d.checklist_item for d in docs if d.kind == Document.Kind.APPLICATION}
    n = len(checklist(dossier))
    return items >= set(range(1, n + 1)) if n else bool(items)


def electronic_result(dossier: Dossier, docs: list[Document] | None = None) -> Document | None:
    """The signed result PDF of the lead unit, if any."""
    docs = current_documents(dossier) if docs is None else docs
    for d in reversed(docs):
        if d.kind == Document.Kind.RESULT and d.signed and d.signing_unit_id == dossier.resolving_unit_id:
            return d
    return None


def document_data(d: Document) -> dict:
    return {
        "id": d.pk, "kind": d.kind, "checklist_item": d.checklist_item, "name": d.name, "content_type": d.content_type,
        "size": d.size, "sha256": d.sha256, "origin": d.origin, "created_at": _iso(d.created_at), "signed": d.signed,
        "signature": {"signer": d.signer, "signed_at": _iso(d.signed_at)} if d.signed else None,
        "reuse_of": d.reuse_of_id, "supersedes": d.supersedes_id, "created_by": d.created_by_name,
    }


def _iso(value):
    return None if value is None else timezone.localtime(value).isoformat()


def detail_fields(dossier: Dossier, request) -> dict:
    """The API detail's ``documents``, ``digitised``, ``electronic_result`` (dossiers.hooks)."""
    docs = current_documents(dossier)
    return {"documents": [document_data(d) for d in docs], "digitised": is_digitised(dossier, docs),
            "electronic_result": electronic_result(dossier, docs) is not None}


# --- approval signs the result (dossiers.hooks.ACTION_HOOKS["approve"]) ----------------------


def approve_hook(dossier: Dossier, actor, payload: dict) -> dict:
    """Sign the result PDF named in `payload` (else the latest unsigned result of the dossier)
    with the lead unit's key and store the signed copy. No result or no key: nothing to do."""
    doc_id = payload.get("result_document")
    results = Document.objects.filter(dossier=dossier, kind=Document.Kind.RESULT, signed=False)
    if doc_id:
        source = results.filter(pk=doc_id).first()
        if source is None or source.content_type != sniff.PDF:
            msg = MSG_RESULT_DOC.format(id=doc_id)
            raise DossierError(msg, errors={"result_document": [msg]})
    else:
        source = _current(dossier, Document.Kind.RESULT, None)
        if source is None or source.signed or source.content_type != sniff.PDF:
            return {}
    config = signing.key_config_for(dossier.resolving_unit)
    if config is None:
        return {"result_document": source.pk, "signed": False}
    signed = result_sign(dossier=dossier, actor=actor, source=source, config=config)
    return {"result_document": source.pk, "signed_document": signed.pk, "signed": True}


def result_sign(*, dossier: Dossier, actor, source: Document, config) -> Document:
    unit = dossier.resolving_unit
    with tempfile.TemporaryDirectory(prefix="onecua-sign-") as tmp:
        src, out = os.path.join(tmp, "in.pdf"), os.path.join(tmp, "out.pdf")
        with open(src, "wb") as fh:
            if storage.to_file(source.key, fh) != source.sha256:
                msg = MSG_SIGN_FAILED.format(reason="tệp kết quả trong kho đã bị thay đổi")
                raise DossierError(msg, errors={"result_document": [msg]})
        try:
            signer, signed_at = signing.sign_pdf(
                in_path=src, out_path=out, config=config, reason=f"Kết quả giải quyết hồ sơ {dossier.code}",
                location=unit.place or unit.name,
            )
        except signing.SigningError as exc:
            raise DossierError(str(exc), errors={"result_document": [str(exc)]}) from exc
        from papers.upload import file_sha256

        digest, size = file_sha256(out)
        key = storage.new_key(".pdf")
        storage.save(key, out)
    doc = Document(
        dossier=dossier, kind=Document.Kind.RESULT, name=source.name, content_type=sniff.PDF, size=size, sha256=digest,
        key=key, supersedes=source, signed=True, signer=signer, signed_at=signed_at, signing_unit=unit,
        created_at=timezone.now(),
    )
    return _record(dossier=dossier, actor=actor, doc=doc)


# --- checks and housekeeping -----------------------------------------------------------------


@dataclass
class VerifyReport:
    checked: int = 0
    missing: list = None
    changed: list = None

    def __post_init__(self):
        self.missing, self.changed = self.missing or [], self.changed or []


def documents_verify() -> VerifyReport:
    """Re-hash every stored object (once per key) against its rows."""
    report = VerifyReport()
    seen: dict[str, tuple[str, int] | None] = {}
    for doc in Document.objects.order_by("id").iterator():
        if doc.key not in seen:
            try:
                seen[doc.key] = storage.sha256_of(doc.key)
            except FileNotFoundError:
                seen[doc.key] = None
        report.checked += 1
        got = seen[doc.key]
        if got is None:
            report.missing.append(doc)
        elif got != (doc.sha256, doc.size):
            report.changed.append(doc)
    return report


def orphans_remove(*, older_than: datetime | None = None, dry_run: bool = False) -> list[str]:
    """Delete stored objects that no row references and that are older than the cutoff (an
    upload interrupted between the object and the row; a younger one may be mid-flight)."""
    cutoff = older_than or storage.orphan_cutoff()
    removed = []
    for key, modified in storage.keys_with_times():
        if modified is not None and modified > cutoff:
            continue
        if Document.objects.filter(key=key).exists():
            continue
        if not dry_run:
            storage.delete(key)
        removed.append(key)
    return removed
