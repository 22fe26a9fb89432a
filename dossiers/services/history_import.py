"""Dossier history import (interfaces.md "Dossier history import"; D15: imported codes are kept).

A province moving to OneCua brings the dossiers of its old one-stop software as a CSV file,
one dossier per row. Each row is *replayed*: received with its own receipt instant, put into
processing, paused and resumed for every supplement, handed from step to step, resolved and
returned, so that its due date, its class (early / on time / late) and its history are exactly
what OneCua would have produced had it handled the dossier itself.

The replay plan of a row (:func:`history_plan`) is shared by two executors:

- :func:`_replay_via_services` calls the live services of ``dossiers.services.lifecycle`` one
  by one (``dossier_register`` with the row's receipt instant and code, ``dossier_assign``,
  ``dossier_transfer``, ``dossier_request_supplement`` / ``dossier_resume``,
  ``dossier_approve`` / ``dossier_refuse`` / ``dossier_withdraw``, ``dossier_return_result``).
  It is the definition of the result: about 50 queries and 30 ms a row (~30 rows/s).
- :class:`_FastReplay` (the default) performs the same plan on plain in-memory records,
  computing every deadline and class with the same ``dossiers.calendar`` functions and the
  lifecycle's own helpers (``applicant_validate``, ``_classify``, its messages and the
  workflow tables), and writes everything in bulk (PostgreSQL ``COPY``, elsewhere
  ``bulk_create``): ~2,400 rows/s on PostgreSQL (``bench/bench_import.py``). It mirrors the
  lifecycle statement by statement (each method names the service it mirrors);
  ``tests/dossiers/test_history_import.py`` imports randomised and hand-made histories through
  both executors and requires identical rows (dossier, steps, pauses, events, sequences). A
  change to the lifecycle that is not mirrored here fails that test.
- The bulk path runs no ``lifecycle.TRANSITION_HOOKS``: an import is history, not news (the
  monitoring outbox ignores events older than a day for the same reason). The per-service path
  runs them, as every service call does.

Decisions (the CSV has no per-step data):

- A dossier enters processing at its receipt instant (``dossier_assign`` without an officer)
  unless it is "4 tại chỗ", which is resolved straight from the counter.
- The optional ``transfers`` column (an addition to the interface: ``;``-separated instants of
  the liên thông hand-offs) drives ``dossier_transfer``; without it the dossier stays at its
  first step, which its resolution finishes.
- Actions at the same instant run in the order resume → transfer → supplement request, then
  the outcome, then the return.
- Explicit codes are noted in the (unit, day) sequences before any code is generated, so that
  a generated code never collides with a code of the same file.
- An empty applicant name is recorded as :data:`UNKNOWN_APPLICANT`; the refusal, withdrawal and
  supplement reasons of imported rows are the fixed texts below.

All-or-nothing: the file is validated completely first (every error reported as
``line N, column C: reason``, the header being line 1), then written in one transaction.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

from dossiers import calendar as wcal
from dossiers import competence, identity
from dossiers.errors import DossierError
from dossiers.models import (
    Channel,
    DerivedCharField,
    Dossier,
    DossierEvent,
    DossierPause,
    DossierSequence,
    DossierStep,
    Outcome,
    Procedure,
    ReturnChannel,
    Unit,
)
from dossiers.selectors import calendar_get
from dossiers.services import lifecycle
from dossiers.services.import_errors import ImportFileError, line_of, located
from dossiers import core
from dossiers.workflow import Action, DossierState

S = DossierState
LOCAL_TZ = wcal.LOCAL_TZ

_CHANNELS = frozenset(c.value for c in Channel)
_OUTCOMES = frozenset(o.value for o in Outcome)
#: the workflow tables as plain strings: action -> target state (None: unchanged); allowed pairs

COLUMNS = (
    "code", "procedure_code", "receiving_unit_code", "resolving_unit_code", "channel", "received_at",
    "supplements", "outcome", "resolved_at", "returned_at", "on_the_spot", "applicant_name", "transfers",
)
REQUIRED_COLUMNS = ("procedure_code", "receiving_unit_code", "channel", "received_at")

UNKNOWN_APPLICANT = "(không rõ họ tên)"
IMPORT_NOTE = "dữ liệu chuyển từ hệ thống cũ"
SUPPLEMENT_REASON = f"Yêu cầu bổ sung, hoàn thiện hồ sơ ({IMPORT_NOTE})"
REFUSE_REASON = f"Từ chối giải quyết ({IMPORT_NOTE})"
WITHDRAW_REASON = f"Người nộp rút hồ sơ ({IMPORT_NOTE})"
STOP_REASON = f"Dừng giải quyết hồ sơ ({IMPORT_NOTE})"
#: why a step the old system kept no record of is marked "not needed" before the decision
SKIP_REASON = f"Không có dữ liệu bước này ({IMPORT_NOTE})"

#: how many errors are listed before "… and N more"
MAX_ERRORS_SHOWN = 200

# Messages (asserted by tests). The prefix "line N, column C:" is the interface's
# (dossiers.services.import_errors, shared by every import).
MSG_EMPTY_FILE = "tệp trống: thiếu dòng tiêu đề"
MSG_COLUMN_MISSING = "thiếu cột bắt buộc “{column}”"
MSG_COLUMN_UNKNOWN = "cột “{column}” không xác định (các cột hợp lệ: {known})"
MSG_COLUMN_DUPLICATE = "cột “{column}” bị lặp"
MSG_ROW_WIDTH = "dòng có {n} ô, tiêu đề có {m} cột"
MSG_REQUIRED = "bắt buộc phải có giá trị"
MSG_UNKNOWN_PROCEDURE = "không có thủ tục mã “{code}” trong danh mục"
MSG_PROCEDURE_INACTIVE = "thủ tục “{code}” đã ngừng áp dụng"
MSG_UNKNOWN_UNIT = "không có đơn vị mã “{code}”"
MSG_UNIT_NOT_VALID = "đơn vị “{code}” không hoạt động vào ngày {day:%d/%m/%Y}"
MSG_CHANNEL = "hình thức nộp “{value}” không hợp lệ: phải là online, direct hoặc postal"
MSG_TIMESTAMP = "thời điểm “{value}” không hợp lệ: cần ISO 8601, ví dụ 2022-01-28T09:30 hoặc 2022-01-28T09:30:00+07:00"
MSG_FUTURE = "thời điểm {value} ở tương lai"
MSG_OUT_OF_CALENDAR = "thời điểm {value} nằm ngoài lịch làm việc ({first:%d/%m/%Y}–{last:%d/%m/%Y})"
MSG_RESOLVED_BEFORE_RECEIVED = "thời điểm giải quyết trước thời điểm tiếp nhận"
MSG_OUTCOME = "kết quả “{value}” không hợp lệ: để trống hoặc approved, refused, withdrawn, stopped"
MSG_OUTCOME_WITHOUT_RESOLVED = "kết quả “{outcome}” cần thời điểm giải quyết resolved_at"
MSG_RESOLVED_WITHOUT_OUTCOME = "có thời điểm giải quyết nhưng không có kết quả"
MSG_RETURNED_WITHOUT_RESULT = "chỉ hồ sơ có kết quả approved, refused hoặc stopped mới có thời điểm trả kết quả"
MSG_RETURNED_BEFORE_RESOLVED = "thời điểm trả kết quả trước thời điểm giải quyết"
MSG_SUPPLEMENT_FORMAT = "lần bổ sung thứ {i} “{value}” phải có dạng requested_at/completed_at"
MSG_SUPPLEMENT_REVERSED = "lần bổ sung thứ {i}: nhận bổ sung trước khi yêu cầu"
MSG_SUPPLEMENT_BEFORE_RECEIPT = "lần bổ sung thứ {i}: yêu cầu bổ sung trước thời điểm tiếp nhận"
MSG_SUPPLEMENT_OVERLAP = "lần bổ sung thứ {i} bắt đầu trước khi lần thứ {j} kết thúc (chồng lấn hoặc sai thứ tự)"
MSG_SUPPLEMENT_OPEN_NOT_LAST = "lần bổ sung thứ {i} chưa có thời điểm nhận bổ sung nhưng không phải lần cuối"
MSG_SUPPLEMENT_AFTER_RESOLUTION = "lần bổ sung thứ {i} sau thời điểm giải quyết"
MSG_APPROVED_WHILE_WAITING = "hồ sơ đang chờ bổ sung (lần cuối chưa nhận) không thể có kết quả approved"
MSG_TRANSFER_TOO_MANY = "thủ tục có {steps} bước xử lý nên chỉ chuyển bước được tối đa {max} lần"
MSG_TRANSFER_BEFORE_RECEIPT = "lần chuyển bước thứ {i} trước thời điểm tiếp nhận"
MSG_TRANSFER_ORDER = "lần chuyển bước thứ {i} trước lần thứ {j}"
MSG_TRANSFER_IN_PAUSE = "lần chuyển bước thứ {i} trong lúc hồ sơ chờ bổ sung"
MSG_TRANSFER_AFTER_RESOLUTION = "lần chuyển bước thứ {i} sau thời điểm giải quyết"
MSG_ON_THE_SPOT_VALUE = "on_the_spot “{value}” không hợp lệ: 1, 0 hoặc để trống"
MSG_CODE_DUPLICATE = "mã hồ sơ {code} trùng với dòng {line}"
MSG_CODE_EXISTS = "Mã hồ sơ {code} đã tồn tại."
MSG_CODE_DATE = "mã hồ sơ {code} có phần ngày (YYMMDD) không phải là ngày hợp lệ"
MSG_TOO_LONG = "dài quá {max} ký tự"
MSG_CODE_ALPHABET = (
    "mã hồ sơ “{code}” có ký tự “{char}” không được phép: chỉ dùng chữ cái không dấu, chữ số, "
    "dấu chấm, gạch ngang và gạch dưới (mã sẽ nằm trong địa chỉ trang)"
)
MSG_CODE_NUMBER = "số thứ tự {number} trong mã hồ sơ quá lớn (tối đa {max})"
MSG_CONTROL_CHAR = "có ký tự điều khiển {char} (ví dụ NUL) không được phép"
MSG_MALFORMED = "dòng CSV không đọc được ({reason}); kiểm tra dấu ngoặc kép và độ dài ô"

#: a code from the old system: letters without diacritics, digits, ``.``, ``-``, ``_``;
#: the URLs built from it need no escaping (onecua/converters.py)
CODE_ALPHABET_RE = re.compile(r"[A-Za-z0-9._-]+")
#: the largest per-day number a D15 code may carry (the sequence column is a 32-bit integer)
MAX_CODE_NUMBER = 999_999


class HistoryImportError(ImportFileError):
    """The file cannot be imported; nothing was written. ``errors`` (this importer's name for
    ``lines``) are the located messages; the message shows the first ``MAX_ERRORS_SHOWN``."""

    max_shown = MAX_ERRORS_SHOWN

    def __init__(self, errors: list[str]):
        super().__init__(errors)
        self.errors = self.lines


@dataclass
class HistoryRow:
    """One validated row: every reference resolved, every instant aware (local time)."""

    line: int
    code: str
    procedure: Procedure
    receiving_unit: Unit
    resolving_unit: Unit
    channel: str
    received_at: datetime
    supplements: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    transfers: list[datetime] = field(default_factory=list)
    outcome: str = ""
    resolved_at: datetime | None = None
    returned_at: datetime | None = None
    on_the_spot: bool = False
    applicant_name: str = UNKNOWN_APPLICANT


@dataclass
class HistoryImportResult:
    dossiers: int
    events: int
    generated_codes: int


# --- parsing and validation --------------------------------------------------------------------


class _Catalogue:
    """Procedures (with their step templates) and units by code, read once."""

    def __init__(self) -> None:
        self.units = {u.code: u for u in Unit.objects.all()}
        by_id = {u.pk: u for u in self.units.values()}
        self.procedures = {}
        for p in Procedure.objects.all():
            p.resolving_unit = by_id[p.resolving_unit_id] if p.resolving_unit_id else None
            self.procedures[p.code] = p
        self.facts = {u.pk: competence.UnitFacts(id=u.pk, code=u.code, name=u.name, level=u.level, kind=u.kind,
                                                 parent_id=u.parent_id, valid_from=u.valid_from, valid_to=u.valid_to)
                      for u in self.units.values()}
        self.by_id = by_id
        self.templates: dict[int, list] = {}
        from dossiers.models import ProcedureStep

        for t in ProcedureStep.objects.select_related("unit").order_by("procedure_id", "order"):
            self.templates.setdefault(t.procedure_id, []).append(t)
        self.templates = {pid: lifecycle.template_steps(ts) for pid, ts in self.templates.items()}


class _RowChecker:
    def __init__(self, *, catalogue: _Catalogue, cal: wcal.WorkCalendar, now: datetime):
        self.cat = catalogue
        self.cal = cal
        self.now = now
        self.first = datetime.combine(cal.first, datetime.min.time(), LOCAL_TZ)
        # a dossier received on the last days of the calendar could not get a due date anyway
        self.last = datetime.combine(cal.last, datetime.min.time(), LOCAL_TZ)

    def instant(self, value: str, errors: list, line: int, column: str, label: str = "") -> datetime | None:
        shown = value
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            errors.append(located(line, column, (label + MSG_TIMESTAMP.format(value=shown)))); return None
        dt = dt.replace(tzinfo=LOCAL_TZ) if dt.tzinfo is None else dt.astimezone(LOCAL_TZ)
        if dt > self.now:
            errors.append(located(line, column, label + MSG_FUTURE.format(value=shown))); return None
        if not (self.first <= dt < self.last):
            errors.append(located(line, column, label + MSG_OUT_OF_CALENDAR.format(
                value=shown, first=self.cal.first, last=self.cal.last)))
            return None
        return dt

    def check(self, line: int, raw: dict[str, str], errors: list) -> HistoryRow | None:
        n_before = len(errors)

        def err(column: str, reason: str) -> None:
            errors.append(located(line, column, reason))

        code = raw.get("code", "")
        if len(code) > 64:
            err("code", MSG_TOO_LONG.format(max=64))
        elif code and not CODE_ALPHABET_RE.fullmatch(code):
            char = next(ch for ch in code if not CODE_ALPHABET_RE.fullmatch(ch))
            err("code", MSG_CODE_ALPHABET.format(code=code, char=char))

        procedure = None
        pcode = raw.get("procedure_code", "")
        if not pcode:
            err("procedure_code", MSG_REQUIRED)
        else:
            procedure = self.cat.procedures.get(pcode)
            if procedure is None:
                err("procedure_code", MSG_UNKNOWN_PROCEDURE.format(code=pcode))
            elif not procedure.is_active:
                err("procedure_code", MSG_PROCEDURE_INACTIVE.format(code=pcode))
                procedure = None

        receiving = None
        rcode = raw.get("receiving_unit_code", "")
        if not rcode:
            err("receiving_unit_code", MSG_REQUIRED)
        else:
            receiving = self.cat.units.get(rcode)
            if receiving is None:
                err("receiving_unit_code", MSG_UNKNOWN_UNIT.format(code=rcode))

        day_number = _code_day_number(code, receiving) if code and receiving is not None else None
        if day_number is False:
            err("code", MSG_CODE_DATE.format(code=code))
        elif day_number and day_number[1] > MAX_CODE_NUMBER:
            err("code", MSG_CODE_NUMBER.format(number=day_number[1], max=MAX_CODE_NUMBER))

        resolving = None
        scode = raw.get("resolving_unit_code", "")
        if scode:
            resolving = self.cat.units.get(scode)
            if resolving is None:
                err("resolving_unit_code", MSG_UNKNOWN_UNIT.format(code=scode))

        channel = raw.get("channel", "")
        if not channel:
            err("channel", MSG_REQUIRED)
        elif channel not in _CHANNELS:
            err("channel", MSG_CHANNEL.format(value=channel))

        received_at = None
        if not raw.get("received_at"):
            err("received_at", MSG_REQUIRED)
        else:
            received_at = self.instant(raw["received_at"], errors, line, "received_at")
        if received_at is not None and receiving is not None:
            day = received_at.date()
            if not receiving.is_valid_on(day):
                err("receiving_unit_code", MSG_UNIT_NOT_VALID.format(code=receiving.code, day=day))
            if procedure is not None and (resolving is not None or not scode):
                resolving = self._competent(procedure, receiving, resolving, day, err)

        on_the_spot_raw = raw.get("on_the_spot", "")
        on_the_spot = on_the_spot_raw == "1"
        if on_the_spot_raw not in ("", "0", "1"):
            err("on_the_spot", MSG_ON_THE_SPOT_VALUE.format(value=on_the_spot_raw))
        elif on_the_spot and procedure is not None and not procedure.on_the_spot:
            err("on_the_spot", lifecycle.MSG_ON_THE_SPOT)

        name = UNKNOWN_APPLICANT
        try:  # NFC, no hidden or reordering characters, as at the counter (dossiers/identity.py)
            name = identity.normalize_name(raw.get("applicant_name", ""), required=False) or UNKNOWN_APPLICANT
        except identity.IdentityError as exc:
            err("applicant_name", exc.message)
        if len(name) > 255:
            err("applicant_name", MSG_TOO_LONG.format(max=255))

        outcome = raw.get("outcome", "")
        if outcome and outcome not in _OUTCOMES:
            err("outcome", MSG_OUTCOME.format(value=outcome))
            outcome = None  # unknown: skip the checks that depend on it
        resolved_at = None
        if raw.get("resolved_at"):
            resolved_at = self.instant(raw["resolved_at"], errors, line, "resolved_at")
            if outcome == "":
                err("outcome", MSG_RESOLVED_WITHOUT_OUTCOME)
        elif outcome:
            err("resolved_at", MSG_OUTCOME_WITHOUT_RESOLVED.format(outcome=outcome))
        if resolved_at and received_at and resolved_at < received_at:
            err("resolved_at", MSG_RESOLVED_BEFORE_RECEIVED)
            resolved_at = None

        returned_at = None
        if raw.get("returned_at"):
            returned_at = self.instant(raw["returned_at"], errors, line, "returned_at")
            if outcome is not None and outcome not in (core.APPROVED, core.REFUSED, core.STOPPED):
                err("returned_at", MSG_RETURNED_WITHOUT_RESULT)
            elif returned_at and resolved_at and returned_at < resolved_at:
                err("returned_at", MSG_RETURNED_BEFORE_RESOLVED)

        supplements = self._supplements(raw.get("supplements", ""), line, errors, received_at, outcome, resolved_at)
        lead = resolving
        transfers = self._transfers(
            raw.get("transfers", ""), line, errors, received_at, resolved_at, supplements, procedure,
            lead.pk if lead is not None else None,
        )

        if len(errors) > n_before:
            return None
        return HistoryRow(
            line=line, code=code, procedure=procedure, receiving_unit=receiving,
            resolving_unit=resolving, channel=channel, received_at=received_at,
            supplements=supplements, transfers=transfers, outcome=outcome, resolved_at=resolved_at,
            returned_at=returned_at, on_the_spot=on_the_spot, applicant_name=name,
        )

    def _competent(self, procedure, receiving, resolving, day, err):
        """The lead unit per D19 (``dossiers.competence``), or None after reporting why not.

        A history written before the catalogue knew levels recorded a commune's own dossiers of
        a named-unit procedure under that commune: such a row is kept when its unit is of the
        named unit's level and kind and valid on the receipt date (the old system's record of
        who resolved it); any other unit is refused, as at the counter."""
        named = procedure.resolving_unit
        if (named is not None and resolving is not None and resolving.pk != named.pk
                and resolving.level == named.level and resolving.kind == named.kind):
            if resolving.is_valid_on(day):
                return resolving
            err("resolving_unit_code", competence.MSG_ENDED.format(unit=resolving.name, code=resolving.code, day=day))
            return None
        try:
            unit_id = competence.choose(
                procedure_code=procedure.code,
                resolving_unit=self.cat.facts[named.pk] if named is not None else None,
                resolving_level=procedure.resolving_level, receiving=self.cat.facts[receiving.pk],
                requested=self.cat.facts[resolving.pk] if resolving is not None else None, day=day,
                units=self.cat.facts.values(), search=lifecycle.competent_search_hint(procedure),
            )
        except competence.CompetenceError as exc:
            err("resolving_unit_code", exc.message)
            return None
        return self.cat.by_id[unit_id]

    def _supplements(self, value, line, errors, received_at, outcome, resolved_at):
        column = "supplements"
        out: list[tuple[datetime, datetime | None]] = []
        items = [s.strip() for s in value.split(";")] if value else []
        if items and items[-1] == "":
            items.pop()  # a trailing separator
        ok = True
        for i, item in enumerate(items, start=1):
            label = f"lần bổ sung thứ {i}: "
            parts = item.split("/")
            if not item or len(parts) > 2 or not parts[0].strip():
                errors.append(located(line, column, MSG_SUPPLEMENT_FORMAT.format(i=i, value=item)))
                ok = False
                continue
            start = self.instant(parts[0].strip(), errors, line, column, label)
            end_raw = parts[1].strip() if len(parts) == 2 else ""
            end = self.instant(end_raw, errors, line, column, label) if end_raw else None
            if start is None or (end_raw and end is None):
                ok = False
                continue
            out.append((start, end))
        if not ok:
            return []
        good = True
        for i, (start, end) in enumerate(out, start=1):
            def bad(msg):
                nonlocal good
                errors.append(located(line, column, msg))
                good = False

            if end is not None and end < start:
                bad(MSG_SUPPLEMENT_REVERSED.format(i=i))
            if received_at is not None and start < received_at:
                bad(MSG_SUPPLEMENT_BEFORE_RECEIPT.format(i=i))
            if i > 1:
                prev_start, prev_end = out[i - 2]
                if prev_end is None:
                    bad(MSG_SUPPLEMENT_OPEN_NOT_LAST.format(i=i - 1))
                elif start < prev_end or start < prev_start:
                    bad(MSG_SUPPLEMENT_OVERLAP.format(i=i, j=i - 1))
            if resolved_at is not None and (start > resolved_at or (end is not None and end > resolved_at)):
                bad(MSG_SUPPLEMENT_AFTER_RESOLUTION.format(i=i))
        if good and out and out[-1][1] is None and outcome == core.APPROVED:
            errors.append(located(line, column, MSG_APPROVED_WHILE_WAITING))
            good = False
        return out if good else []

    def _transfers(self, value, line, errors, received_at, resolved_at, supplements, procedure, resolving_unit_id):
        column = "transfers"
        items = [s.strip() for s in value.split(";")] if value else []
        if items and items[-1] == "":
            items.pop()
        out: list[datetime] = []
        for i, item in enumerate(items, start=1):
            t = self.instant(item, errors, line, column, f"lần chuyển bước thứ {i}: ") if item else None
            if t is None:
                if not item:
                    errors.append(located(line, column, MSG_TIMESTAMP.format(value=item)))
                return []
            out.append(t)
        if not out:
            return out
        n_before = len(errors)
        if procedure is not None:
            steps = core.processing_count(self.cat.templates.get(procedure.pk, ()), resolving_unit_id)  # noqa: E501
            if len(out) > steps - 1:
                errors.append(located(line, column, MSG_TRANSFER_TOO_MANY.format(steps=steps, max=steps - 1)))
        for i, t in enumerate(out, start=1):
            if received_at is not None and t < received_at:
                errors.append(located(line, column, MSG_TRANSFER_BEFORE_RECEIPT.format(i=i)))
            if i > 1 and t < out[i - 2]:
                errors.append(located(line, column, MSG_TRANSFER_ORDER.format(i=i, j=i - 1)))
            if resolved_at is not None and t > resolved_at:
                errors.append(located(line, column, MSG_TRANSFER_AFTER_RESOLUTION.format(i=i)))
            # Ties run resume → transfer → request: a hand-off at the very instant a pause
            # starts or ends is outside it.
            for start, end in supplements:
                if start < t and (end is None or t < end):
                    errors.append(located(line, column, MSG_TRANSFER_IN_PAUSE.format(i=i)))
                    break
        return out if len(errors) == n_before else []


def _records(stream: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(line, cells); a record the csv module cannot read (a cell above its size limit, a
    stray quote) ends the file with a located error instead of a traceback."""
    reader = csv.reader(stream)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise HistoryImportError([located(reader.line_num + 1, "-", MSG_MALFORMED.format(reason=exc))]) from None
        yield reader.line_num, record


