#!/usr/bin/env python
"""Full-scale acceptance: Hòa Bình's Q1/2022 report (domain.md §11) from 92,107 dossier histories.

Creates a scratch database (PostgreSQL ``onecua_acceptance`` on the server of
``BENCH_DATABASE_URL`` / ``DATABASE_URL``, default postgres://postgres@127.0.0.1:5432; or a
temporary SQLite file with ``--sqlite``), migrates it, loads the acceptance catalogue, generates
the histories of ``demo.acceptance`` at full scale, imports them with
``manage.py import_dossiers``, rolls the quarter up, prints the report (totals and levels, from
the roll-ups and directly) next to the article's figures, and exits 1 on any difference.

    .venv/bin/python scripts/acceptance_hoa_binh.py [--scale 1] [--sqlite] [--keep]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.scratch import drop_database, recreate_database, scratch_url  # noqa: E402

SCRATCH_DB = "onecua_acceptance"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="divide every figure by this (default 1: full scale)")
    parser.add_argument("--sqlite", action="store_true", help="use a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    tmpdir = None
    if args.sqlite:
        tmpdir = tempfile.mkdtemp(prefix="onecua-acceptance-")
        url = f"sqlite:///{tmpdir}/acceptance.sqlite3"
    else:
        url = scratch_url(SCRATCH_DB)
        recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onecua.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from demo.acceptance import ARTICLE, acceptance_run

    where = "SQLite" if args.sqlite else f"PostgreSQL {connection.cursor().connection.info.server_version // 10000}"
    print(f"Cơ sở dữ liệu tạm: {where} ({SCRATCH_DB if not args.sqlite else url})")
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    result = acceptance_run(scale=args.scale, rollup=True, stdout=sys.stdout)
    total_seconds = time.monotonic() - started

    report = result.report
    t = report["totals"]
    print()
    print(f"Báo cáo {report['period']['label']} – nguồn: {report['source']}")
    header = f"{'':28}{'(3) nhận':>10}{'(4) TT':>9}{'(5) TT+BC':>10}{'(6) kỳ trước':>13}{'(7) đã GQ':>10}" \
             f"{'(8) trước':>10}{'(9) đúng':>9}{'(10) quá':>9}{'(11) đang':>10}{'(12) trong':>11}{'(13) quá':>9}"
    print(header)
    keys = ("received_total", "received_online", "received_direct_postal", "carried_over", "resolved_total",
            "resolved_early", "resolved_on_time", "resolved_late", "in_progress_total", "in_progress_within",
            "in_progress_overdue")
    widths = (10, 9, 10, 13, 10, 10, 9, 9, 10, 11, 9)

    def line(name, figures):
        print(f"{name:28}" + "".join(f"{figures[k]:>{w},}" for k, w in zip(keys, widths)))

    for level in report["levels"]:
        line(level["name"], level["totals"])
    line("Tổng cộng", t)
    print(f"Tỷ lệ đúng hạn (8+9)/7: {t['on_time_rate']}%   Bộ chỉ số 766 (8+9+12)/3: {t['on_time_rate_766']}%   "
          f"“4 tại chỗ”: {t['on_the_spot']}   rút: {t['withdrawn']}   bổ sung >1 lần: {t['multi_supplement']}")
    if args.scale == 1:
        article = ARTICLE["totals"]
        same = all(t[k] == v for k, v in article.items())
        levels = {lv["level"]: lv["totals"] for lv in report["levels"]}
        same = same and all(levels[lv][k] == v for lv, fig in ARTICLE["levels"].items() for k, v in fig.items())
        print(f"So với bài báo (domain.md §11): {'khớp mọi số liệu' if same else 'KHÔNG KHỚP'}")
        if not same:
            result.differences.append("article")
    print()
    print(f"Thời gian: sinh {result.seconds['generate']:.1f} s, import_dossiers {result.seconds['import']:.1f} s, "
          f"báo cáo trực tiếp {result.seconds['report_direct']:.2f} s, tổng hợp {result.seconds['rollup']:.1f} s "
          f"({result.seconds['rollup_days']:.0f} ngày), báo cáo từ số liệu tổng hợp {result.seconds['report_rollup']:.2f} s; "
          f"toàn bộ {total_seconds:.1f} s cho {result.dossiers:,} hồ sơ.")
    if result.differences:
        print("KHÁC BIỆT:")
        for d in result.differences:
            print("  " + d)
    connection.close()
    if not args.keep:
        if args.sqlite:
            shutil.rmtree(tmpdir, ignore_errors=True)
        else:
            drop_database(url)
    return 1 if result.differences else 0


if __name__ == "__main__":
    sys.exit(main())
