"""Catalogue CSV imports (interfaces.md "Catalogue import"): all-or-nothing, idempotent, exact errors."""
import io
import os
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dossiers.models import Field, Procedure, ProcedureStep, Unit
from dossiers.services.catalogue import (
    ImportFileError,
    procedure_steps_import,
    procedures_import,
    units_import,
)
from tests.factories import ProcedureFactory, ProcedureStepFactory, UnitFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
UNIT_HEADER = "code,name,level,kind,parent_code,valid_from,valid_to\n"
PROC_HEADER = "code,name,field,processing_time,time_unit,resolving_unit_code,on_the_spot,online_level\n"
STEP_HEADER = "procedure_code,order,name,unit_code,allotted_time\n"


def csv_file(tmp_path, content, name="data.csv"):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def snapshot():
    """Everything an import may touch, to prove that a refused file wrote nothing."""
    return (
        sorted(Unit.objects.values_list("code", "name", "level", "kind", "parent__code", "place", "valid_from", "valid_to")),
        sorted(Procedure.objects.values_list("code", "name", "field__name", "processing_time", "time_unit",
                                             "resolving_unit__code", "on_the_spot", "online_level", "fee", "documents")),
        sorted(Field.objects.values_list("name", flat=True)),
        sorted(ProcedureStep.objects.values_list("procedure__code", "order", "name", "unit__code", "allotted_time")),
    )


def import_errors(service, path):
    with pytest.raises(ImportFileError) as info:
        service(rows_or_file=path)
    return info.value.lines


@pytest.fixture
def province():
    """A stored root unit and a stored agency, so that refused files have something to leave alone."""
    root = UnitFactory(code="000.00.00.H23", name="Ủy ban nhân dân tỉnh Hòa Bình", kind=Unit.Kind.PEOPLE_COMMITTEE)
    UnitFactory(code="000.00.12.H23", name="Sở Tư pháp tỉnh Hòa Bình", parent=root)
    return root


# ---------------------------------------------------------------------------------------------
# Units: good files
# ---------------------------------------------------------------------------------------------


def test_units_import_links_parents_given_later_in_the_file(tmp_path):
    path = csv_file(tmp_path, UNIT_HEADER + (
        "000.31.21.H23,Ủy ban nhân dân phường Phương Lâm,commune,people_committee,000.00.21.H23,,\n"
        "000.00.21.H23,Ủy ban nhân dân thành phố Hòa Bình,district,people_committee,000.00.00.H23,,\n"
        "000.00.00.H23,Ủy ban nhân dân tỉnh Hòa Bình,province,people_committee,,2008-08-01,\n"
    ))

    result = units_import(rows_or_file=path)

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    ward = Unit.objects.get(code="000.31.21.H23")
    assert ward.parent.code == "000.00.21.H23"
    assert ward.parent.parent.code == "000.00.00.H23"
    assert Unit.objects.get(code="000.00.00.H23").valid_from == date(2008, 8, 1)


def test_units_import_accepts_an_excel_bom_crlf_and_a_parent_in_the_database(tmp_path, province):
    content = "\ufeff" + (UNIT_HEADER + "000.00.13.H23,Sở Tài nguyên và Môi trường tỉnh Hòa Bình,province,agency,000.00.00.H23,,\n")
    path = csv_file(tmp_path, content.replace("\n", "\r\n"))

    result = units_import(rows_or_file=path)

    assert result.created == 1
    assert Unit.objects.get(code="000.00.13.H23").parent == province


def test_units_reimport_changes_nothing(tmp_path):
    path = csv_file(tmp_path, UNIT_HEADER + (
        "000.00.00.H23,Ủy ban nhân dân tỉnh Hòa Bình,province,people_committee,,,\n"
        "000.00.12.H23,Sở Tư pháp tỉnh Hòa Bình,province,agency,000.00.00.H23,,\n"
    ))
    units_import(rows_or_file=path)
    before = snapshot()

    result = units_import(rows_or_file=path)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert snapshot() == before


