"""`python manage.py import_dossiers FILE.csv`: import dossier histories from an old system.

The format and the rules are in interfaces.md ("Dossier history import"); the work is done by
``dossiers.services.history_import``. All-or-nothing: on any error every problem is printed to
stderr as ``line N, column C: reason`` and nothing is written.
"""
import time

from django.core.management.base import BaseCommand, CommandError

from dossiers.services.history_import import HistoryImportError, dossier_history_import


class Command(BaseCommand):
    help = "Nhập lịch sử hồ sơ từ hệ thống cũ (CSV UTF-8), xử lý lại qua đúng các bước nghiệp vụ."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp CSV (UTF-8, có dòng tiêu đề).")
        parser.add_argument(
            "--via-services", action="store_true",
            help="Gọi từng dịch vụ nghiệp vụ cho từng hồ sơ (chậm; cùng kết quả với cách mặc định).",
        )

    def handle(self, *args, **options):
        path = options["file"]
        started = time.monotonic()
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                result = dossier_history_import(
                    stream=fh, via_services=options["via_services"],
                    stdout=self.stdout if options["verbosity"] >= 2 else None,
                )
        except FileNotFoundError as exc:
            raise CommandError(f"Không tìm thấy tệp {path}.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: tệp phải được mã hóa UTF-8 ({exc}).") from exc
        except HistoryImportError as exc:
            for line in str(exc).splitlines():
                self.stderr.write(line)
            raise CommandError(
                f"{len(exc.errors)} lỗi trong {path}; không có hồ sơ nào được nhập."
            ) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Đã nhập {result.dossiers} hồ sơ ({result.events} sự kiện, {result.generated_codes} mã mới cấp) "
            f"trong {elapsed:.1f} giây."
        ))
