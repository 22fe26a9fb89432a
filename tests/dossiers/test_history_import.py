"""`import_dossiers` (interfaces.md "Dossier history import"): each row is replayed through the
lifecycle so that due dates, classes and history are what OneCua itself would have produced;
any bad row fails the whole file with `line N, column C: reason` and writes nothing.
"""
import io
from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, DossierEvent, DossierPause, DossierSequence, DossierStep
from dossiers.services import history_import as hi
from dossiers.services import lifecycle as svc
from demo.history import history_csv_write, history_rows_random
from dossiers.workflow import Action, DossierState
from tests.dossiers.lifecycle_fixtures import org, procedures, staff  # noqa: F401 (fixtures)
from tests.dossiers.lifecycle_fixtures import at, dossier_snapshot, register

S = DossierState
HEADER = "code,procedure_code,receiving_unit_code,resolving_unit_code,channel,received_at,supplements,outcome,resolved_at,returned_at,on_the_spot,applicant_name,transfers"
FIELDS = HEADER.split(",")
CENTRE = "000.00.31.H23"


def line(**values) -> str:
    """One CSV line; defaults: a direct 5-day dossier received at the centre on Tue 1/3/2022."""
    base = {"procedure_code": "1.000001", "receiving_unit_code": CENTRE, "channel": "direct",
            "received_at": "2022-03-01T09:00"}
    base.update(values)
    out = io.StringIO()
    import csv

    csv.writer(out, lineterminator="").writerow([base.get(f, "") for f in FIELDS])
    return out.getvalue()


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def nothing_written():
    return (Dossier.objects.count(), DossierEvent.objects.count(), DossierStep.objects.count(),
            DossierPause.objects.count(), DossierSequence.objects.count()) == (0, 0, 0, 0, 0)


# --- a good file ------------------------------------------------------------------------------------

GOOD_VALUES = [
    # line 2: 5 days from Fri 28/1/2022 → 11/2 (Tết); approved 10/2, handed over 11/2
    dict(code="000.00.31.H23-220128-0001", received_at="2022-01-28T09:00", outcome="approved",
         resolved_at="2022-02-10T10:00", returned_at="2022-02-11T08:00", applicant_name="Nguyễn Văn An"),
    # line 3: 10 days from Mon 17/1 → 7/2; supplement 26/1–8/2 (+4) → 11/2; refused on 11/2
    dict(code="OLD-0002", procedure_code="1.000010", channel="online", received_at="2022-01-17T09:00:00+07:00",
         supplements="2022-01-26T10:00/2022-02-08T09:00", outcome="refused", resolved_at="2022-02-11T16:00"),
    # line 4: no code; given in UTC (09:00 local); 3 days from Fri 8/4 → 14/4; withdrawn 15/4
    dict(procedure_code="1.000003", channel="postal", received_at="2022-04-08T02:00:00Z", outcome="withdrawn",
         resolved_at="2022-04-15T09:00"),
    # line 5: still waiting for the applicant's supplement
    dict(code="D-OPEN", supplements="2022-03-02T09:00/"),
    # line 6: "4 tại chỗ", 4 working hours, done in one sitting
    dict(code="E-SPOT", procedure_code="2.000004", received_at="2022-03-01T10:00", outcome="approved",
         resolved_at="2022-03-01T10:20", returned_at="2022-03-01T10:20", on_the_spot="1"),
    # line 7: liên thông, 3 steps (due 4/3, 11/3, 15/3), handed over 3/3 and 14/3, approved 15/3
    dict(code="F-LT", procedure_code="1.009999", transfers="2022-03-03T10:00;2022-03-14T10:00", outcome="approved",
         resolved_at="2022-03-15T16:00"),
    # line 8: open, led by another unit than the procedure's
    dict(code="G-LEAD", resolving_unit_code="000.00.14.H23"),
]
GOOD = csv_text(*(line(**values) for values in GOOD_VALUES))