def _control_char(value: str) -> str | None:
    """The first control character of a cell (NUL, escape…), as ``U+0000``: PostgreSQL
    refuses NUL in text, and none of them belongs in a history."""
    for ch in value:
        if unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


def dossier_history_parse(*, stream: Iterable[str], now: datetime | None = None) -> list[HistoryRow]:
    """Read and validate a whole file; raise :class:`HistoryImportError` with every error.

    Validation covers everything the replay would refuse, so that a file that parses is
    imported in full. Codes are checked against each other and against the database.
    """
    now = now or timezone.now()
    records = _records(stream)
    try:
        line, header = next(records)
    except StopIteration:
        raise HistoryImportError([located(1, "-", MSG_EMPTY_FILE)]) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    errors: list[str] = []
    seen: set[str] = set()
    for column in header:
        if column not in COLUMNS:
            errors.append(located(1, column, MSG_COLUMN_UNKNOWN.format(column=column, known=", ".join(COLUMNS))))
        elif column in seen:
            errors.append(located(1, column, MSG_COLUMN_DUPLICATE.format(column=column)))
        seen.add(column)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            errors.append(located(1, column, MSG_COLUMN_MISSING.format(column=column)))
    if errors:
        raise HistoryImportError(errors)

    checker = _RowChecker(catalogue=_Catalogue(), cal=calendar_get(), now=now)
    rows: list[HistoryRow] = []
    codes: dict[str, int] = {}
    width = len(header)
    for line, record in records:
        if not record or all(not cell.strip() for cell in record):
            continue  # blank line
        if len(record) != width:
            errors.append(located(line, "-", MSG_ROW_WIDTH.format(n=len(record), m=width)))
            continue
        raw = {column: cell.strip() for column, cell in zip(header, record)}
        bad = [(column, char) for column, cell in raw.items() if (char := _control_char(cell))]
        for column, char in bad:
            errors.append(located(line, column, MSG_CONTROL_CHAR.format(char=char)))
        if bad:
            continue
        row = checker.check(line, raw, errors)
        code = raw.get("code", "")
        if code:
            if code in codes:
                errors.append(located(line, "code", MSG_CODE_DUPLICATE.format(code=code, line=codes[code])))
                row = None
            else:
                codes[code] = line
        if row is not None:
            rows.append(row)
    if codes:
        listed = list(codes)
        for i in range(0, len(listed), 2000):
            for code in Dossier.objects.filter(code__in=listed[i:i + 2000]).values_list("code", flat=True):
                errors.append(located(codes[code], "code", MSG_CODE_EXISTS.format(code=code)))
    if errors:
        errors.sort(key=line_of)
        raise HistoryImportError(errors)
    return rows


