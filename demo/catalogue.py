"""The demo province: units, procedures and step templates from ``demo/data/*.csv`` through the
normal catalogue imports, its counters, and the demo accounts (published passwords).

The province is shown as it works in December 2026, after the two-level reorganisation of
1/7/2025 (NĐ 118/2025, domain.md D20): its districts and their communes ended on 30/6/2025
(``units.csv``, ``valid_to``) and ``reorganisation_2025_07.csv`` names each one's successor
(recorded through the normal ``import_reorganisation`` service); the former district procedures
are commune procedures resolved by every commune (``procedures.csv``). The catalogue as it stood
before (``procedures_before_2025_07.csv``, ``procedure_steps_before_2025_07.csv``) is what the
demo history of the spring of 2025 is received under (:func:`demo_catalogue_as_of`). The
province keeps its pre-merger name and codes: only its district and commune levels are
reorganised in the demo.

Only accounts this module created (marked in :class:`demo.models.DemoAccount`) are ever updated:
an existing account whose username happens to match a demo one is left alone and reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction

from demo.models import DemoAccount
from dossiers.models import Counter, Field, Reorganisation, StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER, ROLE_LABELS, role_group_name, roles_sync
from dossiers.services.catalogue import (
    UNIT_OPTIONAL,
    UNIT_REQUIRED,
    ImportResult,
    _read_table,
    procedure_steps_import,
    procedures_import,
    units_import,
)

DEMO_DIR = Path(__file__).resolve().parent / "data"
#: the first day of the two-level local government (NĐ 118/2025; the demo's reorganisation)
REFORM_DAY = date(2025, 7, 1)
REORGANISATION_FILE = DEMO_DIR / "reorganisation_2025_07.csv"
DEMO_SUPERUSER = ("admin", "onecua-admin")
DEMO_STAFF_PASSWORD = "onecua2026"
PROVINCE_CENTRE = "000.01.01.H23"


@dataclass(frozen=True)
class DemoStaff:
    username: str
    role: str
    unit_code: str
    counter_number: int | None
    first_name: str
    last_name: str
    title: str
    #: False for the former district's staff: their unit ended on 30/6/2025 and their accounts
    #: stay only as the actors of the spring-2025 history (they cannot log in)
    active: bool = True


PHUONG_HOA_BINH = "000.41.00.H23"
XA_LUONG_SON = "000.43.00.H23"
VPDK_BRANCH = "000.02.13.H23"


def _demo_staff() -> list[DemoStaff]:
    return [
        DemoStaff("quantri", ADMINISTRATOR, PROVINCE_CENTRE, None, "Đinh Công", "Quản", "Quản trị hệ thống"),
        DemoStaff("motcua.tinh", COUNTER_CLERK, PROVINCE_CENTRE, 1, "Nguyễn Thị", "Hoa", "Chuyên viên Trung tâm Phục vụ hành chính công"),
        DemoStaff("chuyenvien.stp", OFFICER, "000.00.12.H23", None, "Bùi Văn", "Minh", "Chuyên viên Phòng Hành chính tư pháp"),
        DemoStaff("lanhdao.stp", LEADER, "000.00.12.H23", None, "Quách Thị", "Lan", "Phó Giám đốc Sở Tư pháp"),
        DemoStaff("chuyenvien.stnmt", OFFICER, "000.00.13.H23", None, "Xa Văn", "Đức", "Chuyên viên Phòng Quản lý đất đai"),
        DemoStaff("lanhdao.stnmt", LEADER, "000.00.13.H23", None, "Hà Thị", "Thu", "Phó Giám đốc Sở Tài nguyên và Môi trường"),
        DemoStaff("chuyenvien.vpdk", OFFICER, VPDK_BRANCH, None, "Đinh Thị", "Mai", "Viên chức Chi nhánh Văn phòng Đăng ký đất đai"),
        DemoStaff("motcua.xa", COUNTER_CLERK, PHUONG_HOA_BINH, 1, "Phạm Thị", "Ngọc", "Công chức Văn phòng - Thống kê"),
        DemoStaff("chuyenvien.xa", OFFICER, PHUONG_HOA_BINH, None, "Quách Văn", "Sơn", "Công chức Tư pháp - Hộ tịch"),
        DemoStaff("lanhdao.xa", LEADER, PHUONG_HOA_BINH, None, "Nguyễn Văn", "Thắng", "Chủ tịch UBND phường"),
        DemoStaff("motcua.luongson", COUNTER_CLERK, XA_LUONG_SON, 1, "Trần Thị", "Hằng", "Công chức Văn phòng - Thống kê"),
        DemoStaff("chuyenvien.luongson", OFFICER, XA_LUONG_SON, None, "Lê Văn", "Hùng", "Công chức Văn hóa - Xã hội"),
        DemoStaff("lanhdao.luongson", LEADER, XA_LUONG_SON, None, "Bùi Thị", "Hạnh", "Phó Chủ tịch UBND xã"),
        # the former UBND thành phố Hòa Bình (ended 30/6/2025): the spring-2025 history's actors
        DemoStaff("motcua.huyen", COUNTER_CLERK, "000.01.21.H23", 1, "Đỗ Thị", "Huyền",
                  "Công chức Bộ phận Tiếp nhận và Trả kết quả (đến 30/6/2025)", active=False),
        DemoStaff("chuyenvien.huyen", OFFICER, "000.00.21.H23", None, "Vũ Văn", "Khánh", "Chuyên viên Phòng Tư pháp (đến 30/6/2025)",
                  active=False),
        DemoStaff("lanhdao.huyen", LEADER, "000.00.21.H23", None, "Ngô Thị", "Yến", "Phó Chủ tịch UBND thành phố (đến 30/6/2025)",
                  active=False),
    ]


#: Counters of the provincial centre: one per agency that posts staff there, with its fields.
PROVINCE_COUNTERS = [
    ("Quầy Sở Tư pháp", ["Lý lịch tư pháp", "Công chứng"]),
    ("Quầy Sở Kế hoạch và Đầu tư", ["Thành lập và hoạt động doanh nghiệp", "Đầu tư tại Việt Nam"]),
    ("Quầy Sở Tài nguyên và Môi trường", ["Đất đai", "Tài nguyên nước", "Môi trường"]),
    ("Quầy Sở Xây dựng", ["Hoạt động xây dựng"]),
    ("Quầy Sở Lao động - Thương binh và Xã hội", ["Việc làm"]),
    ("Quầy Sở Giao thông vận tải", ["Đường bộ"]),
    ("Quầy Sở Y tế", ["Khám bệnh, chữa bệnh", "Dược phẩm"]),
    ("Quầy Sở Công Thương", ["Lưu thông hàng hóa trong nước"]),
    ("Quầy Công an tỉnh", ["Quản lý xuất nhập cảnh"]),
]
#: Counters of every district Bộ phận Tiếp nhận và Trả kết quả.
DISTRICT_COUNTERS = [
    ("Quầy Tư pháp - Hộ tịch", ["Hộ tịch", "Chứng thực"]),
    ("Quầy Đất đai - Xây dựng", ["Đất đai", "Hoạt động xây dựng"]),
    ("Quầy Kinh tế - Xã hội", ["Thành lập và hoạt động của hộ kinh doanh", "Lưu thông hàng hóa trong nước", "Bảo trợ xã hội"]),
]
#: A commune's one-stop counter is the commune People's Committee itself.
COMMUNE_COUNTERS = [
    ("Bộ phận Một cửa", ["Hộ tịch", "Chứng thực", "Đất đai", "Bảo trợ xã hội"]),
]


@dataclass
class DemoAccountRow:
    username: str
    role: str
    unit: str
    password: str
    active: bool = True


@dataclass
class DemoResult:
    units: ImportResult
    procedures: ImportResult
    steps: ImportResult
    counters: ImportResult
    users: ImportResult
    accounts: list[DemoAccountRow]
    #: reorganisation entries recorded by this run (0 when they already were)
    reorganisations: int = 0
    #: usernames of existing accounts that load_demo did not create, so did not touch
    left_alone: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in (self.units, self.procedures, self.steps, self.counters, self.users))

    def summary(self) -> list[tuple[str, ImportResult]]:
        return [("Units", self.units), ("Procedures", self.procedures), ("Steps", self.steps),
                ("Counters", self.counters), ("Users", self.users)]


@transaction.atomic
def demo_load(*, stdout=None) -> DemoResult:
    """Load the demo province (as in December 2026, with its reorganisation of 1/7/2025) and its
    demo accounts; idempotent.

    Units, procedures, step templates and the reorganisation come from ``demo/data/*.csv`` through
    the normal imports (the reorganisation is recorded, its dossiers are moved by the history
    load); counters and accounts are declared above. Only accounts an earlier run created are updated
    (their passwords are reset only when they no longer match the published demo password, so a
    second run changes nothing); any other account with a demo username is left alone.
    """
    roles_sync()
    units = units_import(rows_or_file=DEMO_DIR / "units.csv")
    procedures = procedures_import(rows_or_file=DEMO_DIR / "procedures.csv")
    steps = procedure_steps_import(rows_or_file=DEMO_DIR / "procedure_steps.csv")
    reorganisations = _demo_reorganisation()
    counters = _demo_counters()
    users, accounts, left_alone = _demo_users()
    result = DemoResult(units=units, procedures=procedures, steps=steps, counters=counters, users=users, accounts=accounts,
                        reorganisations=reorganisations, left_alone=left_alone)
    if stdout is not None:
        for label, counts in result.summary():
            stdout.write(f"{label}: {counts}\n")
        if reorganisations:
            stdout.write(f"Reorganisation of 1/7/2025: {reorganisations} entries recorded\n")
        stdout.write("\n" + demo_accounts_table([a for a in accounts if a.active]) + "\n")
        former = [a.username for a in accounts if not a.active]
        if former:
            stdout.write("Tài khoản của đơn vị đã giải thể (chỉ còn trong lịch sử hồ sơ, không đăng nhập được): "
                         + ", ".join(former) + "\n")
        if left_alone:
            stdout.write("\nKhông đụng tới các tài khoản có sẵn không do dữ liệu mẫu tạo ra: " + ", ".join(left_alone) + "\n")
    return result


def _demo_reorganisation() -> int:
    """Record the demo's reorganisation of 1/7/2025 (each old unit's successor) through the
    normal service; a rerun finds it recorded. Its dossiers move when the history is loaded."""
    from dossiers.services.reorganisation import reorganisation_import

    before = Reorganisation.objects.count()
    reorganisation_import(REORGANISATION_FILE, move=False)
    return Reorganisation.objects.count() - before


def demo_catalogue_as_of(day: date) -> None:
    """Put the procedures whose competence changed on 1/7/2025 as they stood on `day`: before
    it, the district procedures of ``procedures_before_2025_07.csv`` (named district units, the
    district centres' receipt steps); from it, the catalogue in force. Through the normal
    imports; dossiers already received keep the lead unit and steps they were given."""
    if day < REFORM_DAY:
        procedures_import(rows_or_file=DEMO_DIR / "procedures_before_2025_07.csv")
        procedure_steps_import(rows_or_file=DEMO_DIR / "procedure_steps_before_2025_07.csv")
    else:
        procedures_import(rows_or_file=DEMO_DIR / "procedures.csv")
        procedure_steps_import(rows_or_file=DEMO_DIR / "procedure_steps.csv")


def _counter_sync(unit: Unit, number: int, name: str, field_names: list[str], result: ImportResult) -> None:
    fields = []
    for name_ in field_names:
        known, created = Field.objects.get_or_create(name=name_)
        result.fields_created += int(created)
        fields.append(known)
    counter = Counter.objects.filter(unit=unit, number=number).first()
    if counter is None:
        counter = Counter(unit=unit, number=number, name=name)
        counter.full_clean()
        counter.save()
        counter.fields.set(fields)
        result.created += 1
        return
    changed = False
    if counter.name != name or not counter.is_active:
        counter.name, counter.is_active = name, True
        counter.save(update_fields=["name", "is_active"])
        changed = True
    if set(counter.fields.values_list("pk", flat=True)) != {f.pk for f in fields}:
        counter.fields.set(fields)
        changed = True
    if changed:
        result.updated += 1
    else:
        result.unchanged += 1


def _demo_counters() -> ImportResult:
    result = ImportResult()
    demo_table = _read_table(DEMO_DIR / "units.csv", required=UNIT_REQUIRED, optional=UNIT_OPTIONAL)
    demo_codes = [row.get("code") for row in demo_table.rows]
    demo_units = Unit.objects.filter(code__in=demo_codes).order_by("code")
    plan: list[tuple[Unit, list[tuple[str, list[str]]]]] = [(Unit.objects.get(code=PROVINCE_CENTRE), PROVINCE_COUNTERS)]
    plan += [(u, DISTRICT_COUNTERS) for u in demo_units.filter(level=Unit.Level.DISTRICT, kind=Unit.Kind.SERVICE_CENTRE)]
    plan += [(u, COMMUNE_COUNTERS) for u in demo_units.filter(level=Unit.Level.COMMUNE, kind=Unit.Kind.PEOPLE_COMMITTEE)]
    for unit, counters in plan:
        for number, (name, field_names) in enumerate(counters, start=1):
            _counter_sync(unit, number, name, field_names, result)
    return result


def _demo_users() -> tuple[ImportResult, list[DemoAccountRow], list[str]]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    result = ImportResult()
    accounts: list[DemoAccountRow] = []
    left_alone: list[str] = []
    centre = Unit.objects.get(code=PROVINCE_CENTRE)
    username, password = DEMO_SUPERUSER
    specs = [(username, password, None, centre, None, {"first_name": "Quản trị", "last_name": "OneCua", "is_staff": True,
                                                      "is_superuser": True, "is_active": True}, "Quản trị viên cấp cao")]
    for staff in _demo_staff():
        unit = Unit.objects.get(code=staff.unit_code)
        counter = Counter.objects.get(unit=unit, number=staff.counter_number) if staff.counter_number else None
        # Only administrators reach the Django admin; everyone else works in the OneCua pages.
        attrs = {"first_name": staff.first_name, "last_name": staff.last_name,
                 "is_staff": staff.role == ADMINISTRATOR, "is_superuser": False}
        attrs["is_active"] = staff.active
        specs.append((staff.username, DEMO_STAFF_PASSWORD, staff.role, unit, counter, attrs, staff.title))

    for username, password, role, unit, counter, attrs, title in specs:
        user = User.objects.filter(username=username).first()
        if user is not None and not DemoAccount.objects.filter(user=user).exists():
            left_alone.append(username)  # somebody's own account: never reset its password
            continue
        created = user is None
        if created:
            user = User.objects.create(username=username, **attrs)
            DemoAccount.objects.create(user=user)
        changed = False
        for attr, value in attrs.items():
            if getattr(user, attr) != value:
                setattr(user, attr, value)
                changed = True
        if created or not user.check_password(password):
            user.set_password(password)
            changed = True
        if changed:
            user.save()
        groups = {role_group_name(role)} if role else set()
        if set(user.groups.values_list("name", flat=True)) != groups:
            user.groups.set(Group.objects.filter(name__in=groups))
            changed = True
        profile = StaffProfile.objects.filter(user=user).first()
        if profile is None:
            StaffProfile.objects.create(user=user, unit=unit, counter=counter, title=title)
            changed = True
        elif (profile.unit_id, profile.counter_id, profile.title) != (unit.pk, counter.pk if counter else None, title):
            profile.unit, profile.counter, profile.title = unit, counter, title
            profile.save()
            changed = True
        result.tally(created=created, changed=changed)
        label = str(ROLE_LABELS[role]) if role else "Quản trị cấp cao (superuser)"
        accounts.append(DemoAccountRow(username=username, role=label, unit=unit.name, password=password,
                                       active=attrs["is_active"]))
    return result, accounts, left_alone


def demo_accounts_table(accounts: list[DemoAccountRow]) -> str:
    """The demo accounts as a plain-text table (username, role, unit, password)."""
    header = DemoAccountRow("Tài khoản", "Vai trò", "Đơn vị", "Mật khẩu")
    rows = [header, *accounts]
    widths = [max(len(getattr(r, f)) for r in rows) for f in ("username", "role", "unit", "password")]
    lines = []
    for index, r in enumerate(rows):
        cells = [r.username, r.role, r.unit, r.password]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