def test_a_good_file_is_replayed_with_the_engines_dates_classes_and_history(procedures, org):
    result = hi.dossier_history_import_text(GOOD)
    assert (result.dossiers, result.generated_codes) == (7, 1)
    by_code = {d.code: d for d in Dossier.objects.all()}

    a = by_code["000.00.31.H23-220128-0001"]
    assert (a.state, a.outcome, a.due_date, a.classification) == (S.RETURNED, "approved", date(2022, 2, 11), "early")
    assert (a.received_at, a.resolved_at, a.returned_at) == (at(2022, 1, 28, 9), at(2022, 2, 10, 10), at(2022, 2, 11, 8))
    assert (a.applicant_name, a.channel, a.current_unit) == ("Nguyễn Văn An", "direct", org["centre"])
    assert a.applicant_name_folded == "nguyen van an"  # the search column, written by COPY too (issue 19)
    assert [e.action for e in a.events.order_by("at", "id")] == ["receive", Action.TRANSFER, Action.APPROVE, Action.RETURN_RESULT]
    assert a.steps.get().classification == "early"
    handover = a.events.get(action=Action.TRANSFER)  # the counter's, at the receipt instant (D18)
    assert (handover.at, handover.unit, handover.to_unit, a.handed_over_at) == (
        at(2022, 1, 28, 9), org["centre"], org["justice"], at(2022, 1, 28, 9))

    b = by_code["OLD-0002"]
    assert (b.state, b.base_due_date, b.due_date, b.classification, b.supplement_count) == (
        S.REFUSED, date(2022, 2, 7), date(2022, 2, 11), "on_time", 1)
    assert list(b.pauses.values_list("requested_at", "completed_at")) == [(at(2022, 1, 26, 10), at(2022, 2, 8, 9))]
    assert [(e.action, e.due_date) for e in b.events.order_by("at", "id")] == [
        ("receive", date(2022, 2, 7)), (Action.TRANSFER, date(2022, 2, 7)), (Action.REQUEST_SUPPLEMENT, date(2022, 2, 7)),
        (Action.RESUME, date(2022, 2, 11)), (Action.REFUSE, date(2022, 2, 11))]
    assert b.outcome_note == hi.REFUSE_REASON

    c = Dossier.objects.get(code="000.00.31.H23-220408-0001")  # generated (D15)
    assert (c.state, c.due_date, c.classification, c.received_at, c.channel) == (
        S.WITHDRAWN, date(2022, 4, 14), "late", at(2022, 4, 8, 9), "postal")
    assert c.applicant_name == hi.UNKNOWN_APPLICANT

    d = by_code["D-OPEN"]
    assert (d.state, d.paused_on, d.due_date, d.outcome, d.classification) == (
        S.AWAITING_SUPPLEMENT, date(2022, 3, 2), date(2022, 3, 8), "", "")
    assert d.pauses.get().completed_at is None

    e = by_code["E-SPOT"]
    assert (e.on_the_spot, e.state, e.classification, e.due_at) == (True, S.RETURNED, "on_time", at(2022, 3, 1, 15, 30))
    assert [ev.action for ev in e.events.order_by("at", "id")] == ["receive", Action.APPROVE, Action.RETURN_RESULT]

    f = by_code["F-LT"]
    assert [(s.unit, s.classification) for s in f.steps.order_by("order")] == [
        (org["construction"], "early"), (org["justice"], "late"), (org["construction"], "on_time")]
    assert (f.state, f.classification, f.due_date) == (S.APPROVED, "on_time", date(2022, 3, 15))
    assert [(ev.action, ev.to_unit) for ev in f.events.order_by("at", "id")] == [
        ("receive", None), (Action.TRANSFER, org["construction"]), (Action.TRANSFER, org["justice"]),
        (Action.TRANSFER, org["construction"]), (Action.APPROVE, None)]
    assert [ev.unit for ev in f.events.order_by("at", "id")] == [  # each by the unit D17 names
        org["centre"], org["centre"], org["construction"], org["justice"], org["construction"]]

    g = by_code["G-LEAD"]
    assert (g.resolving_unit, g.current_unit, g.state) == (org["construction"], org["construction"], S.IN_PROCESSING)
    assert DossierSequence.objects.get(unit=org["centre"], day=date(2022, 1, 28)).last == 1


