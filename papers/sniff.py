"""What a file is, by its content (never its name): PDF, JPEG or PNG, parsed to be sure.

Pure functions over a file path; the upload keeps the bytes in a temporary file, never all in
memory. A PDF with JavaScript is accepted as a PDF and flagged (it is never shown inline).
"""
from __future__ import annotations

from dataclasses import dataclass

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
ALLOWED = (PDF, JPEG, PNG)
EXTENSION = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}

MSG_TYPE = "Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp, không theo tên)."
MSG_BROKEN = "Tệp {kind} bị hỏng hoặc không đọc được."


class NotAllowed(ValueError):
    pass


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    has_javascript: bool = False
    pages: int = 1


def magic_type(head: bytes) -> str | None:
    """The type the first bytes announce (a PDF header may follow up to 1 KB of junk, as readers allow)."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if b"%PDF-" in head[:1024]:
        return PDF
    return None


def _pdf_javascript(pdf) -> bool:
    """Whether any dictionary of the file (indirect objects and the direct ones nested in them)
    is a JavaScript action or carries a /JS entry."""
    import pikepdf

    def walk(obj, depth=0) -> bool:
        if depth > 20:
            return False
        if isinstance(obj, pikepdf.Dictionary):
            if "/JS" in obj or obj.get("/S") == pikepdf.Name.JavaScript or "/JavaScript" in obj:
                return True
            return any(walk(v, depth + 1) for k, v in obj.items() if not getattr(v, "is_indirect", False))
        if isinstance(obj, pikepdf.Array):
            return any(walk(v, depth + 1) for v in obj if not getattr(v, "is_indirect", False))
        return False

    return any(walk(obj) for obj in pdf.objects) or walk(pdf.trailer)


def sniff_path(path: str) -> Sniffed:
    """Check the file at `path`; raise :class:`NotAllowed` with the Vietnamese message."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    kind = magic_type(head)
    if kind is None:
        raise NotAllowed(MSG_TYPE)
    if kind == PDF:
        import pikepdf

        try:
            with pikepdf.open(path) as pdf:
                pages = len(pdf.pages)
                js = _pdf_javascript(pdf)
        except Exception as exc:  # pikepdf raises PdfError and others on garbage
            raise NotAllowed(MSG_BROKEN.format(kind="PDF")) from exc
        if pages == 0:
            raise NotAllowed(MSG_BROKEN.format(kind="PDF"))
        return Sniffed(PDF, has_javascript=js, pages=pages)
    from PIL import Image

    try:
        with Image.open(path) as img:
            fmt = img.format
            img.verify()
    except Exception as exc:  # truncated, bomb, not an image
        raise NotAllowed(MSG_BROKEN.format(kind="JPEG" if kind == JPEG else "PNG")) from exc
    if (fmt, kind) not in (("JPEG", JPEG), ("PNG", PNG)):
        raise NotAllowed(MSG_TYPE)
    return Sniffed(kind)


def images_to_pdf(paths: list[str], out_path: str) -> None:
    """Join scanned JPEG/PNG pages into one PDF, without re-encoding (img2pdf)."""
    import img2pdf

    with open(out_path, "wb") as out:
        img2pdf.convert(paths, outputstream=out)
