"""Demo dossier histories: realistic work, and realistic history rows for tests.

:func:`demo_dossiers_load` fills a demo database (after ``catalogue.demo_load``) with about a
thousand dossiers received over the last 90 days, and, from 1/7/2025 on, as many again in the
spring of 2025 before the reorganisation (:func:`demo_windows`), driven through the lifecycle services with
their own timestamps and the demo staff as actors, so that every page, worklist and report has
something true to show: every outcome (approved and returned, refused, withdrawn), dossiers
waiting for a supplement and resumed ones, apologies (on time and late), overdue ones, "4 tại
chỗ", the three channels, and liên thông procedures handed from agency to agency.

:func:`history_rows_random` produces rows in the ``import_dossiers`` format from the same
scenario generator (used by the import benchmark and the import tests).

Everything is deterministic for a given seed and "today". Receipt volumes and mixes are
plausible for a province like Hòa Bình (domain.md §11: ~80% online, >99% on time, a little
"4 tại chỗ"); they are demo data, not statistics.
"""
from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO

from django.db import transaction
from django.utils import timezone

from dossiers import calendar as wcal
from demo.catalogue import REFORM_DAY, demo_catalogue_as_of
from dossiers.models import Channel, Dossier, Procedure, ProcedureStep, Reorganisation, ReturnChannel, StaffProfile, Unit
from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER, role_group_name
from dossiers.selectors import calendar_get
from dossiers.workflow import OPEN_STATES, Action, DossierState, action_allowed

LOCAL_TZ = wcal.LOCAL_TZ
DEMO_SEED = 20220315
DEMO_DAYS = 90
#: the first receipt of the demo's spring of 2025 (regulatory Q2/2025 begins on 15/3)
PRE_REFORM_FIRST = date(2025, 3, 15)

# --- people -----------------------------------------------------------------------------------

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Bùi", "Đinh", "Quách", "Xa", "Hà", "Đỗ", "Vũ", "Đặng", "Ngô"]
_MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Công", "Hữu"]
_MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Kim", "Hồng"]
_GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hùng", "Nam", "Tuấn", "Sơn", "Quang", "Hải", "Long", "Thắng", "Khánh"]
_GIVEN_F = ["Hoa", "Lan", "Mai", "Hương", "Thảo", "Linh", "Dung", "Hạnh", "Yến", "Trang", "Nga", "Phương", "Hằng"]
_PLACES = ["phường Phương Lâm", "phường Tân Thịnh", "phường Thịnh Lang", "xã Yên Mông", "thị trấn Lương Sơn",
           "xã Lâm Sơn", "xã Cư Yên", "thị trấn Bo", "xã Vĩnh Đồng", "xã Tú Sơn"]

SUPPLEMENT_REASONS = [
    "Thiếu bản sao giấy tờ tùy thân có chứng thực",
    "Tờ khai chưa ghi đầy đủ thông tin, đề nghị bổ sung",
    "Bản vẽ chưa đúng tỷ lệ theo quy định",
    "Thiếu văn bản ủy quyền của người nộp hồ sơ",
    "Giấy tờ về quyền sử dụng đất chưa thể hiện đủ thông tin thửa đất",
]
REFUSE_REASONS = [
    "Hồ sơ không đủ điều kiện theo quy định",
    "Người nộp không bổ sung hồ sơ theo yêu cầu",
    "Thửa đất đang có tranh chấp, chưa đủ điều kiện giải quyết",
]
STOP_REASONS = [
    "Người nộp không bổ sung hồ sơ trong thời hạn theo Phiếu yêu cầu bổ sung",
    "Người nộp đề nghị dừng giải quyết để hoàn thiện hồ sơ",
]
WITHDRAW_REASONS = ["Người nộp có đơn xin rút hồ sơ", "Người nộp đề nghị dừng giải quyết để điều chỉnh nhu cầu"]
APOLOGY_REASONS = [
    "Cần xác minh thêm thông tin với cơ quan liên quan",
    "Chờ kết quả kiểm tra thực địa",
    "Cơ quan phối hợp chưa trả lời đúng hạn",
]


