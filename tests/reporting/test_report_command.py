"""`manage.py report`: the quarterly report in json, csv, xlsx and pdf carries the same figures
as the selector; bad input exits non-zero and writes nothing; the tracking book (Mẫu 06)."""
from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reporting import selectors as rs
from reporting.periods import Period
from reporting.services import rollup_range

from . import scenario

Q1 = Period.quarter(2022, 1)


@pytest.fixture
def history(rorg, rprocs, rstaff):
    return scenario.build(rorg, rprocs, rstaff)


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("report", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_json_is_the_selector_report(history):
    """The json output has the interface's shape and the figures of report_figures."""
    data = json.loads(run("quarterly", "--year", "2022", "--quarter", "1", "--format", "json"))
    expected = rs.report_figures(period=Q1)
    assert data["period"] == {**expected["period"], "quarter": 1}
    assert data["period"]["start"] == "2021-12-15" and data["period"]["end"] == "2022-03-14"
    assert data["totals"] == expected["totals"]
    assert data["levels"] == expected["levels"]
    assert set(rs.FIGURE_KEYS) <= set(data["totals"])
    assert all(isinstance(data["totals"][k], int) for k in rs.COUNT_KEYS)
    assert data["totals"]["on_time_rate"] == "55.56"


def test_json_from_rollups_and_direct_agree(history):
    rollup_range(start=date(2021, 12, 14), end=date(2022, 3, 14))
    rolled = json.loads(run("quarterly", "--year", "2022", "--quarter", "1", "--format", "json", "--source", "rollup"))
    direct = json.loads(run("quarterly", "--year", "2022", "--quarter", "1", "--format", "json", "--source", "direct"))
    assert rolled["source"] == "rollup" and direct["source"] == "direct"
    assert rolled["totals"] == direct["totals"] and rolled["levels"] == direct["levels"]


def test_csv_rows_carry_the_same_numbers(history):
    rows = list(csv.DictReader(io.StringIO(run("quarterly", "--year", "2022", "--quarter", "1", "--format", "csv"))))
    report = rs.report_figures(period=Q1)
    total = rows[0]
    assert total["row"] == "total"
    for key in rs.COUNT_KEYS:
        assert int(total[key]) == report["totals"][key]
    units = {r["code"]: r for r in rows if r["row"] == "unit"}
    for level in report["levels"]:
        for u in level["units"]:
            assert int(units[u["code"]]["received_total"]) == u["totals"]["received_total"]
    assert [r["level"] for r in rows if r["row"] == "level"] == ["province", "district", "commune"]


def test_xlsx_has_official_headers_numbering_and_one_sheet_per_level(history, tmp_path):
    """Read back with openpyxl: sheets Tổng hợp, one per level, by field; columns (1)–(13);
    the totals row equals the report."""
    from openpyxl import load_workbook

    path = tmp_path / "q1.xlsx"
    run("quarterly", "--year", "2022", "--quarter", "1", "--format", "xlsx", "--output", str(path))
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tổng hợp", "Cấp tỉnh (sở, ban, ngành)", "Cấp huyện", "Cấp xã", "Theo lĩnh vực"]
    ws = wb["Tổng hợp"]
    assert ws["A1"].value == "Biểu số 06/VPCP/KSTT"
    assert "15/12/2021" in ws["A3"].value and "14/03/2022" in ws["A3"].value
    numbering = [ws.cell(row=8, column=c).value for c in range(1, 14)]
    assert numbering == [f"({i})" for i in range(1, 14)]
    assert ws.cell(row=6, column=3).value == "Số hồ sơ nhận giải quyết"
    report = rs.report_figures(period=Q1)
    total_row = next(r for r in ws.iter_rows(min_row=9, values_only=True) if r[1] == "Tổng cộng")
    assert list(total_row[2:13]) == [report["totals"][k] for k in
                                     ("received_total", "received_online", "received_direct_postal", "carried_over",
                                      "resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
                                      "in_progress_total", "in_progress_within", "in_progress_overdue")]
    commune = wb["Cấp xã"]
    names = [r[1] for r in commune.iter_rows(min_row=9, values_only=True) if r[0]]
    assert names == ["UBND phường Phương Lâm (000.31.21.H23)", "UBND xã Yên Mông (000.34.21.H23)"]


def test_pdf_is_a4_landscape_with_vietnamese_text(history, tmp_path):
    """pdftotext finds the title, the period and the total received; the page is landscape."""
    path = tmp_path / "q1.pdf"
    run("quarterly", "--year", "2022", "--quarter", "1", "--format", "pdf", "--output", str(path))
    assert path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
    assert "15/12/2021" in text and "14/03/2022" in text
    assert "UBND phường Phương Lâm" in text
    assert "Tổng cộng" in text
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    width, height = (float(x) for x in size.split(":")[1].split("pts")[0].split(" x "))
    assert width > height and round(width) == 842  # A4 landscape in points


@pytest.mark.parametrize("args, message", [
    (["--quarter", "5"], "quý chỉ có từ 1 đến 4"),
    (["--quarter", "1", "--unit", "000.99.99.H23"], "Không có đơn vị mã"),
])
def test_bad_input_exits_non_zero_and_writes_nothing(history, tmp_path, args, message):
    out = tmp_path / "x.json"
    with pytest.raises(CommandError, match=message):
        run("quarterly", "--year", "2022", *args, "--format", "json", "--output", str(out))
    assert not out.exists()


def test_a_failed_identity_stops_the_command(history, tmp_path):
    from dossiers.models import Dossier

    Dossier.objects.filter(pk=history["open_overdue"].pk).update(classification="late", resolved_on=None)
    Dossier.objects.filter(pk=history["withdrawn"].pk).update(classification="")
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match="D12"):
        run("quarterly", "--year", "2022", "--quarter", "1", "--format", "csv", "--output", str(out))
    assert not out.exists()