# --- the replay plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedAction:
    action: str  # "register" or an Action value
    at: datetime


def history_plan(row: HistoryRow) -> list[PlannedAction]:
    """The actions to replay for a row, in order (module docstring: hand-over, ties). Before an
    approval or a stop the executors mark the processing steps the old system kept no record
    of as not needed (:func:`dossiers.core.steps_to_settle`)."""
    plan = [PlannedAction("register", row.received_at)]
    if not row.on_the_spot or row.supplements or row.transfers:
        # the counter's hand-over; a "4 tại chỗ" dossier resolved at the desk has none
        plan.append(PlannedAction(Action.TRANSFER, row.received_at))
    # Supplements are ordered and disjoint (validated); each hand-off goes after the pause
    # actions before it and after a resume at the same instant, before a request at it.
    transfers = list(row.transfers)
    for start, end in row.supplements:
        for when, action in ((start, Action.REQUEST_SUPPLEMENT), (end, Action.RESUME)):
            if when is None:
                continue
            while transfers and (transfers[0] < when or (transfers[0] == when and action == Action.REQUEST_SUPPLEMENT)):
                plan.append(PlannedAction(Action.TRANSFER, transfers.pop(0)))
            plan.append(PlannedAction(action, when))
    plan.extend(PlannedAction(Action.TRANSFER, t) for t in transfers)
    if row.outcome:
        plan.append(PlannedAction(_OUTCOME_ACTIONS[row.outcome], row.resolved_at))
    if row.returned_at is not None:
        plan.append(PlannedAction(Action.RETURN_RESULT, row.returned_at))
    return plan


