"""Acceptance: dossier histories whose regulatory Q1/2022 reproduces Hòa Bình's published report
(domain.md §11), loaded through ``import_dossiers``.

**The plan.** The article gives, per level, received / resolved / in progress, and in total
the channels, the carried-over stock, early and on-time resolutions (late 264 and overdue 0
are implied) and 188 "4 tại chỗ". :data:`LEVEL_PLAN` splits the totals over the levels
(choices of ours where the article is silent: channels, carried over and classes per level),
keeping every published figure. :func:`plan_cells` crosses, for each level, the origins
(online / direct / postal / carried over) with the fates (early / on time / late / still in
progress within deadline) by proportional allocation with exact margins, and sets the 188
"4 tại chỗ" dossiers apart (commune, direct, resolved on time on the spot). At a reduced scale
every cell is divided and rounded, so the scaled figures are the plan's own sums and every
identity still holds (:func:`expected_figures`).

**The dossiers.** :func:`acceptance_rows` draws, for every planned dossier, a procedure of its
level, a unit, a receipt instant (new: in the quarter; carried over: in the 50 days before it),
sometimes one or two supplement pauses, and a resolution instant that gives exactly its
planned class against the due date computed with ``dossiers.calendar.compute_due`` on the
calendar in force (rejection sampling: a draw that cannot give the class is drawn again). A
dossier "within deadline" at the end of the quarter is either not yet due then or paused by a
supplement request made while it was not overdue; most are resolved after the quarter, which
must not change the figures. Optional *extras* (received and resolved before the quarter, or
received after it) must not be counted at all.

Everything is deterministic for a given seed.
"""
from __future__ import annotations

import csv
import io
import random
import tempfile
import time as timer
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from dossiers import calendar as wcal

LOCAL_TZ = wcal.LOCAL_TZ
SEED = 20220314
PERIOD_START = date(2021, 12, 15)
PERIOD_END = date(2022, 3, 14)

#: domain.md §11: Hòa Bình, Q1/2022 (regulatory period 15/12/2021 – 14/03/2022)
ARTICLE = {
    "totals": {
        "received_total": 92_107, "received_online": 70_392, "received_direct_postal": 16_407,
        "carried_over": 5_308, "resolved_total": 85_426, "resolved_early": 76_286, "resolved_on_time": 8_876,
        "resolved_late": 264, "in_progress_total": 6_681, "in_progress_within": 6_681, "in_progress_overdue": 0,
        "on_the_spot": 188, "on_time_rate": "99.69", "on_time_rate_766": "99.71",
    },
    "levels": {
        "province": {"received_total": 27_090, "resolved_total": 20_482, "in_progress_total": 6_608},
        "district": {"received_total": 7_343, "resolved_total": 7_270, "in_progress_total": 73},
        "commune": {"received_total": 57_674, "resolved_total": 57_674, "in_progress_total": 0},
    },
}

ORIGINS = ("carried", "online", "direct", "postal")
FATES = ("late", "within", "on_time", "early")

#: our split of the article's totals over the levels (published figures in comments)
LEVEL_PLAN = {
    # received 27,090 = resolved 20,482 + in progress 6,608
    "province": {"carried": 4_000, "online": 19_000, "direct": 3_290, "postal": 800,
                 "early": 17_282, "on_time": 3_000, "late": 200, "within": 6_608},
    # received 7,343 = resolved 7,270 + in progress 73
    "district": {"carried": 500, "online": 5_000, "direct": 1_543, "postal": 300,
                 "early": 6_206, "on_time": 1_000, "late": 64, "within": 73},
    # received 57,674 = resolved 57,674
    "commune": {"carried": 808, "online": 46_392, "direct": 10_174, "postal": 300,
                "early": 52_798, "on_time": 4_876, "late": 0, "within": 0},
}
ON_THE_SPOT = 188  # commune, direct, on time

# --- the organisation and the catalogue (Hòa Bình in 2022; codes as in demo/data/units.csv) -----------

