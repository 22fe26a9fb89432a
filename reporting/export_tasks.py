"""Exports of the report page (Excel, PDF, CSV) and the Celery task that makes long ones.

The files are made by ``reporting.formats`` from the report JSON the page shows, the same
renderers as ``python manage.py report``, so a file always carries the page's numbers.

**Which figures.** :func:`report_shown`: a period whose report was published (frozen) shows and
exports the frozen figures; otherwise the figures are computed (``report_figures``, source
``auto``). The page, the synchronous download and the task all call it.

**Long exports.** A large scope (many units, or many dossiers computed directly) is exported by
:func:`report_export_task`. Its state lives in the Django cache (Redis in production, the file
cache in development: shared by the web and worker processes) under a random token, for
:data:`STATE_TTL` seconds::

    {"user_id": 7, "format": "xlsx", "state": "queued|running|done|error",
     "progress": 0–100, "message": "…", "filename": "bieu06_….xlsx", "file": "exports/<token>.xlsx"}

The file is written under ``MEDIA_ROOT/exports/`` (to a temporary name, then renamed) and
served only to the user who asked for it (``reporting.views.export_download``). Files older than
:data:`STATE_TTL` are removed by the next export. Re-running the task for a token rewrites
the same file: harmless.
"""
from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from dossiers.models import Unit
from onecua.files import file_write_atomically
from onecua.replica import replica_reads
from reporting import formats
from reporting.periods import Period

logger = logging.getLogger(__name__)

#: format -> (MIME type, file extension)
EXPORT_FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}
EXPORT_DIR = "exports"
STATE_TTL = 24 * 60 * 60
_KEY = "onecua:reporting:export:{token}"

QUEUED, RUNNING, DONE, ERROR = "queued", "running", "done", "error"

MSG_QUEUED = "Đang chờ xử lý…"
MSG_FIGURES = "Đang tính số liệu…"
MSG_RENDER = {"xlsx": "Đang tạo tệp Excel…", "pdf": "Đang tạo tệp PDF…", "csv": "Đang tạo tệp CSV…"}
MSG_SAVE = "Đang lưu tệp…"
MSG_DONE = "Đã tạo xong tệp."
MSG_IDENTITY = "Số liệu không khớp (vi phạm đẳng thức D12): không xuất báo cáo. Báo cho quản trị hệ thống."
MSG_FAILED = "Không tạo được tệp. Vui lòng thử lại; nếu vẫn lỗi, báo cho quản trị hệ thống."


# --- the figures shown ---------------------------------------------------------------------------


def report_shown(*, period: Period, unit: Unit | None, detail: bool = True):
    """The report the page shows for `period` and `unit`'s subtree: ``(report JSON, frozen)``.

    Published figures win: if the report was frozen, its stored figures (``frozen`` is the
    ``FrozenReport``); else the figures computed now (``frozen`` is None; not `detail`: see
    ``report_figures``). Raises ``ReportIdentityError`` like ``report_figures``.
    """
    from reporting.selectors import report_figures
    from reporting.services import frozen_report_get

    frozen = frozen_report_get(period=period, unit=unit)
    if frozen is not None:
        return frozen.figures, frozen
    return report_figures(period=period, unit=unit, detail=detail), None


def export_render(report: dict, fmt: str) -> bytes:
    """The file of `report` in `fmt` (``reporting.formats``, as ``manage.py report``)."""
    if fmt == "xlsx":
        return formats.report_to_xlsx(report)
    if fmt == "pdf":
        return formats.report_to_pdf(report)
    if fmt == "csv":
        # A BOM so that Excel opens the Vietnamese text as UTF-8.
        return ("\ufeff" + formats.report_to_csv(report)).encode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}")


def export_filename(*, period: Period, unit: Unit | None, fmt: str) -> str:
    """An ASCII file name: ``bieu06_quy1-2022_quy-dinh_000.00.21.H23.xlsx``."""
    kind = {"month": "thang", "quarter": "quy", "half": "6thang", "nine_months": "9thang", "year": "nam"}[period.kind]
    number = "" if period.kind in ("nine_months", "year") else str(period.number)
    basis = "quy-dinh" if period.basis == "regulatory" else "duong-lich"
    scope = unit.code if unit is not None else "toan-bo"
    return f"bieu06_{kind}{number}-{period.year}_{basis}_{scope}.{EXPORT_FORMATS[fmt][1]}"


# --- the task's state ----------------------------------------------------------------------------


def export_state_get(token: str) -> dict | None:
    if not token or len(token) > 64:
        return None
    return cache.get(_KEY.format(token=token))


def _state_update(token: str, **changes) -> dict:
    state = export_state_get(token) or {}
    state.update(changes)
    cache.set(_KEY.format(token=token), state, timeout=STATE_TTL)
    return state


def export_path(state: dict) -> Path:
    return Path(settings.MEDIA_ROOT) / state["file"]


def export_begin(*, user_id: int, period: Period, unit: Unit | None, fmt: str) -> str:
    """Record a new export for `user_id` and enqueue the task; returns its token."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    token = secrets.token_urlsafe(18)
    _state_update(token, user_id=user_id, format=fmt, state=QUEUED, progress=0, message=MSG_QUEUED,
                  filename=export_filename(period=period, unit=unit, fmt=fmt), file="", created=time.time())
    report_export_task.delay(token=token, period_key=period.key, unit_code=unit.code if unit else None, fmt=fmt)
    return token


def _remove_old_files(directory: Path, *, now: float) -> None:
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        try:
            if path.is_file() and now - path.stat().st_mtime > STATE_TTL:
                path.unlink()
        except OSError:  # another worker removed it first
            pass


def export_run(*, token: str, period: Period, unit: Unit | None, fmt: str) -> dict:
    """Make the export of `token`: figures, file, state (progress 10 → 50 → 90 → 100)."""
    from reporting.selectors import ReportIdentityError

    _state_update(token, state=RUNNING, progress=10, message=MSG_FIGURES)
    try:
        with replica_reads():  # figures others wrote: the read replica when one is usable
            report, _frozen = report_shown(period=period, unit=unit)
    except ReportIdentityError as exc:
        logger.error("Export %s refused: %s", token, exc)
        return _state_update(token, state=ERROR, progress=100, message=MSG_IDENTITY, failures=exc.failures)
    _state_update(token, progress=50, message=MSG_RENDER[fmt])
    data = export_render(report, fmt)
    _state_update(token, progress=90, message=MSG_SAVE)
    relative = f"{EXPORT_DIR}/{token}.{EXPORT_FORMATS[fmt][1]}"
    directory = Path(settings.MEDIA_ROOT) / EXPORT_DIR
    _remove_old_files(directory, now=time.time())
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    file_write_atomically(target, data, prefix=".export-")
    return _state_update(token, state=DONE, progress=100, message=MSG_DONE, file=relative, size=len(data))


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=30)
def report_export_task(self, *, token: str, period_key: str, unit_code: str | None, fmt: str) -> str:
    """Make one export of the report page (``export_run``); the state says how far it is."""
    from django.db import OperationalError

    try:
        unit = Unit.objects.get(code=unit_code) if unit_code else None
        return export_run(token=token, period=Period.from_key(period_key), unit=unit, fmt=fmt)["state"]
    except OperationalError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc)
        _state_update(token, state=ERROR, progress=100, message=MSG_FAILED)
        raise
    except Exception:
        _state_update(token, state=ERROR, progress=100, message=MSG_FAILED)
        raise