def _person(rng: random.Random) -> dict[str, str]:
    female = rng.random() < 0.5
    name = " ".join([
        rng.choice(_FAMILY), rng.choice(_MIDDLE_F if female else _MIDDLE_M), rng.choice(_GIVEN_F if female else _GIVEN_M),
    ])
    born = rng.randint(1950, 2004)
    century = (1 if female else 0) + (2 if born >= 2000 else 0)
    id_number = f"017{century}{born % 100:02d}{rng.randint(0, 999999):06d}"
    return {
        "name": name,
        "id_number": id_number,
        "phone": f"09{rng.randint(0, 99_999_999):08d}",
        "address": f"Tổ {rng.randint(1, 20)}, {rng.choice(_PLACES)}, tỉnh Hòa Bình",
    }


# --- where a dossier is received ---------------------------------------------------------------


class _Organisation:
    """Receiving units by procedure: the province centre for province-level procedures, the
    district's Bộ phận Tiếp nhận và Trả kết quả for district ones, the commune itself."""

    def __init__(self) -> None:
        self.units = {u.pk: u for u in Unit.objects.all()}
        self.centres = [u for u in self.units.values() if u.kind == Unit.Kind.SERVICE_CENTRE]

    def level_of(self, procedure: Procedure) -> str:
        return procedure.resolving_level or self.units[procedure.resolving_unit_id].level

    def receipt(self, procedure: Procedure, day: date, dice: float) -> tuple[Unit, Unit | None]:
        """(receiving unit, competent unit or None for the procedure's own). A level procedure
        (D19) is taken in at one of the level's People's Committees valid on `day`, chosen by
        `dice`, and one time in eight at the provincial centre for that commune (receipt
        regardless of boundary, NĐ 118/2025)."""
        if not procedure.resolving_level:
            return self.receiving_unit(procedure), None
        valid = sorted((u for u in self.units.values() if u.level == procedure.resolving_level
                        and u.kind == Unit.Kind.PEOPLE_COMMITTEE and u.is_valid_on(day)), key=lambda u: u.code)
        competent = valid[int(dice * 8 * len(valid)) % len(valid)]
        centres = sorted((c for c in self.centres if c.level == Unit.Level.PROVINCE and c.is_valid_on(day)),
                         key=lambda u: u.code)
        if centres and int(dice * 8) == 0:
            return centres[0], competent
        return competent, competent

    def receiving_unit(self, procedure: Procedure) -> Unit:
        resolving = self.units[procedure.resolving_unit_id]
        if resolving.level == Unit.Level.COMMUNE:
            return resolving
        same_level = [c for c in self.centres if c.level == resolving.level]
        if not same_level:
            return resolving
        # the centre under the same people's committee, else the same place, else any
        chain = set()
        u = resolving
        while u is not None and u.pk not in chain:
            chain.add(u.pk)
            u = self.units.get(u.parent_id)
        for c in same_level:
            if c.parent_id in chain or c.parent_id == resolving.pk:
                return c
        for c in same_level:
            if c.place and c.place == resolving.place:
                return c
        return same_level[0]


# --- scenarios -----------------------------------------------------------------------------------


@dataclass
class Scenario:
    """The timestamps of one dossier's life (only what happened before `now`)."""

    received_at: datetime
    channel: str
    on_the_spot: bool = False
    supplements: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    transfers: list[datetime] = field(default_factory=list)
    outcome: str = ""
    resolved_at: datetime | None = None
    returned_at: datetime | None = None


