"""Renderings of a report JSON (``reporting.selectors.report_figures``) and of the tracking book:
CSV, Excel (Biểu 06 headers with the column numbers (1)–(13), one sheet per level, one for the
totals and one by field) and a print-ready A4 landscape PDF (HTML rendered by WeasyPrint with
DejaVu fonts, which cover Vietnamese).

Only presentation: the figures are taken from the JSON as they are (the page, the API, the
command and the exports therefore print the same numbers).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from html import escape

from onecua.cells import safe_cell, safe_dict, safe_row
from reporting.selectors import (
    COLUMN_OF,
    COUNT_KEYS,
    FIGURE_KEYS,
    IDENTITY_RULES,
    TRACKING_BOOK_COLUMNS,
    TRACKING_BOOK_LABELS,
)

FORM_CODE = "Biểu số 06/VPCP/KSTT"
FORM_TITLE = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"
FORM_UNIT = "Đơn vị tính: Số hồ sơ TTHC"
#: the counts of the official columns (3)–(13), in order
OFFICIAL_KEYS = tuple(k for k in COUNT_KEYS if k in COLUMN_OF)
SUB_HEADERS = {
    "received_total": "Tổng số",
    "received_online": "Trong đó: Trực tuyến",
    "received_direct_postal": "Trong đó: Trực tiếp, dịch vụ bưu chính",
    "carried_over": "Trong đó: Từ kỳ trước",
    "resolved_total": "Tổng số",
    "resolved_early": "Trước hạn",
    "resolved_on_time": "Đúng hạn",
    "resolved_late": "Quá hạn",
    "in_progress_total": "Tổng số",
    "in_progress_within": "Trong hạn",
    "in_progress_overdue": "Quá hạn",
}
GROUP_HEADERS = (
    ("Số hồ sơ nhận giải quyết", 4),
    ("Kết quả giải quyết – Số hồ sơ đã giải quyết", 4),
    ("Số hồ sơ đang giải quyết", 3),
)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


def _level_title(level: dict) -> str:
    return level.get("name") or level["level"]


def number_vi(value: int) -> str:
    """92107 → "92.107" (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".")


def rate_vi(value: str | None) -> str:
    """"99.69" → "99,69%"; None → "—" (D14)."""
    return "—" if value is None else value.replace(".", ",") + "%"


def provisional_text(report: dict) -> str:
    """D12a: "Số liệu tạm tính đến ngày dd/mm/yyyy" for a period not ended yet, else ""."""
    if not report.get("provisional"):
        return ""
    y, m, d = report["as_of"].split("-")
    return f"Số liệu tạm tính đến ngày {d}/{m}/{y}"


def period_text(report: dict) -> str:
    banner = provisional_text(report)
    return f"Kỳ báo cáo: {report['period']['label']}" + (f" – {banner.upper()}" if banner else "")


def scope_text(report: dict) -> str:
    scope = report.get("scope")
    return f"Phạm vi: {scope['name']} ({scope['code']}) và các đơn vị trực thuộc" if scope else "Phạm vi: toàn bộ các đơn vị"


# --- CSV ---------------------------------------------------------------------------------------------

CSV_COLUMNS = ("row", "level", "code", "name") + FIGURE_KEYS


def report_rows(report: dict) -> list[dict]:
    """Flat rows: the totals, each level followed by its units, then each field."""
    def row(kind, level, code, name, totals):
        return {"row": kind, "level": level, "code": code, "name": name,
                **{k: ("" if totals.get(k) is None else totals.get(k)) for k in FIGURE_KEYS}}

    rows = [row("total", "", "", "Tổng số", report["totals"])]
    for level in report["levels"]:
        rows.append(row("level", level["level"], "", _level_title(level), level["totals"]))
        rows.extend(row("unit", level["level"], u["code"], u["name"], u["totals"]) for u in level["units"])
    rows.extend(row("field", "", "", f["field"], f["totals"]) for f in report.get("fields", []))
    return rows


