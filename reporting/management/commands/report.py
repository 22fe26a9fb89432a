"""`python manage.py report …`: the statistical reports (interfaces.md "Reports").

    report quarterly --year Y --quarter Q [--basis regulatory|calendar] [--unit CODE]
                     --format json|csv|xlsx|pdf [--output FILE] [--source auto|rollup|direct]
    report period --kind month|quarter|half|nine_months|year --year Y [--number N] …  (same options)
    report tracking-book --from YYYY-MM-DD --to YYYY-MM-DD [--unit CODE] --format csv|xlsx [--output FILE]

The figures come from ``reporting.selectors`` (the same as the API and the page). Without
``--output`` the result goes to standard output (xlsx and pdf only to a file or a pipe). A
failed identity, an unknown unit or a bad period exit non-zero, writing nothing.
"""
from __future__ import annotations

import json
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dossiers.models import Unit
from onecua.files import file_write_atomically
from reporting import formats
from reporting.hooks import report_json_extend
from reporting.periods import BASES, KINDS, PeriodError, period_from_params
from reporting.selectors import (
    SOURCES,
    ReportIdentityError,
    RollupMissingError,
    report_figures,
    tracking_book_rows,
)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} “{value}” không hợp lệ: cần dạng YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Báo cáo thống kê (Biểu 06/VPCP/KSTT) và Sổ theo dõi hồ sơ (Mẫu 06)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="report", required=True, metavar="quarterly|period|tracking-book")

        def report_options(p, *, kind: bool):
            if kind:
                p.add_argument("--kind", choices=KINDS, required=True, help="Loại kỳ.")
                p.add_argument("--number", type=int, help="Số kỳ trong năm (tháng 1–12, quý 1–4, 6 tháng 1–2).")
            else:
                p.add_argument("--quarter", type=int, required=True, help="Quý (1–4).")
            p.add_argument("--year", type=int, required=True, help="Năm báo cáo.")
            p.add_argument("--basis", choices=BASES, default="regulatory",
                           help="Cách tính kỳ: regulatory (15 – 14, mặc định) hoặc calendar (dương lịch).")
            p.add_argument("--unit", help="Mã đơn vị: chỉ tính các đơn vị trực thuộc đơn vị này.")
            p.add_argument("--format", choices=("json", "csv", "xlsx", "pdf"), required=True)
            p.add_argument("--output", help="Tệp kết quả (mặc định: đầu ra chuẩn).")
            p.add_argument("--source", choices=SOURCES, default="auto",
                           help="auto (mặc định): số liệu tổng hợp nếu đủ ngày, nếu không tính trực tiếp; "
                                "rollup; direct.")

        report_options(sub.add_parser("quarterly", help="Báo cáo quý."), kind=False)
        report_options(sub.add_parser("period", help="Báo cáo tháng, quý, 6 tháng, 9 tháng, năm."), kind=True)
        book = sub.add_parser("tracking-book", help="Sổ theo dõi hồ sơ (Mẫu 06).")
        book.add_argument("--from", dest="start", required=True, help="Từ ngày tiếp nhận (YYYY-MM-DD).")
        book.add_argument("--to", dest="end", required=True, help="Đến ngày tiếp nhận (YYYY-MM-DD).")
        book.add_argument("--unit", help="Mã đơn vị tiếp nhận (gồm các đơn vị trực thuộc).")
        book.add_argument("--format", choices=("csv", "xlsx"), required=True)
        book.add_argument("--output", help="Tệp kết quả (mặc định: đầu ra chuẩn).")

    # --- helpers ------------------------------------------------------------------------------

    def _unit(self, code: str | None) -> Unit | None:
        if not code:
            return None
        try:
            return Unit.objects.get(code=code)
        except Unit.DoesNotExist:
            raise CommandError(f"Không có đơn vị mã “{code}”.") from None

    def _write(self, data: str | bytes, output: str | None) -> None:
        if output:
            file_write_atomically(output, data, prefix=".report-")  # a failure leaves nothing
            self.stderr.write(f"Đã ghi {output}.")
            return
        if isinstance(data, str):
            self.stdout.write(data, ending="" if data.endswith("\n") else "\n")
            return
        if sys.stdout.isatty():
            raise CommandError("Định dạng xlsx/pdf cần --output FILE (hoặc chuyển hướng đầu ra vào tệp).")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()

    # --- the reports --------------------------------------------------------------------------

    def handle(self, *args, **options):
        if options["report"] == "tracking-book":
            return self._tracking_book(options)
        params = {"basis": options["basis"], "year": options["year"]}
        if options["report"] == "quarterly":
            params.update(kind="quarter", quarter=options["quarter"])
        else:
            params.update(kind=options["kind"], number=options["number"])
        try:
            period = period_from_params(params)
        except PeriodError as exc:
            raise CommandError(exc.message) from None
        unit = self._unit(options["unit"])
        try:
            report = report_figures(period=period, unit=unit, source=options["source"])
        except (ReportIdentityError, RollupMissingError) as exc:
            raise CommandError(str(exc)) from None
        fmt = options["format"]
        if fmt == "json":
            # New keys of other apps (citizens: satisfaction, feedback), as the API: reporting.hooks.
            report_json_extend(report, period=period, unit=unit)
            data: str | bytes = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        elif fmt == "csv":
            data = formats.report_to_csv(report)
        elif fmt == "xlsx":
            data = formats.report_to_xlsx(report)
        else:
            data = formats.report_to_pdf(report)
        self._write(data, options["output"])

    def _tracking_book(self, options):
        start, end = _date(options["start"], "--from"), _date(options["end"], "--to")
        if start > end:
            raise CommandError(f"--from ({start:%d/%m/%Y}) phải trước hoặc bằng --to ({end:%d/%m/%Y}).")
        unit = self._unit(options["unit"])
        rows = tracking_book_rows(start=start, end=end, unit=unit)
        if options["format"] == "csv":
            data: str | bytes = formats.tracking_book_to_csv(rows)
        else:
            where = f" – {unit.name}" if unit else ""
            data = formats.tracking_book_to_xlsx(
                rows, title=f"Hồ sơ tiếp nhận từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}{where}")
        self._write(data, options["output"])