def _office_time(rng: random.Random, day: date) -> datetime:
    minutes = rng.choice([rng.randint(7 * 60 + 30, 11 * 60 + 29), rng.randint(13 * 60, 16 * 60 + 59)])
    return datetime.combine(day, time(minutes // 60, minutes % 60), LOCAL_TZ)


def _receipt_instant(rng: random.Random, day: date, channel: str, cal: wcal.WorkCalendar) -> datetime:
    if channel == Channel.ONLINE and (not cal.is_working_day(day) or rng.random() < 0.25):
        minutes = rng.randint(0, 24 * 60 - 1)
        return datetime.combine(day, time(minutes // 60, minutes % 60), LOCAL_TZ)
    return _office_time(rng, day)


def _channel(rng: random.Random, procedure: Procedure) -> str:
    x = rng.random()
    if procedure.online_level:
        return Channel.ONLINE if x < 0.7 else Channel.DIRECT if x < 0.95 else Channel.POSTAL
    return Channel.DIRECT if x < 0.9 else Channel.POSTAL


def _office_moment(cal: wcal.WorkCalendar, dt: datetime) -> datetime:
    """`dt` if staff are at work then, else 08:00 of the next working morning."""
    day, t = dt.date(), dt.timetz().replace(tzinfo=None)
    if cal.is_working_day(day) and time(7, 30) <= t < time(17, 0):
        return dt
    if cal.is_working_day(day) and t < time(7, 30):
        return datetime.combine(day, time(8, 0), LOCAL_TZ)
    return datetime.combine(cal.working_day_on_or_after(day + timedelta(days=1)), time(8, 0), LOCAL_TZ)


def _to_working_time(cal: wcal.WorkCalendar, dt: datetime, rng: random.Random) -> datetime:
    day = dt.date()
    if cal.is_working_day(day):
        return dt
    return _office_time(rng, cal.working_day_on_or_after(day))


def scenario_random(
    rng: random.Random, *, procedure: Procedure, steps: int, received_at: datetime, channel: str,
    now: datetime, cal: wcal.WorkCalendar,
) -> Scenario:
    """A plausible life for a dossier received at `received_at`, cut at `now`.

    About 80% resolved early, 12% on the due date, 8% late (before pauses), and 3% stuck (not
    resolved at all: overdue once their due date passes); 12% with a supplement request (some
    twice); 90% approved, 3% refused, 7% withdrawn; 85% of results handed over; half of the
    direct "4 tại chỗ" procedures done in one sitting.
    """
    R = received_at
    sc = Scenario(received_at=R, channel=channel)
    if procedure.on_the_spot and channel == Channel.DIRECT and rng.random() < 0.5 and cal.is_working_day(R.date()):
        E = R + timedelta(minutes=rng.randint(10, 50))
        sc.on_the_spot = True
        if E <= now:
            sc.outcome, sc.resolved_at, sc.returned_at = "approved", E, E
        return sc

    n = procedure.processing_time
    x = rng.random()
    if procedure.time_unit == Procedure.TimeUnit.WORKING_HOURS:
        factor = rng.uniform(0.2, 0.9) if x < 0.8 else rng.uniform(0.95, 1.0) if x < 0.92 else rng.uniform(1.2, 3.0)
        E = cal.add_office_hours(R, max(n * factor, 0.25))
    else:
        receipt = cal.working_day_on_or_after(R.date())
        if procedure.time_unit == Procedure.TimeUnit.CALENDAR_DAYS:
            due = cal.working_day_on_or_after(R.date() + timedelta(days=n))
            k_due = cal.working_days_between(receipt, due)
        else:
            k_due = n
        if x < 0.8:
            k = rng.randint((k_due * 3) // 10, max(k_due - 1, 0))  # early, not absurdly so
        elif x < 0.92:
            k = k_due
        else:
            k = k_due + rng.randint(1, 6)
        E = _office_time(rng, cal.add_working_days(receipt, k))
        if E <= R:
            E = _office_moment(cal, R + timedelta(minutes=rng.randint(20, 150)))
    if rng.random() < 0.03:
        E = max(E, now) + timedelta(days=365)  # stuck: still open at `now`

    # Supplements: the clock stops while the applicant completes the dossier.
    pauses: list[tuple[datetime, datetime]] = []
    if procedure.time_unit != Procedure.TimeUnit.WORKING_HOURS and rng.random() < 0.12:
        count = 2 if rng.random() < 0.15 else 1
        start = R
        for _ in range(count):
            P = _office_moment(cal, start + (E - start) * rng.uniform(0.1, 0.6))
            length = timedelta(days=rng.randint(1, 8), hours=rng.randint(0, 6))
            Q = _office_moment(cal, P + length)
            E = _to_working_time(cal, E + (Q - P), rng)
            if E <= Q:
                E = Q + timedelta(hours=2)
            pauses.append((P, Q))
            start = Q

    # Liên thông hand-offs, spread over the processing time, never inside a pause.
    transfers = []
    for i in range(1, steps):
        t = R + (E - R) * (i / steps)
        snapped = _office_moment(cal, t)
        t = snapped if snapped < E else t
        for P, Q in pauses:
            if P < t < Q:
                t = Q
        transfers.append(t)
    transfers.sort()

    # Cut at now.
    for P, Q in pauses:
        if P > now:
            break
        if Q > now:
            sc.supplements.append((P, None))
            break
        sc.supplements.append((P, Q))
    open_from = sc.supplements[-1][0] if sc.supplements and sc.supplements[-1][1] is None else None
    sc.transfers = [t for t in transfers if t <= now and (open_from is None or t <= open_from)]
    if E <= now and open_from is None:
        y = rng.random()
        sc.outcome = "approved" if y < 0.90 else "refused" if y < 0.93 else "withdrawn"
        sc.resolved_at = E
        if sc.outcome != "withdrawn" and rng.random() < 0.85:
            returned = _office_time(rng, cal.add_working_days(E.date(), rng.randint(0, 3)))
            returned = max(returned, E + timedelta(minutes=5))
            if returned <= now:
                sc.returned_at = returned
    return sc


def _procedure_weights(procedures: list[Procedure], units: dict[int, Unit]) -> list[float]:
    level_weight = {Unit.Level.COMMUNE: 6.0, Unit.Level.DISTRICT: 3.0, Unit.Level.PROVINCE: 2.0, Unit.Level.MINISTRY: 1.0}
    return [level_weight.get(p.resolving_level or units[p.resolving_unit_id].level, 1.0) * (2.0 if p.on_the_spot else 1.0)
            for p in procedures]


# --- rows for import_dossiers ----------------------------------------------------------------------


def _processing_step_counts(procedures: list[Procedure]) -> dict[int, int]:
    """How many processing steps a dossier of each procedure gets (``dossiers.core.plan_steps``):
    a history may hand off between them, one time less."""
    from dossiers import core
    from dossiers.services.lifecycle import template_steps

    templates: dict[int, list] = {}
    for t in ProcedureStep.objects.select_related("unit").order_by("procedure_id", "order"):
        templates.setdefault(t.procedure_id, []).append(t)
    return {p.pk: core.processing_count(template_steps(templates.get(p.pk, [])), p.resolving_unit_id) for p in procedures}


def _iso(dt: datetime | None) -> str:
    return dt.astimezone(LOCAL_TZ).isoformat(timespec="seconds") if dt else ""


def history_rows_random(
    *, count: int, start: date, end: date, seed: int = 2022, now: datetime | None = None, with_codes: bool = True,
    procedures: list[Procedure] | None = None,
) -> list[dict[str, str]]:
    """`count` history rows (``import_dossiers`` columns) received between `start` and `end`
    over the catalogue in the database, in receipt order, with old-system codes when
    `with_codes` (numbered per receiving unit and day)."""
    rng = random.Random(seed)
    cal = calendar_get()
    now = now or timezone.now()
    org = _Organisation()
    procedures = procedures or list(Procedure.objects.filter(is_active=True).order_by("code"))
    weights = _procedure_weights(procedures, org.units)
    step_counts = _processing_step_counts(procedures)
    days = (end - start).days + 1
    picks = []
    for _ in range(count):
        p = rng.choices(procedures, weights)[0]
        channel = _channel(rng, p)
        day = start + timedelta(days=rng.randrange(days))
        for _retry in range(20):  # a procedure of a unit that did not exist that day: another one
            if not p.resolving_unit_id or org.units[p.resolving_unit_id].is_valid_on(day):
                break
            p = rng.choices(procedures, weights)[0]
        if channel != Channel.ONLINE and not cal.is_working_day(day):
            day = cal.working_day_on_or_after(day)
            if day > end:
                day = cal.previous_working_day(day)
        R = _receipt_instant(rng, day, channel, cal)
        if R > now:
            R = now - timedelta(hours=rng.randint(1, 48))
        picks.append((R, p, channel, rng.random()))
    picks.sort(key=lambda item: item[0])
    numbers: dict[tuple[int, date], int] = {}
    rows = []
    for R, p, channel, tie in picks:
        unit, competent = org.receipt(p, R.astimezone(LOCAL_TZ).date(), tie)
        sc = scenario_random(rng, procedure=p, steps=step_counts.get(p.pk, 1), received_at=R, channel=channel,
                             now=now, cal=cal)
        if sc.on_the_spot and competent is not None:
            unit = competent  # "4 tại chỗ": at the competent unit's own counter
        code = ""
        if with_codes:
            key = (unit.pk, R.date())
            numbers[key] = numbers.get(key, 0) + 1
            code = f"{unit.code}-{R:%y%m%d}-{numbers[key]:04d}"
        rows.append({
            "code": code,
            "procedure_code": p.code,
            "receiving_unit_code": unit.code,
            "resolving_unit_code": competent.code if competent is not None and competent.pk != unit.pk else "",
            "channel": channel,
            "received_at": _iso(R),
            "supplements": ";".join(f"{_iso(a)}/{_iso(b)}" for a, b in sc.supplements),
            "transfers": ";".join(_iso(t) for t in sc.transfers),
            "outcome": sc.outcome,
            "resolved_at": _iso(sc.resolved_at),
            "returned_at": _iso(sc.returned_at),
            "on_the_spot": "1" if sc.on_the_spot else "",
            "applicant_name": _person(rng)["name"],
        })
    return rows


def history_csv_write(rows: Iterable[dict[str, str]], fh: IO[str]) -> None:
    from dossiers.services.history_import import COLUMNS

    writer = csv.DictWriter(fh, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


# --- the demo quarter through the services --------------------------------------------------------


class _Staff:
    """Demo staff by unit and role (roles are groups); None where a unit has nobody."""

    def __init__(self) -> None:
        self.by_unit: dict[tuple[int, str], list] = {}
        names = {role_group_name(r): r for r in (COUNTER_CLERK, OFFICER, LEADER)}
        for profile in StaffProfile.objects.select_related("user").prefetch_related("user__groups"):
            for group in profile.user.groups.all():
                role = names.get(group.name)
                if role:
                    self.by_unit.setdefault((profile.unit_id, role), []).append(profile.user)
        for users in self.by_unit.values():
            users.sort(key=lambda u: u.username)

    def get(self, unit_id: int | None, *roles: str):
        for role in roles:
            users = self.by_unit.get((unit_id, role))
            if users:
                return users[0]
        return None


@dataclass
class DemoHistoryResult:
    dossiers: int = 0
    moved: int = 0
    skipped: bool = False
    by_state: dict[str, int] = field(default_factory=dict)


def demo_plans(*, today: date, procedures: list[Procedure] | None = None, first: date | None = None,
               now: datetime | None = None, seed: int = DEMO_SEED):
    """The seeded random generator, "now" and the demo dossiers to create (receipt instant,
    procedure, scenario, applicant, dice), in receipt order, for the days `first` (default: the
    90 days ending `today`) to `today`, each life cut at `now` (default: `today` 16:30, or the
    present moment if earlier): the same for the same catalogue and arguments."""
    rng = random.Random(seed)
    cal = calendar_get()
    procedures = procedures or list(Procedure.objects.filter(is_active=True).order_by("code"))
    now = now or min(timezone.now(), datetime.combine(today, time(16, 30), LOCAL_TZ))
    org = _Organisation()
    weights = _procedure_weights(procedures, org.units)
    steps_of = _processing_step_counts(procedures)
    plans = []
    first = first or today - timedelta(days=DEMO_DAYS - 1)
    for offset in range((today - first).days + 1):
        day = first + timedelta(days=offset)
        working = cal.is_working_day(day)
        for _ in range(rng.randint(9, 16) if working else rng.randint(0, 3)):
            p = rng.choices(procedures, weights)[0]
            channel = _channel(rng, p) if working else Channel.ONLINE
            R = _receipt_instant(rng, day, channel, cal)
            if R > now:
                continue
            sc = scenario_random(rng, procedure=p, steps=steps_of.get(p.pk, 1), received_at=R, channel=channel,
                                 now=now, cal=cal)
            plans.append((R, p, sc, _person(rng), rng.random()))
    plans.sort(key=lambda item: item[0])
    return rng, now, plans


@dataclass(frozen=True)
class DemoWindow:
    """Days of demo receipts under one catalogue: lives are cut at `now`."""

    first: date
    last: date
    now: datetime | None
    before_reform: bool


def demo_windows(today: date) -> list[DemoWindow]:
    """The demo's windows of receipts. Before 1/7/2025: the 90 days ending `today`. From then
    on, two: the spring of 2025 under the three-level catalogue (15/3–30/6/2025, regulatory Q2
    and calendar Q2, every life cut at the reorganisation, then moved and finished by the
    successors), and the 90 days ending `today` (none before 1/7/2025)."""
    last_90 = today - timedelta(days=DEMO_DAYS - 1)
    if today < REFORM_DAY:
        return [DemoWindow(last_90, today, None, True)]
    reform_start = datetime.combine(REFORM_DAY, time(0, 0), LOCAL_TZ)
    return [DemoWindow(PRE_REFORM_FIRST, REFORM_DAY - timedelta(days=1), reform_start, True),
            DemoWindow(max(last_90, REFORM_DAY), today, None, False)]


def demo_dossiers_load(*, today: date | None = None, stdout=None) -> DemoHistoryResult:
    """Create the demo dossier histories (idempotent: nothing happens when the database already
    holds dossiers, demo or real), window by window (:func:`demo_windows`), each under the
    catalogue of its days; after the spring-2025 window the demo's reorganisation moves what was
    open at the ended units (the normal service) and the successors finish it in July 2025. The
    catalogue in force is put back at the end."""
    from dossiers.services import lifecycle

    if Dossier.objects.exists():
        if stdout is not None:
            stdout.write("Đã có hồ sơ trong cơ sở dữ liệu: bỏ qua việc tạo hồ sơ mẫu.\n")
        return DemoHistoryResult(skipped=True)
    if not Procedure.objects.filter(is_active=True).exists():
        if stdout is not None:
            stdout.write("Chưa có danh mục thủ tục (chạy load_demo trước): không tạo hồ sơ mẫu.\n")
        return DemoHistoryResult(skipped=True)

    today = today or timezone.localdate()
    cal = calendar_get()
    result = DemoHistoryResult()
    with transaction.atomic():
        for index, window in enumerate(demo_windows(today)):
            demo_catalogue_as_of(window.first)
            procedures = list(Procedure.objects.filter(is_active=True).order_by("code"))
            rng, now, plans = demo_plans(today=window.last, procedures=procedures, first=window.first, now=window.now,
                                         seed=DEMO_SEED + index)
            org = _Organisation()
            staff = _Staff()
            for R, p, sc, person, dice in plans:
                _demo_dossier(lifecycle, rng, cal, org, staff, p, sc, person, dice, now)
                result.dossiers += 1
            if window.before_reform and window.last < today:
                result.moved += _demo_reorganise(lifecycle, rng, cal, _Staff(), received_before=now)
            if stdout is not None:
                stdout.write(f"{window.first:%d/%m/%Y}–{window.last:%d/%m/%Y}: {len(plans)} hồ sơ\n")
        demo_catalogue_as_of(today)
    from django.db.models import Count

    result.by_state = dict(Dossier.objects.values_list("state").annotate(n=Count("id")).order_by())
    if stdout is not None:
        if result.moved:
            stdout.write(f"Sắp xếp đơn vị hành chính 1/7/2025: {result.moved} hồ sơ (đang giải quyết hoặc chờ trả kết quả) "
                         "được chuyển sang đơn vị kế thừa\n")
        stdout.write(f"Đã tạo {result.dossiers} hồ sơ mẫu: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(result.by_state.items())) + "\n")
    return result


def _demo_reorganise(lifecycle, rng, cal, staff, *, received_before: datetime) -> int:
    """The demo's reorganisation of 1/7/2025 moves the open dossiers of the ended units (the
    normal service: one history event each); then every dossier of the spring still open is
    finished in the first working days of July 2025 by whoever holds it now (the successor
    commune, or the Sở that had it). Returns how many dossiers moved."""
    from dossiers.services.reorganisation import reorganisation_move

    moved = 0
    for reorg in Reorganisation.objects.filter(effective_date=REFORM_DAY).select_related("old_unit", "successor"):
        moved += reorganisation_move(reorg)
    # open, or resolved with the result still at the counter
    waiting = OPEN_STATES | {DossierState.APPROVED, DossierState.REFUSED, DossierState.STOPPED}
    still_open = Dossier.objects.filter(state__in=waiting, received_at__lt=received_before).order_by("received_at", "pk")
    for d in still_open:
        _demo_finish(lifecycle, rng, cal, staff, d)
    return moved


def _demo_finish(lifecycle, rng, cal, staff, d: Dossier) -> Dossier:
    """Finish a dossier left open by the reorganisation: the applicant's supplement comes in, the
    counter hands it over if it had not, each unit completes its step, the lead unit's leader
    approves and the result goes back, on working days from 2/7/2025."""
    from dossiers import core, reference

    day = cal.add_working_days(REFORM_DAY, rng.randint(1, 4))
    at = datetime.combine(day, time(rng.randint(8, 10), rng.randint(0, 59)), LOCAL_TZ)

    def worker():
        return staff.get(d.current_unit_id, OFFICER, LEADER)

    # the counter in force: the one that took it in, or its successor's (D20, core.successor_chain)
    clerk = staff.get(core.successor_chain(d.receiving_unit_id, reference.unit_successors())[-1], COUNTER_CLERK)
    if d.state == DossierState.AWAITING_SUPPLEMENT:
        d = lifecycle.dossier_resume(dossier=d, actor=clerk, at=at, note="Người nộp đã bổ sung đủ hồ sơ")
    def take() -> None:
        """The holding unit's leader assigns its officer to the step it now holds."""
        nonlocal d
        officer = staff.get(d.current_unit_id, OFFICER, LEADER)
        if officer is not None and d.state == DossierState.IN_PROCESSING:
            d = lifecycle.dossier_assign(dossier=d, actor=staff.get(d.current_unit_id, LEADER) or officer,
                                         officer=officer, at=at)

    if d.state == DossierState.RECEIVED:
        d = lifecycle.dossier_transfer(dossier=d, actor=staff.get(d.current_unit_id, COUNTER_CLERK), at=at)
    take()
    for _ in range(20):
        if d.state != DossierState.IN_PROCESSING:
            break
        case = lifecycle.case_of(d)
        if case.current() is None or case.current().order >= case.lead_final().order:
            break
        d = lifecycle.dossier_transfer(dossier=d, actor=worker(), at=at)
        take()
    done = at + timedelta(hours=rng.randint(1, 5))
    if d.state == DossierState.IN_PROCESSING and not core.precondition_fails(core.Action.APPROVE, lifecycle.case_of(d)):
        d = lifecycle.dossier_approve(dossier=d, actor=staff.get(d.resolving_unit_id, LEADER), at=done,
                                      note="Đã ký duyệt kết quả")
    if not action_allowed(Action.RETURN_RESULT, d.state):
        return d
    returned = datetime.combine(cal.add_working_days(done.astimezone(LOCAL_TZ).date(), rng.randint(0, 2)), time(15, 0),
                                LOCAL_TZ)
    return lifecycle.dossier_return_result(dossier=d, actor=clerk, return_channel=d.return_channel or ReturnChannel.COUNTER,
                                           at=max(returned, done))


def _demo_dossier(lifecycle, rng, cal, org, staff, procedure, sc: Scenario, person, dice, now) -> Dossier:
    """One demo history through the services, each action by the demo staff D17 names (the
    system, ``None``, where a unit has no demo account): the counter hands over on time (a few
    deliberately late, flagged "chậm chuyển"), each unit's leader assigns its officer, the
    officer completes the step, the lead unit's leader decides, the counter returns."""
    from dossiers import core

    receiving, competent = org.receipt(procedure, sc.received_at.astimezone(LOCAL_TZ).date(), dice)
    if sc.on_the_spot and competent is not None:
        receiving = competent  # "4 tại chỗ": at the competent unit's own counter
    resolving_id = competent.pk if competent is not None else procedure.resolving_unit_id
    clerk = staff.get(receiving.pk, COUNTER_CLERK)
    lead_leader = staff.get(resolving_id, LEADER)
    return_channel = {Channel.ONLINE: ReturnChannel.ONLINE, Channel.POSTAL: ReturnChannel.POSTAL}.get(
        sc.channel, ReturnChannel.COUNTER)
    d = lifecycle.dossier_register(
        procedure=procedure, receiving_unit=receiving, channel=sc.channel, applicant=person, actor=clerk,
        received_at=sc.received_at, on_the_spot=sc.on_the_spot, return_channel=return_channel, resolving_unit=competent,
    )
    if sc.on_the_spot:
        if sc.resolved_at is not None:
            lifecycle.dossier_on_the_spot_complete(dossier=d, actor=clerk, at=sc.resolved_at)
        return d

    # Action timeline (same tie order as the importer: resume, transfer, request).
    actions: list[tuple[datetime, int, str]] = []
    for P, Q in sc.supplements:
        actions.append((P, 2, "request"))
        if Q is not None:
            actions.append((Q, 0, "resume"))
    actions += [(t, 1, "transfer") for t in sc.transfers]
    actions.sort(key=lambda a: (a[0], a[1]))
    first_action = min([a[0] for a in actions] + ([sc.resolved_at] if sc.resolved_at else []) + [now])
    # D18: the hand-over, within its deadline; one in twenty the next working day, late.
    handover_at = _office_moment(cal, sc.received_at + timedelta(minutes=rng.randint(10, 120)))
    if handover_at > d.handover_due_at:
        handover_at = d.handover_due_at
    if dice > 0.95:
        late = datetime.combine(cal.next_working_day(d.handover_due_at.astimezone(LOCAL_TZ).date()), time(14, 0), LOCAL_TZ)
        handover_at = late if late <= first_action else handover_at
    handover_at = max(min(handover_at, first_action), sc.received_at)
    if not sc.outcome and not sc.supplements and (handover_at > now or (now <= d.handover_due_at and dice < 0.5)):
        return d  # a new arrival the counter hands over later, within its deadline
    d = lifecycle.dossier_transfer(dossier=d, actor=clerk, at=handover_at)

    def holder() -> int:
        return d.current_unit_id

    def take(when: datetime) -> None:
        """The holding unit's leader assigns its officer (the leader himself when it has none)."""
        nonlocal d
        unit = holder()
        officer = staff.get(unit, OFFICER, LEADER)
        if officer is not None:
            d = lifecycle.dossier_assign(dossier=d, actor=staff.get(unit, LEADER) or officer, officer=officer, at=when)

    def worker():
        return staff.get(holder(), OFFICER, LEADER)

    take(handover_at)
    # An apology for a dossier that runs late, at most once, after the last pause, on a working day.
    end = sc.resolved_at or now
    last_pause_end = max((Q or now for _P, Q in sc.supplements), default=sc.received_at)
    apology = None
    if dice < 0.7 and (not sc.supplements or sc.supplements[-1][1] is not None):
        due = wcal.compute_due(
            received_at=sc.received_at, amount=d.processing_time, unit=d.time_unit, cal=cal,
            pauses=[wcal.Pause(start=P, end=Q) for P, Q in sc.supplements],
        ).due_date
        if end.date() > due:
            day = cal.previous_working_day(due) if dice < 0.5 else due
            at = datetime.combine(day, time(10, 0), LOCAL_TZ)
            if last_pause_end < at <= end and at <= now:
                apology = (at, cal.add_working_days(due, rng.randint(2, 5)))
    if apology:
        actions.append((apology[0], 3, "apologize"))
        actions.sort(key=lambda a: (a[0], a[1]))

    for when, _rank, what in actions:
        when = max(when, handover_at)
        case = lifecycle.case_of(d)
        if what == "transfer":
            if d.state != "in_processing" or core.precondition_fails(core.Action.TRANSFER, case):
                continue
            d = lifecycle.dossier_transfer(dossier=d, actor=worker(), at=when)
            take(when)
        elif what == "request":
            d = lifecycle.dossier_request_supplement(
                dossier=d, actor=worker(), reason=rng.choice(SUPPLEMENT_REASONS), at=when,
                documents="Bản sao có chứng thực", )
        elif what == "resume":
            d = lifecycle.dossier_resume(dossier=d, actor=clerk, at=when, note="Người nộp đã bổ sung đủ hồ sơ")
        elif what == "apologize":
            d = lifecycle.dossier_apologize(
                dossier=d, actor=lead_leader, new_date=apology[1], reason=rng.choice(APOLOGY_REASONS), at=when,
            )
    if sc.outcome:
        E = max(sc.resolved_at, handover_at)
        outcome = sc.outcome
        if outcome == "refused" and d.state == "awaiting_supplement" and dice > 0.4:
            outcome = "stopped"  # the supplement never came: the lead unit stops it (D16, Mẫu 05)
        if outcome == "approved":
            # each unit completes its step before the lead unit's final one (by E)
            while d.state == "in_processing":
                case = lifecycle.case_of(d)
                if case.current() is None or case.current().order >= case.lead_final().order:
                    break
                d = lifecycle.dossier_transfer(dossier=d, actor=worker(), at=E)
                take(E)
            d = lifecycle.dossier_approve(dossier=d, actor=lead_leader, at=E, note="Đã ký duyệt kết quả")
        elif outcome == "stopped":
            d = lifecycle.dossier_stop(dossier=d, actor=lead_leader, reason=rng.choice(STOP_REASONS), at=E)
        elif outcome == "refused":
            d = lifecycle.dossier_refuse(dossier=d, actor=lead_leader, reason=rng.choice(REFUSE_REASONS), at=E)
        else:
            d = lifecycle.dossier_withdraw(dossier=d, actor=clerk, reason=rng.choice(WITHDRAW_REASONS), at=E)
        if sc.returned_at is not None:
            d = lifecycle.dossier_return_result(
                dossier=d, actor=clerk, return_channel=return_channel, at=max(sc.returned_at, E))
    return d