_OUTCOME_ACTIONS = {core.APPROVED: Action.APPROVE, core.REFUSED: Action.REFUSE, core.WITHDRAWN: Action.WITHDRAW,
                    core.STOPPED: Action.STOP}
#: the inputs of each replayed action (imports carry no officer, note or reason of their own)
_PARAMS = {
    Action.TRANSFER: {"note": ""},
    Action.REQUEST_SUPPLEMENT: {"reason": SUPPLEMENT_REASON, "documents": ""},
    Action.RESUME: {"note": ""},
    Action.APPROVE: {"note": ""},
    Action.REFUSE: {"reason": REFUSE_REASON},
    Action.WITHDRAW: {"reason": WITHDRAW_REASON},
    Action.STOP: {"reason": STOP_REASON},
    Action.RETURN_RESULT: {"return_channel": ReturnChannel.COUNTER.value, "note": ""},
}


# --- executor 1: the live services, one call per action -----------------------------------------


def _replay_via_services(row: HistoryRow, *, code: str | None) -> tuple[Dossier, int]:
    dossier = None
    events = 0
    for planned in history_plan(row):
        a, when = planned.action, planned.at
        if a == "register":
            dossier = lifecycle.dossier_register(
                procedure=row.procedure, receiving_unit=row.receiving_unit, channel=row.channel,
                applicant={"name": row.applicant_name}, actor=None, received_at=when,
                resolving_unit=row.resolving_unit, on_the_spot=row.on_the_spot, code=code, lead_checked=True,
            )
            events += 1
            continue
        if a in (Action.APPROVE, Action.STOP):
            for order in core.steps_to_settle(lifecycle.case_of(dossier), a):
                dossier = lifecycle.dossier_transition(
                    dossier=dossier, action=Action.SKIP_STEP, actor=None, at=when,
                    params={"step": order, "reason": SKIP_REASON},
                )
                events += 1
        dossier = lifecycle.dossier_transition(dossier=dossier, action=a, actor=None, at=when, params=_PARAMS[a])
        events += 1
    return dossier, events