def test_units_reimport_updates_rows_by_code(tmp_path, province):
    path = csv_file(tmp_path, UNIT_HEADER + (
        "000.00.12.H23,Sở Tư pháp,province,agency,,2022-01-01,2025-06-30\n"
        "000.00.00.H23,Ủy ban nhân dân tỉnh Hòa Bình,province,people_committee,,,\n"
    ))

    result = units_import(rows_or_file=path)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    unit = Unit.objects.get(code="000.00.12.H23")
    assert (unit.name, unit.parent, unit.valid_from, unit.valid_to) == ("Sở Tư pháp", None, date(2022, 1, 1), date(2025, 6, 30))


def test_units_optional_columns_left_out_keep_their_values(tmp_path, province):
    Unit.objects.filter(code="000.00.12.H23").update(place="Hòa Bình", valid_to=date(2025, 6, 30))
    path = csv_file(tmp_path, "code,name,level,kind\n000.00.12.H23,Sở Tư pháp tỉnh Hòa Bình,province,agency\n")

    result = units_import(rows_or_file=path)

    assert result.unchanged == 1
    unit = Unit.objects.get(code="000.00.12.H23")
    assert (unit.place, unit.valid_to, unit.parent) == ("Hòa Bình", date(2025, 6, 30), province)


def test_units_place_column_and_nfc_normalisation(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh Hòa Bình")
    assert decomposed != "Ủy ban nhân dân tỉnh Hòa Bình"
    path = csv_file(tmp_path, f"code,name,level,kind,place\n000.00.00.H23,  {decomposed} ,province,people_committee,Hòa Bình\n")

    units_import(rows_or_file=path)

    unit = Unit.objects.get(code="000.00.00.H23")
    assert unit.name == unicodedata.normalize("NFC", "Ủy ban nhân dân tỉnh Hòa Bình")
    assert unit.place == "Hòa Bình"


def test_units_import_takes_rows_as_dicts_and_text_files():
    rows = [{"code": "000.00.00.H23", "name": "UBND tỉnh", "level": "province", "kind": "people_committee"}]
    assert units_import(rows_or_file=rows).created == 1
    text = io.StringIO("code,name,level,kind\n000.00.01.H23,Văn phòng UBND tỉnh,province,agency\n")
    assert units_import(rows_or_file=text).created == 1


def test_units_dry_run_writes_nothing(tmp_path):
    path = csv_file(tmp_path, "code,name,level,kind\n000.00.00.H23,UBND tỉnh,province,people_committee\n")

    result = units_import(rows_or_file=path, dry_run=True)

    assert result.created == 1
    assert not Unit.objects.exists()


# ---------------------------------------------------------------------------------------------
# Units: bad files (exact line and column; the database is left as it was)
# ---------------------------------------------------------------------------------------------

BAD_UNIT_FILES = {
    "missing required value": (
        UNIT_HEADER + "000.00.13.H23,,province,agency,,,\n",
        ["line 2, column name: required value missing"],
    ),
    "bad level": (
        UNIT_HEADER + "000.00.13.H23,Sở TN&MT,tinh,agency,,,\n",
        ["line 2, column level: “tinh” is not allowed (one of: ministry, province, district, commune)"],
    ),
    "bad kind": (
        UNIT_HEADER + "000.00.13.H23,Sở TN&MT,province,so,,,\n",
        ["line 2, column kind: “so” is not allowed (one of: service_centre, agency, people_committee, vertical)"],
    ),
    "bad code": (
        UNIT_HEADER + "000 00 13,Sở TN&MT,province,agency,,,\n",
        ["line 2, column code: “000 00 13” is not a valid code (letters, digits, '.', '-', '_' only)"],
    ),
    "unknown parent": (
        UNIT_HEADER + "000.00.13.H23,Sở TN&MT,province,agency,000.00.99.H23,,\n",
        ["line 2, column parent_code: unknown unit 000.00.99.H23 (not in this file nor in the database)"],
    ),
    "own parent": (
        UNIT_HEADER + "000.00.13.H23,Sở TN&MT,province,agency,000.00.13.H23,,\n",
        ["line 2, column parent_code: a unit cannot be its own parent"],
    ),
    "parent cycle in the file": (
        UNIT_HEADER
        + "000.00.21.H23,UBND thành phố Hòa Bình,district,people_committee,000.00.00.H23,,\n"
        + "000.01.21.H23,Bộ phận một cửa,district,service_centre,000.31.21.H23,,\n"
        + "000.31.21.H23,UBND phường Phương Lâm,commune,people_committee,000.01.21.H23,,\n",
        ["line 3, column parent_code: parent cycle: 000.01.21.H23 → 000.31.21.H23 → 000.01.21.H23"],
    ),
    "parent cycle through the database": (
        UNIT_HEADER + "000.00.00.H23,Ủy ban nhân dân tỉnh Hòa Bình,province,people_committee,000.00.12.H23,,\n",
        ["line 2, column parent_code: parent cycle: 000.00.00.H23 → 000.00.12.H23 → 000.00.00.H23"],
    ),
    "duplicate code": (
        UNIT_HEADER
        + "000.00.13.H23,Sở TN&MT,province,agency,,,\n"
        + "000.00.14.H23,Sở Xây dựng,province,agency,,,\n"
        + "000.00.13.H23,Sở Tài nguyên và Môi trường,province,agency,,,\n",
        ["line 4, column code: duplicate code 000.00.13.H23 (first on line 2)"],
    ),
    "bad dates": (
        UNIT_HEADER + "000.00.13.H23,Sở TN&MT,province,agency,,2022-13-01,30/06/2025\n",
        [
            "line 2, column valid_from: “2022-13-01” is not an ISO date (YYYY-MM-DD)",
            "line 2, column valid_to: “30/06/2025” is not an ISO date (YYYY-MM-DD)",
        ],
    ),
    "valid_to before valid_from": (
        UNIT_HEADER + "000.00.13.H23,Sở TN&MT,province,agency,,2022-01-01,2021-12-31\n",
        ["line 2, column valid_to: 2021-12-31 is before valid_from 2022-01-01"],
    ),
    "unknown column": (
        "code,name,level,kind,cấp trên\n000.00.13.H23,Sở TN&MT,province,agency,\n",
        ["line 1, column cấp trên: unknown column (expected: code, name, level, kind, parent_code, valid_from, valid_to, place)"],
    ),
    "missing required column": (
        "code,name,level\n000.00.13.H23,Sở TN&MT,province\n",
        ["line 1, column kind: missing required column"],
    ),
    "duplicate column": (
        "code,name,level,kind,name\n000.00.13.H23,Sở TN&MT,province,agency,Sở\n",
        ["line 1, column name: duplicate column"],
    ),
    "empty file": (
        "",
        [
            "line 1, column code: missing required column",
            "line 1, column name: missing required column",
            "line 1, column level: missing required column",
            "line 1, column kind: missing required column",
        ],
    ),
    "value without a header": (
        "code,name,level,kind\n000.00.13.H23,Sở TN&MT,province,agency,extra\n",
        ["line 2, column #5: value in a column without a header"],
    ),
    "a quoted value over two lines counts both lines": (
        UNIT_HEADER
        + '000.00.13.H23,"Sở Tài nguyên\nvà Môi trường",province,agency,,,\n'
        + "000.00.14.H23,Sở Xây dựng,province,bad,,,\n",
        ["line 4, column kind: “bad” is not allowed (one of: service_centre, agency, people_committee, vertical)"],
    ),
    "every error, first line first, in column order": (
        UNIT_HEADER
        + "000.00.13.H23,,province,agency,,,\n"
        + "000.00.14.H23,Sở Xây dựng,xã,x,000.00.98.H23,2022-02-30,\n",
        [
            "line 2, column name: required value missing",
            "line 3, column level: “xã” is not allowed (one of: ministry, province, district, commune)",
            "line 3, column kind: “x” is not allowed (one of: service_centre, agency, people_committee, vertical)",
            "line 3, column parent_code: unknown unit 000.00.98.H23 (not in this file nor in the database)",
            "line 3, column valid_from: “2022-02-30” is not an ISO date (YYYY-MM-DD)",
        ],
    ),
    "control character": (
        UNIT_HEADER + "000.00.13.H23,Sở TN\x00MT,province,agency,,,\n",
        ["line 2, column name: contains a control character (U+0000)"],
    ),
    "unterminated quote": (
        UNIT_HEADER + '000.00.13.H23,"Sở TN&MT,province,agency,,,\n',
        ["line 2, column (row): malformed CSV (unexpected end of data); check the quotes on this row"],
    ),
}


@pytest.mark.parametrize("content,expected", BAD_UNIT_FILES.values(), ids=BAD_UNIT_FILES.keys())
def test_units_bad_file_is_refused_whole(tmp_path, province, content, expected):
    # A good row first: it must not be written either.
    before = snapshot()
    path = csv_file(tmp_path, content)

    assert import_errors(units_import, path) == expected
    assert snapshot() == before


def test_units_non_utf8_file_names_the_line_and_column(tmp_path, province):
    # "Sở Xây dựng" as Windows-1258 writes it (ơ = 0xF5, combining hook = 0xD2, â = 0xE2)
    content = (UNIT_HEADER + "000.00.13.H23,Sở TN&MT,province,agency,,,\n").encode("utf-8") + (
        b"000.00.14.H23,S\xf5\xd2 X\xe2y d\xf5\xd2ng,province,agency,,,\n"
    )
    before = snapshot()

    lines = import_errors(units_import, csv_file(tmp_path, content))

    assert lines == ["line 3, column name: not valid UTF-8 text (byte 0xF5); save the file as “CSV UTF-8”"]
    assert snapshot() == before


def test_units_good_rows_are_not_written_when_another_row_is_bad(tmp_path):
    path = csv_file(tmp_path, UNIT_HEADER + (
        "000.00.00.H23,Ủy ban nhân dân tỉnh Hòa Bình,province,people_committee,,,\n"
        "000.00.12.H23,Sở Tư pháp,province,nope,000.00.00.H23,,\n"
    ))

    import_errors(units_import, path)

    assert not Unit.objects.exists()


# ---------------------------------------------------------------------------------------------
# Procedures
# ---------------------------------------------------------------------------------------------


def test_procedures_import_creates_fields_and_procedures(tmp_path, province):
    path = csv_file(tmp_path, (
        "code,name,field,processing_time,time_unit,resolving_unit_code,on_the_spot,online_level,fee,documents\n"
        '2.000488,"Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",'
        'Lý lịch tư pháp,10,working_days,000.00.12.H23,0,full,200.000 đồng/lần,"Tờ khai theo mẫu; Bản chụp CCCD ;"\n'
        "2.000815,Chứng thực chữ ký,Chứng thực,2,working_hours,000.00.12.H23,1,,10.000 đồng,\n"
        "1.003554,Hòa giải tranh chấp đất đai,Đất đai,45,calendar_days,000.00.00.H23,,partial,,\n"
    ))

    result = procedures_import(rows_or_file=path)

    assert (result.created, result.updated, result.unchanged, result.fields_created) == (3, 0, 0, 3)
    lltp = Procedure.objects.get(code="2.000488")
    assert lltp.field.name == "Lý lịch tư pháp"
    assert (lltp.processing_time, lltp.time_unit, lltp.online_level, lltp.on_the_spot) == (10, "working_days", "full", False)
    assert lltp.document_list == ["Tờ khai theo mẫu", "Bản chụp CCCD"]
    assert lltp.documents == "Tờ khai theo mẫu\nBản chụp CCCD"
    signature = Procedure.objects.get(code="2.000815")
    assert (signature.on_the_spot, signature.online_level, signature.fee) == (True, "", "10.000 đồng")
    assert Procedure.objects.get(code="1.003554").resolving_unit == province


def test_procedures_reimport_changes_nothing_then_updates_by_code(tmp_path, province):
    first = PROC_HEADER + (
        "1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,0,working_days,000.00.12.H23,1,full\n"
        "1.000894,Thủ tục đăng ký kết hôn,Hộ tịch,0,working_days,000.00.12.H23,0,partial\n"
    )
    procedures_import(rows_or_file=csv_file(tmp_path, first))
    before = snapshot()

    again = procedures_import(rows_or_file=csv_file(tmp_path, first))

    assert (again.created, again.updated, again.unchanged, again.fields_created) == (0, 0, 2, 0)
    assert snapshot() == before

    changed = PROC_HEADER + (
        "1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,1,working_days,000.00.00.H23,0,\n"
        "1.000894,Thủ tục đăng ký kết hôn,Hộ tịch - Chứng thực,0,working_days,000.00.12.H23,0,partial\n"
    )
    result = procedures_import(rows_or_file=csv_file(tmp_path, changed))

    assert (result.created, result.updated, result.unchanged, result.fields_created) == (0, 2, 0, 1)
    birth = Procedure.objects.get(code="1.001193")
    assert (birth.processing_time, birth.resolving_unit, birth.on_the_spot, birth.online_level) == (1, province, False, "")
    assert Procedure.objects.get(code="1.000894").field.name == "Hộ tịch - Chứng thực"


def test_procedures_optional_columns_left_out_keep_their_values(tmp_path, province):
    procedure = ProcedureFactory(code="1.001193", name="Đăng ký khai sinh", resolving_unit=province, on_the_spot=True,
                                 online_level="full", fee="Miễn phí", documents="Tờ khai", processing_time=0)
    path = csv_file(tmp_path, (
        "code,name,field,processing_time,time_unit,resolving_unit_code\n"
        f"1.001193,Đăng ký khai sinh,{procedure.field.name},0,working_days,000.00.00.H23\n"
    ))

    assert procedures_import(rows_or_file=path).unchanged == 1
    procedure.refresh_from_db()
    assert (procedure.on_the_spot, procedure.online_level, procedure.fee, procedure.documents) == (True, "full", "Miễn phí", "Tờ khai")


BAD_PROCEDURE_FILES = {
    "missing required value": (
        PROC_HEADER + "1.001193,,Hộ tịch,0,working_days,000.00.12.H23,,\n",
        ["line 2, column name: required value missing"],
    ),
    "processing time not a number": (
        PROC_HEADER + "1.001193,Khai sinh,Hộ tịch,năm,working_days,000.00.12.H23,,\n",
        ["line 2, column processing_time: “năm” is not a whole number"],
    ),
    "processing time not whole": (
        PROC_HEADER + "1.001193,Khai sinh,Hộ tịch,2.5,working_days,000.00.12.H23,,\n",
        ["line 2, column processing_time: “2.5” is not a whole number"],
    ),
    "processing time negative": (
        PROC_HEADER + "1.001193,Khai sinh,Hộ tịch,-1,working_days,000.00.12.H23,,\n",
        ["line 2, column processing_time: must be ≥ 0 (got -1)"],
    ),
    "processing time empty": (
        PROC_HEADER + "1.001193,Khai sinh,Hộ tịch,,working_days,000.00.12.H23,,\n",
        ["line 2, column processing_time: required value missing"],
    ),
    "bad time unit": (
        PROC_HEADER + "1.001193,Khai sinh,Hộ tịch,3,days,000.00.12.H23,,\n",
        ["line 2, column time_unit: “days” is not allowed (one of: working_days, working_hours, calendar_days)"],
    ),
    "unknown resolving unit": (
        PROC_HEADER + "1.001193,Khai sinh,Hộ tịch,3,working_days,000.00.77.H23,,\n",
        ["line 2, column resolving_unit_code: unknown unit 000.00.77.H23"],
    ),
    "bad on_the_spot": (
        PROC_HEADER + "1.001193,Khai sinh,Hộ tịch,3,working_days,000.00.12.H23,yes,\n",
        ["line 2, column on_the_spot: “yes” is not allowed (one of: 1, 0 or empty)"],
    ),
    "bad online_level": (
        PROC_HEADER + "1.001193,Khai sinh,Hộ tịch,3,working_days,000.00.12.H23,0,toàn trình\n",
        ["line 2, column online_level: “toàn trình” is not allowed (one of: full, partial or empty)"],
    ),
    "unknown column": (
        "code,name,lĩnh vực,field,processing_time,time_unit,resolving_unit_code\n"
        "1.001193,Khai sinh,x,Hộ tịch,3,working_days,000.00.12.H23\n",
        ["line 1, column lĩnh vực: unknown column (expected: code, name, field, processing_time, time_unit, "
         "resolving_unit_code, resolving_level, on_the_spot, online_level, fee, documents)"],
    ),
    "missing required column": (
        "code,name,processing_time,time_unit,resolving_unit_code\n1.001193,Khai sinh,3,working_days,000.00.12.H23\n",
        ["line 1, column field: missing required column"],
    ),
    "duplicate code": (
        PROC_HEADER
        + "1.001193,Khai sinh,Hộ tịch mới,0,working_days,000.00.12.H23,,\n"
        + "1.001193,Khai sinh,Hộ tịch mới,0,working_days,000.00.12.H23,,\n",
        ["line 3, column code: duplicate code 1.001193 (first on line 2)"],
    ),
    "several errors on several rows": (
        PROC_HEADER
        + "1.001193,Khai sinh,Lĩnh vực mới,0,working_days,000.00.12.H23,,\n"
        + "1.000894,Kết hôn,Hộ tịch,x,hours,000.00.12.H23,2,\n",
        [
            "line 3, column processing_time: “x” is not a whole number",
            "line 3, column time_unit: “hours” is not allowed (one of: working_days, working_hours, calendar_days)",
            "line 3, column on_the_spot: “2” is not allowed (one of: 1, 0 or empty)",
        ],
    ),
}


@pytest.mark.parametrize("content,expected", BAD_PROCEDURE_FILES.values(), ids=BAD_PROCEDURE_FILES.keys())
def test_procedures_bad_file_is_refused_whole(tmp_path, province, content, expected):
    ProcedureFactory(code="1.000894", name="Kết hôn", resolving_unit=province)
    before = snapshot()

    assert import_errors(procedures_import, csv_file(tmp_path, content)) == expected
    assert snapshot() == before  # no procedure, and no new field either


def test_procedures_non_utf8_file_is_refused(tmp_path, province):
    # "Đăng ký khai sinh" and "Hôn nhân" in a legacy 8-bit encoding (Đ = 0xD0, ô = 0xF4)
    content = PROC_HEADER.encode() + b"1.001193,\xd0\xe3ng k\xfd khai sinh,H\xf4n nh\xe2n,0,working_days,000.00.12.H23,,\n"
    before = snapshot()

    lines = import_errors(procedures_import, csv_file(tmp_path, content))

    assert lines == [
        "line 2, column name: not valid UTF-8 text (byte 0xD0); save the file as “CSV UTF-8”",
        "line 2, column field: not valid UTF-8 text (byte 0xF4); save the file as “CSV UTF-8”",
    ]
    assert snapshot() == before


def test_procedures_shorter_time_than_the_step_template_is_refused(tmp_path, province):
    procedure = ProcedureFactory(code="1.004227", name="Cấp GCN lần đầu", processing_time=10, resolving_unit=province)
    ProcedureStepFactory(procedure=procedure, order=1, name="Tiếp nhận", allotted_time=1)
    ProcedureStepFactory(procedure=procedure, order=2, name="Thẩm định", allotted_time=8)
    before = snapshot()
    path = csv_file(tmp_path, PROC_HEADER + f"1.004227,Cấp GCN lần đầu,{procedure.field.name},5,working_days,000.00.00.H23,,\n")

    assert import_errors(procedures_import, path) == [
        "line 2, column processing_time: Tổng thời gian các bước (Tiếp nhận: 1, Thẩm định: 8 = 9 ngày làm việc) "
        "vượt thời hạn giải quyết 5 ngày làm việc. Sửa quy trình các bước trước."
    ]
    assert snapshot() == before


# ---------------------------------------------------------------------------------------------
# Step templates
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def land_procedures(province):
    office = UnitFactory(code="000.01.13.H23", name="Văn phòng Đăng ký đất đai tỉnh Hòa Bình")
    first = ProcedureFactory(code="1.004238", name="Cấp GCN lần đầu cho tổ chức", processing_time=20, resolving_unit=province)
    transfer = ProcedureFactory(code="1.003010", name="Đăng ký biến động", processing_time=10, resolving_unit=office)
    return first, transfer, office


def test_steps_import_replaces_listed_templates_only(tmp_path, land_procedures):
    first, transfer, office = land_procedures
    untouched = ProcedureStepFactory(procedure=transfer, order=1, name="Giữ nguyên", allotted_time=3)
    ProcedureStepFactory(procedure=first, order=9, name="Bước cũ", allotted_time=1)
    path = csv_file(tmp_path, STEP_HEADER + (
        "1.004238,2,Thẩm định hồ sơ,000.01.13.H23,10\n"
        "1.004238,1,Tiếp nhận hồ sơ,,1\n"
        "1.004238,3,Trình ký,000.00.00.H23,9\n"
    ))

    result = procedure_steps_import(rows_or_file=path)

    assert (result.created, result.updated, result.unchanged, result.deleted) == (3, 0, 0, 1)
    steps = list(first.steps.order_by("order").values_list("order", "name", "unit__code", "allotted_time"))
    assert steps == [(1, "Tiếp nhận hồ sơ", None, 1), (2, "Thẩm định hồ sơ", "000.01.13.H23", 10),
                     (3, "Trình ký", "000.00.00.H23", 9)]
    assert list(transfer.steps.all()) == [untouched]

    again = procedure_steps_import(rows_or_file=path)
    assert (again.created, again.updated, again.unchanged, again.deleted) == (0, 0, 3, 0)

    shorter = csv_file(tmp_path, STEP_HEADER + "1.004238,1,Tiếp nhận hồ sơ,,1\n1.004238,2,Thẩm định hồ sơ,000.01.13.H23,12\n")
    result = procedure_steps_import(rows_or_file=shorter)
    assert (result.created, result.updated, result.unchanged, result.deleted) == (0, 1, 1, 1)


def test_steps_import_without_unit_column_uses_the_resolving_unit(tmp_path, land_procedures):
    path = csv_file(tmp_path, "procedure_code,order,name,allotted_time\n1.003010,1,Thẩm định,10\n")

    procedure_steps_import(rows_or_file=path)

    assert list(ProcedureStep.objects.values_list("unit", flat=True)) == [None]


BAD_STEP_FILES = {
    "over budget": (
        STEP_HEADER
        + "1.003010,1,Tiếp nhận,,1\n"
        + "1.003010,2,Thẩm định,,6\n"
        + "1.003010,3,Ký cấp Giấy chứng nhận,000.00.00.H23,3\n"
        + "1.003010,4,Trả kết quả,,1\n",
        ["line 5, column allotted_time: Tổng thời gian các bước (Tiếp nhận: 1, Thẩm định: 6, Ký cấp Giấy chứng nhận: 3, "
         "Trả kết quả: 1 = 11 ngày làm việc) vượt thời hạn giải quyết 10 ngày làm việc."],
    ),
    "unknown procedure": (
        STEP_HEADER + "9.999999,1,Tiếp nhận,,1\n",
        ["line 2, column procedure_code: unknown procedure 9.999999"],
    ),
    "unknown unit": (
        STEP_HEADER + "1.003010,1,Tiếp nhận,000.00.66.H23,1\n",
        ["line 2, column unit_code: unknown unit 000.00.66.H23"],
    ),
    "duplicate order": (
        STEP_HEADER + "1.003010,1,Tiếp nhận,,1\n1.003010,1,Thẩm định,,2\n",
        ["line 3, column order: duplicate order 1 for procedure 1.003010 (first on line 2)"],
    ),
    "order below one": (
        STEP_HEADER + "1.003010,0,Tiếp nhận,,1\n",
        ["line 2, column order: must be ≥ 1 (got 0)"],
    ),
    "negative time and missing name": (
        STEP_HEADER + "1.003010,1,,,-2\n",
        ["line 2, column name: required value missing", "line 2, column allotted_time: must be ≥ 0 (got -2)"],
    ),
    "missing required column": (
        "procedure_code,order,name\n1.003010,1,Tiếp nhận\n",
        ["line 1, column allotted_time: missing required column"],
    ),
}


@pytest.mark.parametrize("content,expected", BAD_STEP_FILES.values(), ids=BAD_STEP_FILES.keys())
def test_steps_bad_file_is_refused_whole(tmp_path, land_procedures, content, expected):
    _first, transfer, _office = land_procedures
    ProcedureStepFactory(procedure=transfer, order=1, name="Thẩm định", allotted_time=9)
    before = snapshot()

    assert import_errors(procedure_steps_import, csv_file(tmp_path, content)) == expected
    assert snapshot() == before


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------


def test_import_commands_print_counts(tmp_path):
    units = csv_file(tmp_path, "code,name,level,kind\n000.00.12.H23,Sở Tư pháp tỉnh Hòa Bình,province,agency\n", "u.csv")
    procedures = csv_file(tmp_path, PROC_HEADER + "2.000488,Cấp Phiếu LLTP,Lý lịch tư pháp,10,working_days,000.00.12.H23,0,full\n", "p.csv")
    steps = csv_file(tmp_path, STEP_HEADER + "2.000488,1,Tiếp nhận,,1\n2.000488,2,Tra cứu,,9\n", "s.csv")
    out = io.StringIO()

    call_command("import_units", str(units), stdout=out)
    call_command("import_procedures", str(procedures), stdout=out)
    call_command("import_procedure_steps", str(steps), stdout=out)
    call_command("import_units", str(units), stdout=out)

    assert out.getvalue().splitlines() == [
        "Units: 1 created, 0 updated, 0 unchanged",
        "Procedures: 1 created, 0 updated, 0 unchanged (1 new fields)",
        "Steps: 2 created, 0 updated, 0 unchanged",
        "Units: 0 created, 0 updated, 1 unchanged",
    ]


def test_import_command_dry_run_writes_nothing(tmp_path):
    path = csv_file(tmp_path, "code,name,level,kind\n000.00.12.H23,Sở Tư pháp,province,agency\n")
    out = io.StringIO()

    call_command("import_units", str(path), "--dry-run", stdout=out)

    assert out.getvalue().strip() == "Units: 1 created, 0 updated, 0 unchanged (dry run: nothing written)"
    assert not Unit.objects.exists()


def test_import_command_bad_file_prints_errors_to_stderr_and_fails(tmp_path, province):
    path = csv_file(tmp_path, PROC_HEADER + (
        "1.001193,Khai sinh,Hộ tịch,0,working_days,000.00.12.H23,,\n"
        "1.000894,Kết hôn,Hộ tịch,-3,working_days,000.00.12.H23,,everything\n"
    ))
    out, err = io.StringIO(), io.StringIO()
    before = snapshot()

    with pytest.raises(CommandError, match="2 error\\(s\\); nothing was imported"):
        call_command("import_procedures", str(path), stdout=out, stderr=err)

    assert err.getvalue().splitlines() == [
        "line 3, column processing_time: must be ≥ 0 (got -3)",
        "line 3, column online_level: “everything” is not allowed (one of: full, partial or empty)",
    ]
    assert out.getvalue() == ""
    assert snapshot() == before


def test_import_command_missing_file_fails(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_units", str(tmp_path / "none.csv"))


def test_import_command_exit_status_in_a_real_process(tmp_path):
    """The command line exits 1 and writes the errors on stderr."""
    path = csv_file(tmp_path, "code,name,level,kind,foo\n000.00.12.H23,Sở Tư pháp,province,agency,x\n")
    # Its own empty SQLite file: the header is refused before any table is read.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DEBUG="true", ONECUA_VAR_DIR=str(tmp_path / "var"), PYTHONIOENCODING="utf-8")

    done = subprocess.run(
        [sys.executable, "manage.py", "import_units", str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "line 1, column foo: unknown column (expected: code, name, level, kind, parent_code, valid_from, valid_to, place)",
        f"CommandError: {path}: 1 error(s); nothing was imported.",
    ]