def test_the_command_imports_a_file_with_bom_crlf_and_blank_lines(procedures, org, tmp_path):
    path = tmp_path / "hoso.csv"
    path.write_bytes(("\ufeff" + GOOD.replace("\n", "\r\n") + "\r\n").encode("utf-8"))
    out = io.StringIO()
    call_command("import_dossiers", str(path), stdout=out)
    assert "Đã nhập 7 hồ sơ" in out.getvalue()
    assert Dossier.objects.count() == 7


# --- bad rows ----------------------------------------------------------------------------------------

BAD_ROWS = [
    ("unknown procedure", dict(procedure_code="9.999999"), "procedure_code", hi.MSG_UNKNOWN_PROCEDURE.format(code="9.999999")),
    ("procedure no longer in force", dict(procedure_code="1.000404"), "procedure_code", hi.MSG_PROCEDURE_INACTIVE.format(code="1.000404")),
    ("unknown receiving unit", dict(receiving_unit_code="000.00.77.H23"), "receiving_unit_code", hi.MSG_UNKNOWN_UNIT.format(code="000.00.77.H23")),
    ("unknown resolving unit", dict(resolving_unit_code="000.00.78.H23"), "resolving_unit_code", hi.MSG_UNKNOWN_UNIT.format(code="000.00.78.H23")),
    ("unit closed on that day", dict(receiving_unit_code="000.00.99.H23"), "receiving_unit_code",
     hi.MSG_UNIT_NOT_VALID.format(code="000.00.99.H23", day=date(2022, 3, 1))),
    ("bad channel", dict(channel="fax"), "channel", hi.MSG_CHANNEL.format(value="fax")),
    ("missing channel", dict(channel=""), "channel", hi.MSG_REQUIRED),
    ("bad timestamp", dict(received_at="01/03/2022 09:00"), "received_at", hi.MSG_TIMESTAMP.format(value="01/03/2022 09:00")),
    ("missing timestamp", dict(received_at=""), "received_at", hi.MSG_REQUIRED),
    ("future timestamp", dict(received_at="2099-03-01T09:00"), "received_at", hi.MSG_FUTURE.format(value="2099-03-01T09:00")),
    ("before the calendar", dict(received_at="2005-03-01T09:00"), "received_at",
     hi.MSG_OUT_OF_CALENDAR.format(value="2005-03-01T09:00", first=date(2010, 1, 1), last=date(2060, 12, 31))),
    ("resolved before received", dict(outcome="approved", resolved_at="2022-02-28T09:00"), "resolved_at", hi.MSG_RESOLVED_BEFORE_RECEIVED),
    ("supplement reversed", dict(supplements="2022-03-03T09:00/2022-03-02T09:00"), "supplements", hi.MSG_SUPPLEMENT_REVERSED.format(i=1)),
    ("supplements overlap", dict(supplements="2022-03-02T09:00/2022-03-04T09:00;2022-03-03T09:00/2022-03-07T09:00"),
     "supplements", hi.MSG_SUPPLEMENT_OVERLAP.format(i=2, j=1)),
    ("supplements out of order", dict(supplements="2022-03-07T09:00/2022-03-08T09:00;2022-03-02T09:00/2022-03-03T09:00"),
     "supplements", hi.MSG_SUPPLEMENT_OVERLAP.format(i=2, j=1)),
    ("supplement before receipt", dict(supplements="2022-02-28T09:00/2022-03-02T09:00"), "supplements",
     hi.MSG_SUPPLEMENT_BEFORE_RECEIPT.format(i=1)),
    ("supplement after resolution", dict(supplements="2022-03-03T09:00/2022-03-07T09:00", outcome="refused", resolved_at="2022-03-04T09:00"),
     "supplements", hi.MSG_SUPPLEMENT_AFTER_RESOLUTION.format(i=1)),
    ("open supplement not last", dict(supplements="2022-03-02T09:00/;2022-03-04T09:00/2022-03-07T09:00"), "supplements",
     hi.MSG_SUPPLEMENT_OPEN_NOT_LAST.format(i=1)),
    ("supplement pair malformed", dict(supplements="2022-03-02T09:00/2022-03-03T09:00/2022-03-04T09:00"), "supplements",
     hi.MSG_SUPPLEMENT_FORMAT.format(i=1, value="2022-03-02T09:00/2022-03-03T09:00/2022-03-04T09:00")),
    ("supplement timestamp bad", dict(supplements="2022-03-02T09:00/hôm sau"), "supplements",
     "lần bổ sung thứ 1: " + hi.MSG_TIMESTAMP.format(value="hôm sau")),
    ("approved while waiting", dict(supplements="2022-03-02T09:00/", outcome="approved", resolved_at="2022-03-04T09:00"),
     "supplements", hi.MSG_APPROVED_WHILE_WAITING),
    ("outcome without resolved_at", dict(outcome="approved"), "resolved_at", hi.MSG_OUTCOME_WITHOUT_RESOLVED.format(outcome="approved")),
    ("resolved_at without outcome", dict(resolved_at="2022-03-04T09:00"), "outcome", hi.MSG_RESOLVED_WITHOUT_OUTCOME),
    ("unknown outcome", dict(outcome="done", resolved_at="2022-03-04T09:00"), "outcome", hi.MSG_OUTCOME.format(value="done")),
    ("returned after withdrawal", dict(outcome="withdrawn", resolved_at="2022-03-04T09:00", returned_at="2022-03-05T09:00"),
     "returned_at", hi.MSG_RETURNED_WITHOUT_RESULT),
    ("returned while open", dict(returned_at="2022-03-05T09:00"), "returned_at", hi.MSG_RETURNED_WITHOUT_RESULT),
    ("returned before resolved", dict(outcome="approved", resolved_at="2022-03-04T09:00", returned_at="2022-03-04T08:00"),
     "returned_at", hi.MSG_RETURNED_BEFORE_RESOLVED),
    ("bad on_the_spot", dict(on_the_spot="có"), "on_the_spot", hi.MSG_ON_THE_SPOT_VALUE.format(value="có")),
    ("on_the_spot not offered", dict(on_the_spot="1"), "on_the_spot", svc.MSG_ON_THE_SPOT),
    ("code date not a date", dict(code="000.00.31.H23-221399-0001"), "code", hi.MSG_CODE_DATE.format(code="000.00.31.H23-221399-0001")),
    ("too many transfers", dict(transfers="2022-03-02T09:00"), "transfers", hi.MSG_TRANSFER_TOO_MANY.format(steps=1, max=0)),
    ("transfer during a pause", dict(procedure_code="1.009999", supplements="2022-03-02T09:00/2022-03-04T09:00",
                                     transfers="2022-03-03T09:00"), "transfers", hi.MSG_TRANSFER_IN_PAUSE.format(i=1)),
    ("transfer after resolution", dict(procedure_code="1.009999", transfers="2022-03-08T09:00", outcome="approved",
                                       resolved_at="2022-03-07T09:00"), "transfers", hi.MSG_TRANSFER_AFTER_RESOLUTION.format(i=1)),
    ("transfers out of order", dict(procedure_code="1.009999", transfers="2022-03-08T09:00;2022-03-03T09:00"), "transfers",
     hi.MSG_TRANSFER_ORDER.format(i=2, j=1)),
]