# --- executor 2: the same plan and the same core, in memory, written in bulk ---------------------


class _Record:
    """A row to be written: attributes named like the model's ``attname``; a field not set
    gets the model field's default when written (as ``Model()`` would give it)."""

    def __init__(self, **values):
        self.__dict__.update(values)


class _FastReplay:
    """One row's dossier, steps, pauses and events built in memory by ``dossiers.core`` (the
    rules the live services run), with ``actor=None``: each event records the unit D17 names.
    Foreign keys are held as ids (``*_id``)."""

    __slots__ = ("row", "cal", "code", "template", "case", "events")

    def __init__(self, row: HistoryRow, *, code: str, cal: wcal.WorkCalendar, template: list):
        self.row = row
        self.cal = cal
        self.code = code
        self.template = template
        self.events: list[_Record] = []
        self.case: core.Case | None = None

    @property
    def d(self) -> _Record:
        return self.case.d

    @property
    def steps(self) -> list:
        return self.case.steps

    @property
    def pauses(self) -> list:
        return self.case.pauses

    def run(self) -> None:
        for planned in history_plan(self.row):
            if planned.action == "register":
                self._register(planned.at)
                continue
            if planned.action in (Action.APPROVE, Action.STOP):
                for order in core.steps_to_settle(self.case, planned.action):
                    self._act(Action.SKIP_STEP, planned.at, {"step": order, "reason": SKIP_REASON})
            self._act(planned.action, planned.at, _PARAMS[planned.action])

    def _event(self, **values) -> None:
        self.events.append(_Record(dossier=self.d, actor_id=None, actor_name="", **values))

    def _register(self, received_at: datetime) -> None:
        """What ``lifecycle.dossier_register`` writes for an imported row."""
        row, procedure = self.row, self.row.procedure
        cleaned = lifecycle.applicant_validate({"name": row.applicant_name})
        d = _Record(
            code=self.code, procedure_id=procedure.pk, receiving_unit_id=row.receiving_unit.pk, counter_id=None,
            resolving_unit_id=row.resolving_unit.pk, current_unit_id=row.receiving_unit.pk, channel=row.channel,
            return_channel=ReturnChannel.COUNTER.value, state=DossierState.RECEIVED.value, on_the_spot=row.on_the_spot,
            applicant_name=cleaned["name"], applicant_id_number=cleaned["id_number"], applicant_phone=cleaned["phone"],
            applicant_address=cleaned["address"], applicant_email=cleaned["email"], request_content=procedure.name,
            documents=[{"name": name, "originals": 0, "copies": 1} for name in procedure.document_list],
            copies=1, submitted_at=received_at, processing_time=procedure.processing_time,
            time_unit=procedure.time_unit, created_by_id=None, received_at=received_at, version=0,
            supplement_count=0, assigned_to_id=None, paused_at=None, paused_on=None, apologized_at=None,
            handover_due_at=core.handover_due_at(received_at, self.cal), handed_over_at=None,
        )
        steps = [
            _Record(dossier=d, state=core.WAITING, started_at=None, finished_at=None, assigned_to_id=None,
                    classification="", **step)
            for step in core.plan_steps(
                self.template or (), receiving_unit_id=d.receiving_unit_id, resolving_unit_id=d.resolving_unit_id,
                processing_time=d.processing_time, default_name=lifecycle.DEFAULT_STEP_NAME,
            )
        ]
        self.case = core.Case(d=d, steps=steps, pauses=[], make_pause=lambda **values: _Record(dossier=d, **values))
        core.apply_deadline(self.case, self.cal)
        core.start_reception(self.case, received_at)
        self._event(at=received_at, action="receive", from_state="", to_state=d.state, unit_id=row.receiving_unit.pk,
                    to_unit_id=None, note="", due_date=d.due_date, data={"channel": row.channel, "due_text": d.due_text})

    def _act(self, action: str, at: datetime, params: dict) -> None:
        """What ``lifecycle.dossier_transition`` does, in memory."""
        effect = core.act(action, self.case, core.Context(at=at, cal=self.cal, params=params))
        self._event(at=at, action=action, from_state=effect.from_state, to_state=effect.to_state,
                    unit_id=effect.unit_id, to_unit_id=effect.to_unit_id, note=effect.note, due_date=self.d.due_date,
                    data=effect.data)