def test_rollup_source_without_rollups_names_the_command_to_run(history):
    with pytest.raises(CommandError, match="rollup --from 2021-12-14 --to 2022-03-14"):
        run("quarterly", "--year", "2022", "--quarter", "1", "--format", "json", "--source", "rollup")


def test_other_periods(history):
    """report period: a regulatory month and the calendar year."""
    month = json.loads(run("period", "--kind", "month", "--number", "3", "--year", "2022", "--format", "json"))
    assert (month["period"]["start"], month["period"]["end"]) == ("2022-02-15", "2022-03-14")
    year = json.loads(run("period", "--kind", "year", "--year", "2022", "--basis", "calendar", "--format", "json"))
    assert (year["period"]["start"], year["period"]["end"]) == ("2022-01-01", "2022-12-31")
    assert year["totals"]["received_total"] == rs.report_figures(period=Period("calendar", "year", 2022))["totals"][
        "received_total"]


def test_tracking_book_csv(history):
    """One row per dossier received in the range, in receipt order, with the interface columns."""
    text = run("tracking-book", "--from", "2022-03-01", "--to", "2022-03-14", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    for column in ("code", "procedure_code", "applicant_name", "received_at", "due_date", "resolved_at",
                   "returned_at", "outcome", "classification"):
        assert column in rows[0]
    codes = [r["code"] for r in rows]
    assert history["open_overdue"].code in codes and history["accepted_online"].code in codes
    assert history["after_period"].code not in codes  # received 15/03
    assert history["rejected"].code not in codes  # never received
    spot = next(r for r in rows if r["code"] == history["on_the_spot"].code)
    assert (spot["outcome"], spot["classification"], spot["due_date"]) == ("approved", "on_time", "2022-03-02")
    assert spot["received_at"] == "2022-03-02T09:00:00+07:00"
    open_row = next(r for r in rows if r["code"] == history["open_within"].code)
    assert open_row["classification"] == "" and open_row["resolved_at"] == ""
    assert [r["received_at"] for r in rows] == sorted(r["received_at"] for r in rows)


def test_tracking_book_xlsx_for_a_unit(history, tmp_path, rorg):
    from openpyxl import load_workbook

    path = tmp_path / "book.xlsx"
    run("tracking-book", "--from", "2022-01-01", "--to", "2022-03-31", "--unit", rorg["district"].code,
        "--format", "xlsx", "--output", str(path))
    ws = load_workbook(path).active
    assert ws["A1"].value == "SỔ THEO DÕI HỒ SƠ (Mẫu số 06)"
    keys = [c.value for c in ws[4]]
    assert keys[:3] == ["tt", "code", "procedure_code"]
    codes = {r[1] for r in ws.iter_rows(min_row=5, values_only=True)}
    # received by the district counter or the communes under the district UBND
    assert codes == {history[n].code for n in ("withdrawn", "district_refused_late", "accepted_online",
                                                "on_the_spot", "two_supplements", "hours_late")}