@pytest.mark.parametrize(("case", "values", "column", "reason"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_a_bad_row_fails_the_whole_file_with_its_line_and_column(case, values, column, reason, procedures, org):
    """Line 3 is bad, lines 2 and 4 are good: exactly one error, located, and nothing written."""
    text = csv_text(line(code="GOOD-1"), line(**{"code": "BAD", **values}), line(code="GOOD-2"))
    with pytest.raises(hi.HistoryImportError) as exc:
        hi.dossier_history_import_text(text)
    assert exc.value.errors == [f"line 3, column {column}: {reason}"]
    assert nothing_written()


def test_duplicate_codes_in_a_file_are_reported_at_the_second_line(procedures, org):
    text = csv_text(line(code="HS-1"), line(code="HS-2"), line(code="HS-1"))
    with pytest.raises(hi.HistoryImportError) as exc:
        hi.dossier_history_import_text(text)
    assert exc.value.errors == ["line 4, column code: " + hi.MSG_CODE_DUPLICATE.format(code="HS-1", line=2)]
    assert nothing_written()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER.replace(",received_at", ""), ["line 1, column received_at: " + hi.MSG_COLUMN_MISSING.format(column="received_at")]),
        (HEADER.replace("received_at", "recieved_at"), [
            "line 1, column recieved_at: " + hi.MSG_COLUMN_UNKNOWN.format(column="recieved_at", known=", ".join(hi.COLUMNS)),
            "line 1, column received_at: " + hi.MSG_COLUMN_MISSING.format(column="received_at")]),
        (HEADER + ",channel", ["line 1, column channel: " + hi.MSG_COLUMN_DUPLICATE.format(column="channel")]),
    ],
)
def test_a_bad_header_is_reported_on_line_1(header, expected, procedures, org):
    with pytest.raises(hi.HistoryImportError) as exc:
        hi.dossier_history_import_text(header + "\n")
    assert exc.value.errors == expected