# --- writing the records --------------------------------------------------------------------------


class _Writer:
    """Writes records in bulk: PostgreSQL ``COPY`` (ids of dossiers taken from their sequence
    first so that the children can point at them); elsewhere ``bulk_create``.

    A field a record does not carry gets the model field's default, ``auto_now``/``auto_now_add``
    fields get the import instant, as ``Model()`` + ``save()`` would.
    """

    _MISSING = object()

    def __init__(self, now: datetime):
        self.now = now
        self.copy = False
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            with connection.connection.cursor() as raw:
                self.copy = hasattr(raw, "copy")  # psycopg 3; psycopg2 has no cursor.copy()
        self._specs: dict[tuple[type, bool], list] = {}

    def _spec(self, model, *, with_id: bool) -> list[tuple]:
        """(field, attname, related name or None, default, auto_now, is_json) per column."""
        key = (model, with_id)
        spec = self._specs.get(key)
        if spec is None:
            from django.db.models import JSONField

            spec = []
            for f in model._meta.concrete_fields:
                if f.primary_key and not with_id:
                    continue
                auto_now = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                spec.append((f, f.attname, f.name if f.is_relation else None, f.get_default(), auto_now,
                             isinstance(f, JSONField)))
            self._specs[key] = spec
        return spec

    def _values(self, record, spec, *, dump_json: bool) -> list:
        missing = self._MISSING
        get = record.__dict__.get
        values = []
        for _f, attname, related, default, auto_now, is_json in spec:
            if auto_now:
                values.append(self.now)
                continue
            if isinstance(_f, DerivedCharField):  # COPY bypasses pre_save: the search columns
                values.append(_f.derive(get(_f.source) or "")[: _f.max_length])
                continue
            v = get(attname, missing)
            if v is missing:
                obj = get(related, missing) if related else missing
                v = obj.id if obj is not missing and obj is not None else (None if related else default)
            if is_json and dump_json:
                v = json.dumps(v)
            values.append(v)
        return values

    def write(self, dossiers: list[_Record], children: list[tuple[type, list[_Record]]]) -> None:
        if self.copy:
            self._write_postgres(dossiers, children)
        else:
            self._write_orm(dossiers, children)

    def _write_postgres(self, dossiers, children) -> None:
        table = Dossier._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(dossiers)]
            )
            for record, (new_id,) in zip(dossiers, cursor.fetchall()):
                record.id = new_id
            self._copy(cursor, Dossier, dossiers, with_id=True)
            for model, records in children:
                self._copy(cursor, model, records, with_id=False)

    def _copy(self, cursor, model, records, *, with_id: bool) -> None:
        if not records:
            return
        spec = self._spec(model, with_id=with_id)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f, *_rest in spec)
        sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for record in records:
                copy.write_row(self._values(record, spec, dump_json=True))

    def _write_orm(self, dossiers, children) -> None:
        spec = self._spec(Dossier, with_id=False)
        made = [Dossier(**{attname: v for (_f, attname, *_r), v in zip(spec, self._values(r, spec, dump_json=False))})
                for r in dossiers]
        Dossier.objects.bulk_create(made, batch_size=500)
        for record, obj in zip(dossiers, made):
            record.id = obj.pk
        for model, records in children:
            spec = self._spec(model, with_id=False)
            objs = [model(**{attname: v for (_f, attname, *_r), v in zip(spec, self._values(r, spec, dump_json=False))})
                    for r in records]
            model.objects.bulk_create(objs, batch_size=1000)


