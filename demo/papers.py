"""Demo papers (``load_demo_papers``): a scan for every checklist item of some demo dossiers (a
few reused from the applicant's earlier dossier), and a signed result for approved ones when a
signing key is configured. Idempotent: dossiers that already hold papers are left alone."""
import io
import tempfile

from django.db.models import Exists, OuterRef

from dossiers.models import Dossier
from papers import services, signing, sniff, storage
from papers.models import Document
from papers.upload import file_sha256


def _scan(title: str, path: str) -> None:
    """A one-page 'scan': a light page with the paper's name, as a PDF (img2pdf, no re-encoding)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (620, 877), (250, 249, 244))
    draw = ImageDraw.Draw(img)
    draw.rectangle((30, 30, 590, 847), outline=(120, 120, 120), width=2)
    draw.text((60, 80), title.encode("ascii", "replace").decode(), fill=(20, 20, 20))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    jpg = path + ".jpg"
    with open(jpg, "wb") as fh:
        fh.write(buf.getvalue())
    sniff.images_to_pdf([jpg], path)


def demo_papers_load(*, dossiers: int = 30) -> int:
    """Papers for up to `dossiers` demo dossiers without any; returns how many documents were stored."""
    storage.ensure_bucket()
    has = Document.objects.filter(dossier=OuterRef("pk"))
    qs = (Dossier.objects.exclude(Exists(has)).exclude(state__in=["submitted", "rejected"])
          .select_related("procedure", "resolving_unit").order_by("received_at")[:dossiers])
    made = 0
    with tempfile.TemporaryDirectory() as tmp:
        for d in qs:
            for i, name in enumerate(services.checklist(d)[:4], start=1):
                earlier = services.reusable(dossier_or_id_number=d).filter(item_name=name).first()
                if earlier is not None:
                    services.document_reuse(dossier=d, actor=None, source_id=earlier.pk, checklist_item=i)
                else:
                    path = f"{tmp}/{d.pk}-{i}.pdf"
                    _scan(f"{d.code} - {name}", path)
                    digest, size = file_sha256(path)
                    services.document_add(dossier=d, actor=None, path=path, sha256=digest, size=size,
                                          name=f"giay-to-{i}.pdf", kind="application", checklist_item=i,
                                          origin="scanned", at=d.received_at)
                made += 1
            config = signing.key_config_for(d.resolving_unit)
            if d.state in ("approved", "returned") and config is not None:
                path = f"{tmp}/{d.pk}-kq.pdf"
                _scan(f"{d.code} - Ket qua giai quyet", path)
                digest, size = file_sha256(path)
                draft = services.document_add(dossier=d, actor=None, path=path, sha256=digest, size=size,
                                              name="ket-qua.pdf", kind="result")
                services.result_sign(dossier=d, actor=None, source=draft, config=config)
                made += 2
    return made