UNITS = [
    # code, name, level, kind, parent
    ("000.00.00.H23", "Ủy ban nhân dân tỉnh Hòa Bình", "province", "people_committee", ""),
    ("000.00.01.H23", "Văn phòng Ủy ban nhân dân tỉnh Hòa Bình", "province", "agency", "000.00.00.H23"),
    ("000.01.01.H23", "Trung tâm Phục vụ hành chính công tỉnh Hòa Bình", "province", "service_centre", "000.00.01.H23"),
    ("000.00.10.H23", "Sở Kế hoạch và Đầu tư tỉnh Hòa Bình", "province", "agency", "000.00.00.H23"),
    ("000.00.12.H23", "Sở Tư pháp tỉnh Hòa Bình", "province", "agency", "000.00.00.H23"),
    ("000.00.13.H23", "Sở Tài nguyên và Môi trường tỉnh Hòa Bình", "province", "agency", "000.00.00.H23"),
    ("000.00.14.H23", "Sở Xây dựng tỉnh Hòa Bình", "province", "agency", "000.00.00.H23"),
    ("000.00.16.H23", "Sở Giao thông vận tải tỉnh Hòa Bình", "province", "agency", "000.00.00.H23"),
    ("000.00.90.H23", "Công an tỉnh Hòa Bình", "province", "vertical", ""),
    ("000.00.21.H23", "Ủy ban nhân dân thành phố Hòa Bình", "district", "people_committee", "000.00.00.H23"),
    ("000.01.21.H23", "Bộ phận Tiếp nhận và Trả kết quả thành phố Hòa Bình", "district", "service_centre", "000.00.21.H23"),
    ("000.00.22.H23", "Ủy ban nhân dân huyện Lương Sơn", "district", "people_committee", "000.00.00.H23"),
    ("000.01.22.H23", "Bộ phận Tiếp nhận và Trả kết quả huyện Lương Sơn", "district", "service_centre", "000.00.22.H23"),
    ("000.00.23.H23", "Ủy ban nhân dân huyện Kim Bôi", "district", "people_committee", "000.00.00.H23"),
    ("000.01.23.H23", "Bộ phận Tiếp nhận và Trả kết quả huyện Kim Bôi", "district", "service_centre", "000.00.23.H23"),
    ("000.31.21.H23", "Ủy ban nhân dân phường Phương Lâm", "commune", "people_committee", "000.00.21.H23"),
    ("000.32.21.H23", "Ủy ban nhân dân phường Tân Thịnh", "commune", "people_committee", "000.00.21.H23"),
    ("000.33.21.H23", "Ủy ban nhân dân phường Thịnh Lang", "commune", "people_committee", "000.00.21.H23"),
    ("000.34.21.H23", "Ủy ban nhân dân xã Yên Mông", "commune", "people_committee", "000.00.21.H23"),
    ("000.31.22.H23", "Ủy ban nhân dân thị trấn Lương Sơn", "commune", "people_committee", "000.00.22.H23"),
    ("000.32.22.H23", "Ủy ban nhân dân xã Lâm Sơn", "commune", "people_committee", "000.00.22.H23"),
    ("000.33.22.H23", "Ủy ban nhân dân xã Cư Yên", "commune", "people_committee", "000.00.22.H23"),
    ("000.31.23.H23", "Ủy ban nhân dân thị trấn Bo", "commune", "people_committee", "000.00.23.H23"),
    ("000.32.23.H23", "Ủy ban nhân dân xã Vĩnh Đồng", "commune", "people_committee", "000.00.23.H23"),
    ("000.33.23.H23", "Ủy ban nhân dân xã Tú Sơn", "commune", "people_committee", "000.00.23.H23"),
]
CENTRE = "000.01.01.H23"
DISTRICT_COUNTER = {"000.00.21.H23": "000.01.21.H23", "000.00.22.H23": "000.01.22.H23", "000.00.23.H23": "000.01.23.H23"}

