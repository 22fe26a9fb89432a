"""`python manage.py rollup --from YYYY-MM-DD --to YYYY-MM-DD`: rebuild the per-day statistics.

Each day is recomputed from the dossiers' history in its own transaction (delete + insert), so
the command can be run again, stopped and resumed, or run beside the nightly job. Without
dates it does what the nightly job does (yesterday and every stale or missing day).
"""
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reporting.errors import ReportError
from reporting.services import rollup_pending_range, rollup_range


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Ngày “{value}” không hợp lệ: cần dạng YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Tổng hợp lại số liệu thống kê theo ngày (tính lại từ lịch sử hồ sơ; chạy lại không sai số liệu)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="Ngày đầu (YYYY-MM-DD).")
        parser.add_argument("--to", dest="end", help="Ngày cuối (YYYY-MM-DD), tính cả ngày này.")

    def handle(self, *args, **options):
        if bool(options["start"]) != bool(options["end"]):
            raise CommandError("Cần cả --from và --to (hoặc không có cả hai để tổng hợp các ngày còn thiếu).")
        if options["start"]:
            start, end = _date(options["start"]), _date(options["end"])
        else:
            span = rollup_pending_range()
            if span is None:
                self.stdout.write("Không có ngày nào cần tổng hợp.")
                return
            start, end = span
        started = time.monotonic()
        verbose = options["verbosity"] >= 2

        def progress(result):
            if verbose:
                self.stdout.write(f"  {result.day:%d/%m/%Y}: {result.rows} dòng, {result.dossiers} hồ sơ, "
                                  f"{result.seconds:.2f} giây")

        try:
            results = rollup_range(start=start, end=end, progress=progress)
        except ReportError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Đã tổng hợp {len(results)} ngày ({start:%d/%m/%Y} – {end:%d/%m/%Y}), "
            f"{sum(r.rows for r in results)} dòng, trong {time.monotonic() - started:.1f} giây."))