def report_to_csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    if provisional_text(report):  # D12a: the first row says the figures are provisional
        writer.writerow({"row": "note", "name": provisional_text(report)})
    writer.writerows(safe_dict(r) for r in report_rows(report))
    return out.getvalue()


# --- Excel -------------------------------------------------------------------------------------------


def _xlsx_sheet(wb, title: str, report: dict, heading: str, rows: list[tuple[str, str, dict, bool]]):
    """One sheet in the official layout. ``rows``: (STT, name, totals, bold)."""
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=title[:31])
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ncols = 2 + len(OFFICIAL_KEYS)
    ws.append([FORM_CODE])
    ws.append([FORM_TITLE])
    ws.append([period_text(report)])
    ws.append([safe_cell(scope_text(report) + " – " + heading)])
    ws.append([FORM_UNIT])
    for r in range(1, 6):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        ws.cell(row=r, column=1).alignment = Alignment(horizontal="center")
    ws.cell(row=2, column=1).font = Font(bold=True)
    top = 6
    ws.cell(row=top, column=1, value="STT")
    ws.cell(row=top, column=2, value="Lĩnh vực, công việc giải quyết theo cấp / Đơn vị")
    ws.merge_cells(start_row=top, start_column=1, end_row=top + 1, end_column=1)
    ws.merge_cells(start_row=top, start_column=2, end_row=top + 1, end_column=2)
    col = 3
    for text, span in GROUP_HEADERS:
        ws.cell(row=top, column=col, value=text)
        ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + span - 1)
        col += span
    for i, key in enumerate(OFFICIAL_KEYS):
        ws.cell(row=top + 1, column=3 + i, value=SUB_HEADERS[key])
    for i in range(ncols):
        ws.cell(row=top + 2, column=1 + i, value=f"({i + 1})")
    for r in range(top, top + 3):
        for c in range(1, ncols + 1):
            cell = ws.cell(row=r, column=c)
            cell.alignment = center
            cell.border = border
            cell.font = Font(bold=r < top + 2, italic=r == top + 2)
    for stt, name, totals, bold in rows:
        ws.append(safe_row([stt, name, *[totals[k] for k in OFFICIAL_KEYS]]))
        r = ws.max_row
        for c in range(1, ncols + 1):
            cell = ws.cell(row=r, column=c)
            cell.border = border
            if bold:
                cell.font = Font(bold=True)
            if c > 2:
                cell.number_format = "#,##0"
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 48
    for c in range(3, ncols + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12
    ws.row_dimensions[top].height = 45
    ws.row_dimensions[top + 1].height = 45
    ws.freeze_panes = ws.cell(row=top + 3, column=3)
    total = rows[-1][2] if rows else {}
    ws.append([])
    ws.append(["", f"Tỷ lệ giải quyết đúng hạn ((8)+(9))/(7): {rate_vi(total.get('on_time_rate'))}"])
    ws.append(["", f"Tỷ lệ đúng hạn theo Bộ chỉ số 766 ((8)+(9)+(12))/(3): {rate_vi(total.get('on_time_rate_766'))}"])
    ws.append(["", f"Trong đó: rút hồ sơ {total.get('withdrawn', 0)}; dừng giải quyết {total.get('stopped', 0)}; “4 tại chỗ” {total.get('on_the_spot', 0)}; "
                   f"yêu cầu bổ sung hơn một lần {total.get('multi_supplement', 0)}."])
    ws.append(["", "Đã kiểm tra: " + "; ".join(rule.split(":")[0] for rule in IDENTITY_RULES) + "."])
    return ws


def report_to_xlsx(report: dict) -> bytes:
    """The workbook: "Tổng hợp" (one row per level and the total), one sheet per level (one
    row per unit and the level's total) and "Theo lĩnh vực"."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    summary = [(ROMAN[i] if i < len(ROMAN) else str(i + 1), _level_title(lv), lv["totals"], False)
               for i, lv in enumerate(report["levels"])]
    summary.append(("", "Tổng cộng", report["totals"], True))
    _xlsx_sheet(wb, "Tổng hợp", report, "tổng hợp theo cấp", summary)
    for level in report["levels"]:
        rows = [(str(i), f"{u['name']} ({u['code']})", u["totals"], False) for i, u in enumerate(level["units"], 1)]
        rows.append(("", f"Cộng {_level_title(level).lower()}", level["totals"], True))
        _xlsx_sheet(wb, _level_title(level), report, _level_title(level), rows)
    fields = [(str(i), f["field"], f["totals"], False) for i, f in enumerate(report.get("fields", []), 1)]
    fields.append(("", "Tổng cộng", report["totals"], True))
    _xlsx_sheet(wb, "Theo lĩnh vực", report, "theo lĩnh vực", fields)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- HTML / PDF --------------------------------------------------------------------------------------

_CSS = """
@page { size: A4 landscape; margin: 12mm 10mm 14mm 10mm;
        @bottom-right { content: "Trang " counter(page) "/" counter(pages); font-size: 8pt;
                        font-family: "DejaVu Sans", sans-serif; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #000; }
.head { display: flex; justify-content: space-between; }
.code { font-weight: bold; }
h1 { font-size: 11pt; text-align: center; margin: 6px 0 2px; }
p.sub { text-align: center; margin: 1px 0; }
table { width: 100%; border-collapse: collapse; margin-top: 6px; page-break-inside: auto; table-layout: fixed; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
th, td { border: 0.6pt solid #000; padding: 2px 3px; }
th { font-weight: bold; text-align: center; vertical-align: middle; }
th.num { font-weight: normal; font-style: italic; }
td.n { text-align: right; white-space: nowrap; }
td.c { text-align: center; }
tr.level td { font-weight: bold; background: #f0f0f0; }
tr.total td { font-weight: bold; }
.notes { margin-top: 6px; }
.provisional { text-align: center; font-weight: bold; color: #9a3412; border: 1pt solid #9a3412; padding: 2px; margin: 4px 20%; }
.sign { display: flex; justify-content: space-between; margin-top: 14px; text-align: center; }
.sign div { width: 40%; }
"""


def _html_header() -> str:
    width = f"{70 / len(OFFICIAL_KEYS):.2f}%"
    cols = '<colgroup><col style="width:4%"><col style="width:26%">' + "".join(
        f'<col style="width:{width}">' for _k in OFFICIAL_KEYS) + "</colgroup>"
    cells = ['<th rowspan="2">STT</th>', '<th rowspan="2">Lĩnh vực, công việc giải quyết theo cấp / Đơn vị</th>']
    cells += [f'<th colspan="{span}">{escape(text)}</th>' for text, span in GROUP_HEADERS]
    sub = [f"<th>{escape(SUB_HEADERS[k])}</th>" for k in OFFICIAL_KEYS]
    numbers = [f'<th class="num">({i})</th>' for i in range(1, 3 + len(OFFICIAL_KEYS))]
    return f"{cols}<thead><tr>{''.join(cells)}</tr><tr>{''.join(sub)}</tr><tr>{''.join(numbers)}</tr></thead>"


def _when(iso: str | None) -> str:
    from datetime import datetime

    if not iso:
        return ""
    return f"{datetime.fromisoformat(iso):%H:%M ngày %d/%m/%Y}"


def _html_row(stt: str, name: str, totals: dict, css: str = "") -> str:
    nums = "".join(f'<td class="n">{number_vi(totals[k])}</td>' for k in OFFICIAL_KEYS)
    cls = f' class="{css}"' if css else ""
    return f'<tr{cls}><td class="c">{escape(stt)}</td><td>{escape(name)}</td>{nums}</tr>'


def report_to_html(report: dict) -> str:
    """A standalone A4 landscape HTML document of the report (levels with their units)."""
    body = []
    for i, level in enumerate(report["levels"]):
        body.append(_html_row(ROMAN[i] if i < len(ROMAN) else str(i + 1), _level_title(level), level["totals"], "level"))
        body.extend(_html_row(str(j), u["name"], u["totals"]) for j, u in enumerate(level["units"], 1))
    body.append(_html_row("", "Tổng cộng", report["totals"], "total"))
    t = report["totals"]
    scope = report.get("scope")
    issuer = escape(scope["name"]) if scope else "Toàn bộ các đơn vị"
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{escape(FORM_CODE)} – {escape(report['period']['label'])}</title>
<style>{_CSS}</style></head><body>
<div class="head"><div>{issuer}</div><div class="code">{escape(FORM_CODE)}</div></div>
<h1>{escape(FORM_TITLE)}</h1>
<p class="sub">{escape(period_text(report))}</p>
{f'<p class="provisional">{escape(provisional_text(report))}</p>' if provisional_text(report) else ''}
<p class="sub">{escape(scope_text(report))}</p>
<p class="sub"><i>{escape(FORM_UNIT)}</i></p>
<table>{_html_header()}<tbody>{''.join(body)}</tbody></table>
<div class="notes">
<div>Tỷ lệ giải quyết đúng hạn ((8)+(9))/(7): <b>{rate_vi(t['on_time_rate'])}</b>;
tỷ lệ đúng hạn theo Bộ chỉ số 766 ((8)+(9)+(12))/(3): <b>{rate_vi(t['on_time_rate_766'])}</b>.</div>
<div>Trong số đã giải quyết có {number_vi(t['withdrawn'])} hồ sơ rút, {number_vi(t.get('stopped', 0))} hồ sơ dừng giải quyết; “4 tại chỗ”: {number_vi(t['on_the_spot'])} hồ sơ;
yêu cầu bổ sung hơn một lần: {number_vi(t['multi_supplement'])} hồ sơ.</div>
<div>Đã kiểm tra các đẳng thức: {escape('; '.join(rule.split(':')[0] for rule in IDENTITY_RULES))}.
Nguồn số liệu: {'số liệu tổng hợp theo ngày' if report.get('source') == 'rollup' else 'tính trực tiếp từ hồ sơ'}, lập lúc {escape(_when(report.get('generated_at')))}.</div>
</div>
<div class="sign"><div><b>NGƯỜI LẬP BIỂU</b><br><i>(Ký, ghi rõ họ tên)</i></div>
<div><b>THỦ TRƯỞNG ĐƠN VỊ</b><br><i>(Ký, ghi rõ họ tên, đóng dấu)</i></div></div>
</body></html>"""


def report_to_pdf(report: dict) -> bytes:
    try:
        from dossiers.pdf import html_to_pdf
    except ImportError:  # the printed-forms module is optional here
        from weasyprint import HTML

        return HTML(string=report_to_html(report)).write_pdf()
    return html_to_pdf(report_to_html(report))


# --- Sổ theo dõi hồ sơ (Mẫu 06) ------------------------------------------------------------------------


def tracking_book_to_csv(rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(TRACKING_BOOK_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(safe_dict(r) for r in rows)
    return out.getvalue()


def tracking_book_to_xlsx(rows: Iterable[dict], *, title: str) -> bytes:
    """Mẫu 06: a title, the Vietnamese headers, the column keys, one row per dossier (TT first)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = "Sổ theo dõi hồ sơ"
    ws.append(["SỔ THEO DÕI HỒ SƠ (Mẫu số 06)"])
    ws.append([safe_cell(title)])
    ws.append(["TT", *[TRACKING_BOOK_LABELS[c] for c in TRACKING_BOOK_COLUMNS]])
    ws.append(["tt", *TRACKING_BOOK_COLUMNS])
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for cell in ws[4]:
        cell.font = Font(italic=True, color="666666")
    for i, row in enumerate(rows, 1):
        ws.append(safe_row([i, *[row[c] for c in TRACKING_BOOK_COLUMNS]]))
    ws.freeze_panes = "B5"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