def test_every_error_of_a_file_is_reported_in_line_order(procedures, org):
    text = csv_text(line(channel="fax"), line(), line(procedure_code="x", outcome="approved"), "a,b")
    with pytest.raises(hi.HistoryImportError) as exc:
        hi.dossier_history_import_text(text)
    assert exc.value.errors == [
        "line 2, column channel: " + hi.MSG_CHANNEL.format(value="fax"),
        "line 4, column procedure_code: " + hi.MSG_UNKNOWN_PROCEDURE.format(code="x"),
        "line 4, column resolved_at: " + hi.MSG_OUTCOME_WITHOUT_RESOLVED.format(outcome="approved"),
        "line 5, column -: " + hi.MSG_ROW_WIDTH.format(n=2, m=len(FIELDS)),
    ]
    assert nothing_written()


def test_the_command_prints_errors_to_stderr_and_fails(procedures, org, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(line(code="OK-1"), line(procedure_code="9.999999")), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_dossiers", str(path), stderr=err)
    assert "line 3, column procedure_code: " + hi.MSG_UNKNOWN_PROCEDURE.format(code="9.999999") in err.getvalue()
    assert "không có hồ sơ nào được nhập" in str(exc.value)
    assert nothing_written()
    with pytest.raises(CommandError):
        call_command("import_dossiers", str(tmp_path / "missing.csv"))


def test_reimporting_the_same_codes_is_refused_as_a_whole(procedures, org):
    """Idempotency decision: a code identifies a dossier, so a second import of the same file is
    an error ("Mã hồ sơ … đã tồn tại") for every coded row, and nothing more is written (rows
    without a code would be new dossiers, so the whole file is refused)."""
    hi.dossier_history_import_text(GOOD)
    counts = (Dossier.objects.count(), DossierEvent.objects.count(), DossierPause.objects.count())
    with pytest.raises(hi.HistoryImportError) as exc:
        hi.dossier_history_import_text(GOOD)
    coded = ["000.00.31.H23-220128-0001", "OLD-0002", None, "D-OPEN", "E-SPOT", "F-LT", "G-LEAD"]
    assert exc.value.errors == [
        f"line {n}, column code: " + hi.MSG_CODE_EXISTS.format(code=code)
        for n, code in enumerate(coded, start=2) if code
    ]
    assert (Dossier.objects.count(), DossierEvent.objects.count(), DossierPause.objects.count()) == counts


def test_a_live_dossier_code_cannot_be_imported_again(procedures, org):
    live = register(procedures["days5"], org, received_at=at(2022, 3, 1, 9))
    with pytest.raises(hi.HistoryImportError) as exc:
        hi.dossier_history_import_text(csv_text(line(code=live.code)))
    assert exc.value.errors == ["line 2, column code: " + hi.MSG_CODE_EXISTS.format(code=live.code)]


# --- the replay equals the live path -----------------------------------------------------------------


def _live_lien_thong(org, procedures):
    """The dossier of line 7-like history, driven through the services one by one."""
    d = register(procedures["lien_thong"], org, received_at=at(2022, 3, 1, 9), applicant={"name": "Lò Văn Pá"})
    d = svc.dossier_transfer(dossier=d, actor=None, at=at(2022, 3, 1, 9))
    d = svc.dossier_transfer(dossier=d, actor=None, at=at(2022, 3, 3, 10))
    d = svc.dossier_request_supplement(dossier=d, actor=None, reason=hi.SUPPLEMENT_REASON, at=at(2022, 3, 4, 9))
    d = svc.dossier_resume(dossier=d, actor=None, at=at(2022, 3, 9, 14))
    d = svc.dossier_transfer(dossier=d, actor=None, at=at(2022, 3, 14, 10))
    d = svc.dossier_approve(dossier=d, actor=None, at=at(2022, 3, 18, 16))
    return svc.dossier_return_result(dossier=d, actor=None, at=at(2022, 3, 21, 8))


def _live_refused_while_waiting(org, procedures):
    d = register(procedures["days10"], org, received_at=at(2022, 1, 17, 9), channel="online", applicant={"name": "Lò Văn Pá"})
    d = svc.dossier_transfer(dossier=d, actor=None, at=at(2022, 1, 17, 9))
    d = svc.dossier_request_supplement(dossier=d, actor=None, reason=hi.SUPPLEMENT_REASON, at=at(2022, 1, 19, 9))
    d = svc.dossier_resume(dossier=d, actor=None, at=at(2022, 1, 24, 9))
    d = svc.dossier_request_supplement(dossier=d, actor=None, reason=hi.SUPPLEMENT_REASON, at=at(2022, 1, 26, 9))
    return svc.dossier_refuse(dossier=d, actor=None, reason=hi.REFUSE_REASON, at=at(2022, 2, 15, 9))


def _live_on_the_spot(org, procedures):
    d = register(procedures["hours4"], org, received_at=at(2022, 3, 1, 10), on_the_spot=True, applicant={"name": "Lò Văn Pá"})
    d = svc.dossier_approve(dossier=d, actor=None, at=at(2022, 3, 1, 10, 25))
    return svc.dossier_return_result(dossier=d, actor=None, at=at(2022, 3, 1, 10, 25))


def _live_withdrawn(org, procedures):
    d = register(procedures["cal15"], org, received_at=at(2022, 1, 28, 16), channel="postal", applicant={"name": "Lò Văn Pá"})
    d = svc.dossier_transfer(dossier=d, actor=None, at=at(2022, 1, 28, 16))
    return svc.dossier_withdraw(dossier=d, actor=None, reason=hi.WITHDRAW_REASON, at=at(2022, 2, 3, 9))


REPLAYS = [
    (_live_lien_thong, dict(procedure_code="1.009999", transfers="2022-03-03T10:00;2022-03-14T10:00",
                            supplements="2022-03-04T09:00/2022-03-09T14:00", outcome="approved",
                            resolved_at="2022-03-18T16:00", returned_at="2022-03-21T08:00")),
    (_live_refused_while_waiting, dict(procedure_code="1.000010", channel="online", received_at="2022-01-17T09:00",
                                       supplements="2022-01-19T09:00/2022-01-24T09:00;2022-01-26T09:00/",
                                       outcome="refused", resolved_at="2022-02-15T09:00")),
    (_live_on_the_spot, dict(procedure_code="2.000004", received_at="2022-03-01T10:00", on_the_spot="1",
                             outcome="approved", resolved_at="2022-03-01T10:25", returned_at="2022-03-01T10:25")),
    (_live_withdrawn, dict(procedure_code="1.000015", channel="postal", received_at="2022-01-28T16:00",
                           outcome="withdrawn", resolved_at="2022-02-03T09:00")),
]


@pytest.mark.parametrize("via_services", [False, True], ids=["bulk", "via-services"])
@pytest.mark.parametrize(("live", "values"), REPLAYS, ids=[r[0].__name__ for r in REPLAYS])
def test_a_replayed_dossier_equals_one_driven_through_the_services(live, values, via_services, procedures, org):
    """Same due date, class, steps, pauses and event sequence (with the due date at each
    moment) as the same history done step by step in OneCua."""
    expected = dossier_snapshot(live(org, procedures))
    hi.dossier_history_import_text(csv_text(line(code="IMPORTED-1", applicant_name="Lò Văn Pá", **values)),
                                   via_services=via_services)
    replayed = dossier_snapshot(Dossier.objects.get(code="IMPORTED-1"))
    assert replayed == expected


#: histories where several actions share an instant (the plan's tie order matters)
TIE_VALUES = [
    dict(procedure_code="1.009999", supplements="2022-03-02T09:00/2022-03-02T09:00",
         transfers="2022-03-02T09:00;2022-03-04T09:00", outcome="approved", resolved_at="2022-03-10T09:00"),
    dict(procedure_code="1.009999", supplements="2022-03-02T09:00/2022-03-04T09:00", transfers="2022-03-04T09:00",
         outcome="refused", resolved_at="2022-03-04T09:00"),
    dict(supplements="2022-03-01T09:00/2022-03-03T09:00", outcome="approved", resolved_at="2022-03-03T09:00",
         returned_at="2022-03-03T09:00"),
    dict(procedure_code="2.000004", on_the_spot="1", received_at="2022-03-01T10:00",
         supplements="2022-03-01T10:05/2022-03-01T10:10", outcome="approved", resolved_at="2022-03-01T10:20"),
    dict(procedure_code="1.009999", transfers="2022-03-03T10:00"),
    dict(procedure_code="1.000000", received_at="2022-03-01T16:00", outcome="approved", resolved_at="2022-03-03T09:00"),
    dict(procedure_code="1.000015", supplements="2022-03-02T09:00/2022-03-09T09:00", outcome="withdrawn",
         resolved_at="2022-03-20T09:00"),
    dict(procedure_code="2.000004", received_at="2022-03-01T10:00", supplements="2022-03-01T11:00/2022-03-02T14:00",
         outcome="approved", resolved_at="2022-03-02T16:30"),
]


def test_tied_instants_replay_in_order(procedures, org):
    """A zero-length pause and a hand-off at the same instant, a resolution at the instant of a
    resume: the plan runs resume → transfer → request → outcome and every row imports."""
    hi.dossier_history_import_text(csv_text(*(line(code=f"T-{i}", **v) for i, v in enumerate(TIE_VALUES))))
    first = Dossier.objects.get(code="T-0")
    assert [e.action for e in first.events.order_by("at", "id")] == [
        "receive", Action.TRANSFER, Action.TRANSFER, Action.REQUEST_SUPPLEMENT, Action.RESUME, Action.TRANSFER, Action.APPROVE]
    second = Dossier.objects.get(code="T-1")
    assert [e.action for e in second.events.order_by("at", "id")][-3:] == [Action.RESUME, Action.TRANSFER, Action.REFUSE]


def _snapshot_all() -> dict:
    return {d.code: dossier_snapshot(d, exclude=()) for d in Dossier.objects.order_by("id")}


@pytest.mark.parametrize("with_codes", [True, False], ids=["old-codes", "generated-codes"])
def test_bulk_import_equals_the_service_by_service_replay_on_random_histories(with_codes, procedures, org):
    """180 realistic random histories and the hand-made cases (all outcomes, supplements, hand-offs, open and paused
    dossiers) give exactly the same rows through the bulk path and through the services."""
    now = at(2022, 7, 1, 12)
    rows = (history_rows_random(count=100, start=date(2021, 12, 1), end=date(2022, 5, 31), seed=5, now=now,
                                with_codes=with_codes)
            + history_rows_random(count=80, start=date(2022, 6, 10), end=date(2022, 6, 30), seed=6, now=now,
                                  with_codes=with_codes))
    # plus the hand-made edge cases (open and repeated supplements, hand-offs around pauses…)
    edges = [dict(v) for v in GOOD_VALUES] + [dict(v) for _live, v in REPLAYS] + [dict(v) for v in TIE_VALUES]
    for i, values in enumerate(edges):
        values["code"] = f"EDGE-{i}" if with_codes else ""
        values.setdefault("procedure_code", "1.000001")
        values.setdefault("receiving_unit_code", CENTRE)
        values.setdefault("channel", "direct")
        values.setdefault("received_at", "2022-03-01T09:00")
    rows += [{f: v.get(f, "") for f in FIELDS} for v in edges]
    buf = io.StringIO()
    history_csv_write(rows, buf)
    text = buf.getvalue()
    snapshots, sequences = [], []
    for via_services in (False, True):
        with transaction.atomic():
            hi.dossier_history_import_text(text, via_services=via_services, chunk_size=40)
            snapshots.append(_snapshot_all())
            sequences.append(sorted(DossierSequence.objects.values_list("unit_id", "day", "last")))
            transaction.set_rollback(True)
    bulk, services = snapshots
    assert len(bulk) == len(rows)
    assert list(bulk) == list(services)
    for code in bulk:
        assert bulk[code] == services[code], code
    assert sequences[0] == sequences[1]


# --- the demo quarter ---------------------------------------------------------------------------------


def test_demo_quarter_is_realistic_deterministic_and_loaded_once(db):
    """The demo quarter (ending 14/3/2022, the Q1/2022 cut-off) covers every situation the pages
    and reports show, is planned the same on every run, and a second load changes nothing."""
    from django.db.models import Count

    from dossiers.selectors import dossiers_overdue
    from demo.catalogue import demo_load
    from demo.history import demo_dossiers_load, demo_plans

    demo_load()
    today = date(2022, 3, 14)

    def plan_digest():
        _rng, now, plans = demo_plans(today=today)
        return now, [(R, p.code, sc, person, dice) for R, p, sc, person, dice in plans]

    assert plan_digest() == plan_digest()  # deterministic
    result = demo_dossiers_load(today=today)
    assert 600 <= result.dossiers == len(plan_digest()[1]) <= 1500

    qs = Dossier.objects.all()
    received = qs.values_list("received_at", flat=True)
    assert min(received) >= datetime(2021, 12, 15, tzinfo=LOCAL_TZ)
    assert max(received) <= datetime(2022, 3, 14, 17, tzinfo=LOCAL_TZ)
    states = dict(qs.values_list("state").annotate(n=Count("id")).order_by())
    assert set(states) == {S.RECEIVED, S.IN_PROCESSING, S.AWAITING_SUPPLEMENT, S.APPROVED, S.RETURNED, S.REFUSED, S.WITHDRAWN}
    assert set(qs.values_list("classification", flat=True)) == {"", "early", "on_time", "late"}
    assert set(qs.values_list("channel", flat=True)) == {"online", "direct", "postal"}
    assert qs.filter(on_the_spot=True, state=S.RETURNED).exists()
    assert qs.filter(supplement_count__gte=1, pauses__completed_at__isnull=False).exists()  # resumed
    assert qs.filter(supplement_count__gte=2).exists()
    assert qs.filter(apologized_at__isnull=False).exists()
    assert DossierEvent.objects.filter(action=Action.APOLOGIZE, data__late_apology=True).exists()
    assert dossiers_overdue(on=today).exists()
    assert DossierEvent.objects.filter(action=Action.TRANSFER).exclude(to_unit=None).exists()
    assert DossierEvent.objects.filter(actor__username="motcua.tinh", action="receive").exists()  # demo staff act

    again = demo_dossiers_load(today=today)
    assert again.skipped and Dossier.objects.count() == result.dossiers