#: code, name, field, processing time, unit, resolving unit (level default), on the spot, online level.
#: Codes of the "HB22." series so that the demo catalogue is never touched.
PROCEDURES = [
    ("HB22.T01", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "Lý lịch tư pháp", 10, "working_days", "000.00.12.H23", "0", "full"),
    ("HB22.K01", "Đăng ký thành lập doanh nghiệp tư nhân", "Thành lập và hoạt động doanh nghiệp", 3, "working_days", "000.00.10.H23", "0", "full"),
    ("HB22.K02", "Chấp thuận chủ trương đầu tư của Ủy ban nhân dân tỉnh", "Đầu tư tại Việt Nam", 70, "working_days", "000.00.10.H23", "0", "partial"),
    ("HB22.M01", "Đăng ký đất đai lần đầu cho tổ chức", "Đất đai", 30, "working_days", "000.00.13.H23", "0", "partial"),
    ("HB22.X01", "Cấp giấy phép xây dựng công trình cấp III", "Hoạt động xây dựng", 20, "working_days", "000.00.14.H23", "0", "partial"),
    ("HB22.G01", "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "Đường bộ", 5, "working_days", "000.00.16.H23", "0", "full"),
    ("HB22.C01", "Cấp hộ chiếu phổ thông", "Quản lý xuất nhập cảnh", 8, "working_days", "000.00.90.H23", "0", "full"),
    ("HB22.H01", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh", 3, "working_days", "000.00.21.H23", "0", "full"),
    ("HB22.H02", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Hoạt động xây dựng", 15, "working_days", "000.00.21.H23", "0", "partial"),
    ("HB22.H03", "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "Đất đai", 30, "working_days", "000.00.21.H23", "0", "partial"),
    ("HB22.X11", "Đăng ký khai sinh", "Hộ tịch", 3, "working_days", "000.31.21.H23", "0", "full"),
    ("HB22.X12", "Đăng ký kết hôn", "Hộ tịch", 5, "working_days", "000.31.21.H23", "0", "partial"),
    ("HB22.X13", "Xác nhận tình trạng hôn nhân", "Hộ tịch", 3, "working_days", "000.31.21.H23", "0", "full"),
    ("HB22.X14", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản", "Chứng thực", 2, "working_days", "000.31.21.H23", "0", ""),
    ("HB22.X15", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực", 0, "working_days", "000.31.21.H23", "1", "partial"),
]
SPOT_PROCEDURE = "HB22.X15"


def catalogue_load() -> None:
    """Create or update the units and procedures of the acceptance data (catalogue imports)."""
    from dossiers.services.catalogue import procedures_import, units_import

    units_import(rows_or_file=[{"code": c, "name": n, "level": lv, "kind": k, "parent_code": p, "place": "Hòa Bình"}
                               for c, n, lv, k, p in UNITS])
    procedures_import(rows_or_file=[
        {"code": c, "name": n, "field": f, "processing_time": t, "time_unit": u, "resolving_unit_code": r,
         "on_the_spot": s, "online_level": o}
        for c, n, f, t, u, r, s, o in PROCEDURES])


# --- the plan --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    level: str
    origin: str
    fate: str
    spot: bool
    count: int


def _allocate(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split `total` proportionally to `weights` (largest remainder); never above a weight
    when total ≤ sum(weights)."""
    s = sum(weights.values())
    if s == 0:
        return {k: 0 for k in weights}
    raw = {k: total * w / s for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (raw[k] - out[k], k), reverse=True)[:rest]:
        out[k] += 1
    return out


def plan_cells(scale: int = 1) -> list[Cell]:
    """The planned dossiers of the quarter per (level, origin, fate, on the spot), divided by
    `scale` (each cell rounded to the nearest integer)."""
    cells = []
    for level, plan in LEVEL_PLAN.items():
        capacity = {f: plan[f] for f in FATES}
        origins = [o for o in ORIGINS if plan[o]]
        for i, origin in enumerate(origins):
            if i == len(origins) - 1:
                split = dict(capacity)
            else:
                split = _allocate(plan[origin], capacity)
            for fate in FATES:
                n = split[fate]
                capacity[fate] -= n
                spot = ON_THE_SPOT if (level, origin, fate) == ("commune", "direct", "on_time") else 0
                if n - spot:
                    cells.append(Cell(level, origin, fate, False, n - spot))
                if spot:
                    cells.append(Cell(level, origin, fate, True, spot))
        assert all(v == 0 for v in capacity.values()), capacity
    if scale != 1:
        cells = [Cell(c.level, c.origin, c.fate, c.spot, round(c.count / scale)) for c in cells]
    return [c for c in cells if c.count]


def expected_figures(cells: list[Cell]) -> dict:
    """The report figures (totals and per level) the planned dossiers must produce."""
    def figures(subset):
        c = Counter()
        for cell in subset:
            n = cell.count
            c["received_total"] += n
            if cell.origin == "carried":
                c["carried_over"] += n
            elif cell.origin == "online":
                c["received_online"] += n
            else:
                c["received_direct_postal"] += n
            if cell.fate == "within":
                c["in_progress_total"] += n
                c["in_progress_within"] += n
            else:
                c["resolved_total"] += n
                c[f"resolved_{cell.fate}"] += n
            c["on_the_spot"] += n if cell.spot else 0
        keys = ("received_total", "received_online", "received_direct_postal", "carried_over", "resolved_total",
                "resolved_early", "resolved_on_time", "resolved_late", "in_progress_total", "in_progress_within",
                "in_progress_overdue", "on_the_spot")
        return {k: c.get(k, 0) for k in keys}

    return {"totals": figures(cells),
            "levels": {lv: figures([c for c in cells if c.level == lv]) for lv in LEVEL_PLAN}}


# --- the dossiers ----------------------------------------------------------------------------------

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Bùi", "Đinh", "Quách", "Xa", "Hà", "Đỗ", "Vũ", "Đặng", "Ngô"]
_MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh"]
_GIVEN = ["An", "Bình", "Cường", "Dũng", "Hùng", "Nam", "Hoa", "Lan", "Mai", "Hương", "Thảo", "Linh", "Sơn", "Yến"]


@dataclass
class _Procedure:
    code: str
    amount: int
    unit: str
    resolving: str
    level: str


@dataclass
class GeneratedData:
    rows: list[dict[str, str]]
    expected: dict
    multi_supplement: int
    withdrawn: int
    extras: int
    stats: Counter = field(default_factory=Counter)


def _iso(dt: datetime | None) -> str:
    return dt.astimezone(LOCAL_TZ).isoformat(timespec="seconds") if dt else ""


class _Generator:
    def __init__(self, cal: wcal.WorkCalendar, seed: int):
        self.cal = cal
        self.rng = random.Random(seed)
        levels = {c: lv for c, _n, lv, _k, _p in UNITS}
        self.procedures: dict[str, list[_Procedure]] = {"province": [], "district": [], "commune": []}
        self.spot: _Procedure | None = None
        for code, _n, _f, amount, unit, resolving, spot, _o in PROCEDURES:
            p = _Procedure(code, amount, unit, resolving, levels[resolving])
            if spot == "1":
                self.spot = p
            else:
                self.procedures[p.level].append(p)
        self.districts = [c for c, _n, lv, k, _p in UNITS if lv == "district" and k == "people_committee"]
        self.communes = [c for c, _n, lv, _k, _p in UNITS if lv == "commune"]
        self.parent = {c: p for c, _n, _lv, _k, p in UNITS}
        self.working = [d for d in (PERIOD_START - timedelta(days=80) + timedelta(days=i) for i in range(200))
                        if cal.is_working_day(d)]

    # --- instants --------------------------------------------------------------------------

    def office_instant(self, day: date, *, after: datetime | None = None) -> datetime:
        """A local instant on `day` within office hours (after `after` when it is that day)."""
        minutes = self.rng.choice([self.rng.randint(7 * 60 + 35, 11 * 60 + 25), self.rng.randint(13 * 60 + 5, 16 * 60 + 55)])
        dt = datetime.combine(day, time(minutes // 60, minutes % 60), LOCAL_TZ)
        if after is not None and dt <= after:
            dt = after + timedelta(minutes=self.rng.randint(5, 40))
        return dt

    def working_day_between(self, a: date, b: date) -> date | None:
        days = [d for d in self.working if a <= d <= b]
        return self.rng.choice(days) if days else None

    def receipt(self, origin: str, channel: str) -> datetime:
        rng = self.rng
        if origin == "carried":
            day = PERIOD_START - timedelta(days=rng.randint(1, 50))
        else:
            day = PERIOD_START + timedelta(days=rng.randint(0, (PERIOD_END - PERIOD_START).days))
        if channel == "online" and rng.random() < 0.25:
            # Online: also evenings, nights and weekends (received the next working day, D2).
            return datetime.combine(day, time(rng.randint(0, 23), rng.randint(0, 59)), LOCAL_TZ)
        if not self.cal.is_working_day(day):
            day = self.cal.next_working_day(day)
            if origin != "carried" and day > PERIOD_END:
                day = self.cal.previous_working_day(PERIOD_END + timedelta(days=1))
            if origin == "carried" and day >= PERIOD_START:
                day = self.cal.previous_working_day(PERIOD_START)
        return self.office_instant(day)

    def due(self, p: _Procedure, received_at: datetime, pauses) -> date:
        return wcal.compute_due(received_at=received_at, amount=p.amount, unit=p.unit, cal=self.cal,
                                pauses=[wcal.Pause(start=a, end=b) for a, b in pauses]).due_date

    def pauses_for(self, received_at: datetime, n: int, latest: date) -> list[tuple[datetime, datetime]]:
        out, t = [], received_at
        for _ in range(n):
            start_day = self.working_day_between(t.astimezone(LOCAL_TZ).date(), t.astimezone(LOCAL_TZ).date() + timedelta(days=4))
            if start_day is None:
                return []
            start = self.office_instant(start_day, after=t)
            end_day = self.working_day_between(start_day + timedelta(days=1), start_day + timedelta(days=6))
            if end_day is None or end_day > latest:
                return []
            end = self.office_instant(end_day)
            out.append((start, end))
            t = end
        return out

    # --- one dossier -------------------------------------------------------------------------

    def dossier(self, cell: Cell) -> dict[str, str] | None:
        rng = self.rng
        channel = cell.origin
        if cell.origin == "carried":  # carried over: its channel counts nowhere this quarter
            channel = rng.choice(["online", "online", "online", "direct", "postal"])
        if cell.spot:
            return self.spot_dossier()
        for _attempt in range(200):
            p = rng.choice(self.procedures[cell.level])
            if cell.fate == "within" and cell.origin == "carried" and rng.random() < 0.5:
                p = max(self.procedures[cell.level], key=lambda q: q.amount)
            R = self.receipt(cell.origin, channel)
            r = R.astimezone(LOCAL_TZ).date()
            if cell.fate == "within":
                row = self.within(p, R)
            else:
                row = self.resolved(p, R, cell.fate)
            if row is None:
                continue
            unit = p.resolving
            if cell.level == "district":
                unit = rng.choice(self.districts)
                receiving = DISTRICT_COUNTER[unit]
            elif cell.level == "commune":
                unit = rng.choice(self.communes)
                receiving = unit
            else:
                receiving = CENTRE
            row.update(procedure_code=p.code, receiving_unit_code=receiving, resolving_unit_code=unit,
                       channel=channel, received_at=_iso(R), code="", on_the_spot="", transfers="",
                       applicant_name=f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}")
            assert r <= PERIOD_END
            return row
        raise RuntimeError(f"cannot draw a dossier for {cell}")

    def spot_dossier(self) -> dict[str, str]:
        """"4 tại chỗ": received on a working day before 15:00, resolved and returned at once."""
        rng = self.rng
        day = self.working_day_between(PERIOD_START, PERIOD_END)
        minutes = rng.randint(7 * 60 + 30, 14 * 60 + 30)
        R = datetime.combine(day, time(minutes // 60, minutes % 60), LOCAL_TZ)
        unit = rng.choice(self.communes)
        return {"code": "", "procedure_code": self.spot.code, "receiving_unit_code": unit, "resolving_unit_code": unit,
                "channel": "direct", "received_at": _iso(R), "supplements": "", "transfers": "", "outcome": "approved",
                "resolved_at": _iso(R), "returned_at": _iso(R), "on_the_spot": "1",
                "applicant_name": f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"}

    def outcome(self) -> str:
        x = self.rng.random()
        return "withdrawn" if x < 0.015 else "refused" if x < 0.025 else "approved"

    def resolved(self, p: _Procedure, R: datetime, fate: str) -> dict | None:
        rng = self.rng
        n_pauses = 0 if rng.random() < 0.94 else (1 if rng.random() < 0.85 else 2)
        pauses = self.pauses_for(R, n_pauses, PERIOD_END) if n_pauses else []
        D = self.due(p, R, pauses)
        after = pauses[-1][1] if pauses else R
        floor = max(PERIOD_START, after.astimezone(LOCAL_TZ).date())
        if fate == "early":
            e = self.working_day_between(floor, min(PERIOD_END, D - timedelta(days=1)))
        elif fate == "on_time":
            e = D if floor <= D <= PERIOD_END else None
        else:
            e = self.working_day_between(max(floor, D + timedelta(days=1)), PERIOD_END)
        if e is None:
            return None
        E = self.office_instant(e, after=after if e == after.astimezone(LOCAL_TZ).date() else None)
        if E.astimezone(LOCAL_TZ).date() != e:
            return None  # pushed past midnight: draw again
        outcome = self.outcome()
        returned = ""
        if outcome != "withdrawn" and rng.random() < 0.9:
            returned = _iso(E + timedelta(hours=rng.randint(1, 72)))
        return {"supplements": ";".join(f"{_iso(a)}/{_iso(b)}" for a, b in pauses), "outcome": outcome,
                "resolved_at": _iso(E), "returned_at": returned, "_pauses": len(pauses), "_class": fate}

    def within(self, p: _Procedure, R: datetime) -> dict | None:
        """Open at the end of T and not overdue: not yet due, or paused while not overdue."""
        rng = self.rng
        r = R.astimezone(LOCAL_TZ).date()
        D = self.due(p, R, [])
        pauses: list[tuple[datetime, datetime | None]] = []
        if D < PERIOD_END or rng.random() < 0.2:
            # A supplement request on a working day p with r ≤ p ≤ min(D, T), still open at T.
            day = self.working_day_between(r, min(D, PERIOD_END))
            if day is None:
                return None
            start = self.office_instant(day, after=R if day == r else None)
            if start.astimezone(LOCAL_TZ).date() != day:
                return None
            if rng.random() < 0.1:
                return {"supplements": f"{_iso(start)}/", "outcome": "", "resolved_at": "", "returned_at": "",
                        "_pauses": 1, "_class": "within"}
            end_day = self.working_day_between(PERIOD_END + timedelta(days=1), PERIOD_END + timedelta(days=20))
            pauses.append((start, self.office_instant(end_day)))
        # Resolved after the quarter (any class): the quarter's figures must not move.
        after = pauses[-1][1] if pauses else datetime.combine(PERIOD_END + timedelta(days=1), time(0), LOCAL_TZ)
        if rng.random() < 0.05:
            return {"supplements": ";".join(f"{_iso(a)}/{_iso(b)}" for a, b in pauses), "outcome": "",
                    "resolved_at": "", "returned_at": "", "_pauses": len(pauses), "_class": "within"}
        first = after.astimezone(LOCAL_TZ).date()
        e = self.working_day_between(first, first + timedelta(days=30))
        E = self.office_instant(e, after=after if e == first else None)
        return {"supplements": ";".join(f"{_iso(a)}/{_iso(b)}" for a, b in pauses), "outcome": "approved",
                "resolved_at": _iso(E), "returned_at": _iso(E + timedelta(hours=rng.randint(1, 48))),
                "_pauses": len(pauses), "_class": "within"}

    def extra(self) -> dict[str, str]:
        """A dossier outside the quarter: resolved before it starts, or received after it ends."""
        rng = self.rng
        level = rng.choice(["province", "district", "commune"])
        p = rng.choice(self.procedures[level])
        unit = p.resolving if level == "province" else rng.choice(self.districts if level == "district" else self.communes)
        receiving = CENTRE if level == "province" else DISTRICT_COUNTER.get(unit, unit)
        if rng.random() < 0.5:
            e = self.working_day_between(PERIOD_START - timedelta(days=30), PERIOD_START - timedelta(days=1))
            R = self.office_instant(self.working_day_between(e - timedelta(days=10), e))
            E = self.office_instant(e, after=R if R.date() == e else None)
            if E.date() != e:  # keep it before the quarter
                E = R + timedelta(minutes=1)
            outcome, resolved = "approved", _iso(E)
        else:
            R = self.office_instant(self.working_day_between(PERIOD_END + timedelta(days=1), PERIOD_END + timedelta(days=25)))
            outcome, resolved = "", ""
        return {"code": "", "procedure_code": p.code, "receiving_unit_code": receiving, "resolving_unit_code": unit,
                "channel": rng.choice(["online", "direct"]), "received_at": _iso(R), "supplements": "",
                "transfers": "", "outcome": outcome, "resolved_at": resolved, "returned_at": "", "on_the_spot": "",
                "applicant_name": "Hồ sơ ngoài kỳ"}


def acceptance_rows(*, scale: int = 1, seed: int = SEED, extras: int = 0, cal: wcal.WorkCalendar | None = None
                    ) -> GeneratedData:
    """The history rows (``import_dossiers`` columns) of the plan at 1/`scale`, in receipt order,
    with the figures they must produce."""
    if cal is None:
        from dossiers.selectors import calendar_get

        cal = calendar_get()
    gen = _Generator(cal, seed)
    cells = plan_cells(scale)
    rows, stats = [], Counter()
    multi = withdrawn = 0
    for cell in cells:
        for _ in range(cell.count):
            row = gen.dossier(cell)
            n_pauses = row.pop("_pauses", 0)
            row.pop("_class", None)
            multi += n_pauses > 1
            withdrawn += row["outcome"] == "withdrawn" and cell.fate != "within"
            stats[f"supplements={n_pauses}"] += 1
            rows.append(row)
    for _ in range(extras):
        rows.append(gen.extra())
    rows.sort(key=lambda row: row["received_at"])
    expected = expected_figures(cells)
    expected["totals"]["multi_supplement"] = multi
    expected["totals"]["withdrawn"] = withdrawn
    return GeneratedData(rows=rows, expected=expected, multi_supplement=multi, withdrawn=withdrawn, extras=extras,
                         stats=stats)


def rows_to_csv(rows: list[dict[str, str]], fh) -> None:
    from dossiers.services.history_import import COLUMNS

    writer = csv.DictWriter(fh, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


@dataclass
class AcceptanceResult:
    report: dict
    expected: dict
    differences: list[str]
    seconds: dict[str, float]
    dossiers: int


def compare(report: dict, expected: dict) -> list[str]:
    """Differences between a report and the expected figures (totals and levels)."""
    out = []
    for key, value in expected["totals"].items():
        if report["totals"].get(key) != value:
            out.append(f"totals.{key}: {report['totals'].get(key)} ≠ {value}")
    levels = {lv["level"]: lv["totals"] for lv in report["levels"]}
    for level, figures in expected["levels"].items():
        for key, value in figures.items():
            got = levels.get(level, {}).get(key, 0)
            if got != value:
                out.append(f"{level}.{key}: {got} ≠ {value}")
    return out


def acceptance_run(*, scale: int = 1, seed: int = SEED, extras: int = 0, rollup: bool = True, stdout=None
                   ) -> AcceptanceResult:
    """Load the catalogue, generate the histories, import them with ``import_dossiers``, and
    compute the regulatory Q1/2022 report directly and from the roll-ups."""
    from django.core.management import call_command

    from reporting.periods import Period
    from reporting.selectors import SOURCE_DIRECT, SOURCE_ROLLUP, report_figures
    from reporting.services import rollup_range

    def say(msg):
        if stdout is not None:
            stdout.write(msg + "\n")
            stdout.flush()

    seconds = {}
    t0 = timer.monotonic()
    catalogue_load()
    data = acceptance_rows(scale=scale, seed=seed, extras=extras)
    seconds["generate"] = timer.monotonic() - t0
    say(f"Sinh {len(data.rows):,} hồ sơ ({data.extras} ngoài kỳ) trong {seconds['generate']:.1f} giây.")
    with tempfile.TemporaryDirectory(prefix="onecua-acceptance-") as tmp:
        path = Path(tmp) / "hoa_binh_q1_2022.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            rows_to_csv(data.rows, fh)
        t0 = timer.monotonic()
        out = io.StringIO()
        call_command("import_dossiers", str(path), stdout=out)
        seconds["import"] = timer.monotonic() - t0
    say(out.getvalue().strip())
    period = Period.quarter(2022, 1)
    t0 = timer.monotonic()
    direct = report_figures(period=period, source=SOURCE_DIRECT)
    seconds["report_direct"] = timer.monotonic() - t0
    report = direct
    differences = compare(direct, data.expected)
    if rollup:
        t0 = timer.monotonic()
        days = rollup_range(start=period.day_before(), end=period.end)
        seconds["rollup"] = timer.monotonic() - t0
        seconds["rollup_days"] = len(days)
        t0 = timer.monotonic()
        rolled = report_figures(period=period, source=SOURCE_ROLLUP)
        seconds["report_rollup"] = timer.monotonic() - t0
        for key in ("totals", "levels", "fields"):
            if rolled[key] != direct[key]:
                differences.append(f"roll-up ≠ direct in {key}")
        report = rolled
    return AcceptanceResult(report=report, expected=data.expected, differences=differences, seconds=seconds,
                            dossiers=len(data.rows))