# --- codes (D15) ---------------------------------------------------------------------------------

_CODE_RE_CACHE: dict[str, re.Pattern] = {}


def _code_day_number(code: str, unit: Unit):
    """(day, number) when the code follows the unit's pattern (lifecycle._sequence_note_imported);
    None when it does not; False when it does but its date part is not a date."""
    pattern = _CODE_RE_CACHE.get(unit.code)
    if pattern is None:
        pattern = _CODE_RE_CACHE[unit.code] = re.compile(re.escape(unit.code) + r"-(\d{6})-(\d{4,})")
    m = pattern.fullmatch(code)
    if not m:
        return None
    ymd = m.group(1)
    try:
        yy = int(ymd[:2])  # as strptime's %y, which lifecycle._sequence_note_imported uses
        day = date(2000 + yy if yy < 69 else 1900 + yy, int(ymd[2:4]), int(ymd[4:]))
    except ValueError:
        return False
    return day, int(m.group(2))


class _Sequences:
    """The (unit, day) sequences touched by an import: created if missing and locked up front
    (a concurrent intake on one of those days waits for the import), advanced in memory, saved
    once. Same numbers as ``dossier_code_next`` / ``_sequence_note_imported`` called row by row
    after the file's explicit codes were noted.
    """

    def __init__(self, keys: set[tuple[int, Any]]):
        DossierSequence.objects.bulk_create(
            [DossierSequence(unit_id=u, day=day, last=0) for u, day in sorted(keys)], ignore_conflicts=True,
            batch_size=1000,
        )
        self.rows: dict[tuple[int, Any], DossierSequence] = {}
        by_unit: dict[int, list] = {}
        for unit_id, day in keys:
            by_unit.setdefault(unit_id, []).append(day)
        for unit_id, days in sorted(by_unit.items()):
            days.sort()
            for i in range(0, len(days), 1000):
                for seq in DossierSequence.objects.select_for_update().filter(unit_id=unit_id, day__in=days[i:i + 1000]):
                    self.rows[(unit_id, seq.day)] = seq
        self.last = {key: seq.last for key, seq in self.rows.items()}

    def note(self, unit_id: int, day, number: int) -> None:
        key = (unit_id, day)
        if self.last[key] < number:
            self.last[key] = number

    def next(self, unit: Unit, received_at: datetime) -> str:
        day = timezone.localtime(received_at).date()
        key = (unit.pk, day)
        n = self.last[key] + 1
        self.last[key] = n
        return f"{unit.code}-{day:%y%m%d}-{n:04d}"

    def save(self) -> None:
        changed = []
        for key, seq in self.rows.items():
            if seq.last != self.last[key]:
                seq.last = self.last[key]
                changed.append(seq)
        DossierSequence.objects.bulk_update(changed, ["last"], batch_size=1000)


# --- the service ---------------------------------------------------------------------------------


def dossier_history_import(
    *,
    stream: Iterable[str] | None = None,
    rows: list[HistoryRow] | None = None,
    via_services: bool = False,
    chunk_size: int = 2000,
    stdout: IO[str] | None = None,
) -> HistoryImportResult:
    """Import a dossier history file (or already parsed rows) in one transaction.

    `via_services` replays each row through the lifecycle services one call at a time (the
    reference); the default writes the same rows in bulk (module docstring). Raises
    :class:`HistoryImportError` (nothing written) when a row is invalid.
    """
    if rows is None:
        rows = dossier_history_parse(stream=stream)
    with transaction.atomic():
        if via_services:
            result = _import_via_services(rows, stdout=stdout)
        else:
            result = _import_fast(rows, chunk_size=chunk_size, stdout=stdout)
    return result


def _progress(stdout, done: int, total: int) -> None:
    if stdout is not None:
        stdout.write(f"  {done}/{total} hồ sơ\n")
        stdout.flush()


def _import_via_services(rows: list[HistoryRow], *, stdout) -> HistoryImportResult:
    for row in rows:
        if row.code:
            lifecycle._sequence_note_imported(code=row.code, unit=row.receiving_unit)
    events = 0
    generated = 0
    for i, row in enumerate(rows, start=1):
        try:
            _dossier, n = _replay_via_services(row, code=row.code or None)
        except DossierError as exc:
            raise HistoryImportError([located(row.line, _column_of(exc), exc.message)]) from exc
        events += n
        generated += not row.code
        if i % 1000 == 0:
            _progress(stdout, i, len(rows))
    return HistoryImportResult(dossiers=len(rows), events=events, generated_codes=generated)


def _column_of(exc: DossierError) -> str:
    for key in exc.errors:
        if key in COLUMNS:
            return key
        if key == "procedure":
            return "procedure_code"
        if key == "receiving_unit":
            return "receiving_unit_code"
    return "-"


def _import_fast(rows: list[HistoryRow], *, chunk_size: int, stdout) -> HistoryImportResult:
    cal = calendar_get()
    catalogue = _Catalogue()
    # Sequences: the (unit, day) of every generated code and of every explicit code that
    # follows its receiving unit's pattern.
    noted: list[tuple[int, Any, int]] = []
    keys: set[tuple[int, Any]] = set()
    for row in rows:
        if row.code:
            hit = _code_day_number(row.code, row.receiving_unit)
            if hit:
                noted.append((row.receiving_unit.pk, hit[0], hit[1]))
                keys.add((row.receiving_unit.pk, hit[0]))
        else:
            keys.add((row.receiving_unit.pk, timezone.localtime(row.received_at).date()))
    sequences = _Sequences(keys)
    for unit_id, day, number in noted:
        sequences.note(unit_id, day, number)
    explicit = {row.code: row.line for row in rows if row.code}
    codes: list[str] = []
    generated: dict[str, int] = {}
    errors: list[str] = []
    for row in rows:
        if row.code:
            codes.append(row.code)
            continue
        code = sequences.next(row.receiving_unit, row.received_at)
        if code in explicit:  # an explicit code of another unit's pattern (D15 keeps it)
            errors.append(located(row.line, "code", MSG_CODE_EXISTS.format(code=code)))
        generated[code] = row.line
        codes.append(code)
    if generated:
        listed = list(generated)
        for i in range(0, len(listed), 2000):
            for code in Dossier.objects.filter(code__in=listed[i:i + 2000]).values_list("code", flat=True):
                errors.append(located(generated[code], "code", MSG_CODE_EXISTS.format(code=code)))
    if errors:
        raise HistoryImportError(sorted(errors, key=line_of))

    events = 0
    writer = _Writer(timezone.now())
    for start in range(0, len(rows), chunk_size):
        replays = []
        for row, code in zip(rows[start:start + chunk_size], codes[start:start + chunk_size]):
            replay = _FastReplay(row, code=code, cal=cal, template=catalogue.templates.get(row.procedure.pk))
            try:
                replay.run()
            except (DossierError, ValueError) as exc:
                raise HistoryImportError([located(row.line, "-", getattr(exc, "message", str(exc)))]) from exc
            replays.append(replay)
        chunk_events = [e for r in replays for e in r.events]
        writer.write([r.d for r in replays], [
            (DossierStep, [s for r in replays for s in r.steps]),
            (DossierPause, [p for r in replays for p in r.pauses]),
            (DossierEvent, chunk_events),
        ])
        events += len(chunk_events)
        _progress(stdout, min(start + chunk_size, len(rows)), len(rows))
    sequences.save()
    return HistoryImportResult(dossiers=len(rows), events=events, generated_codes=len(generated))


def dossier_history_import_text(text: str, **kwargs) -> HistoryImportResult:
    """Convenience for tests and the shell: import CSV given as a string."""
    return dossier_history_import(stream=io.StringIO(text), **kwargs)
