"""``import_staff``: staff accounts from a CSV file (interfaces.md "Organisation and catalogue").

Columns ``username, full_name, unit_code, role, email[, password]``; ``role`` is ``clerk``,
``officer``, ``leader`` or ``administrator`` (the groups of ``dossiers.roles``). The file is read
and reported like the catalogue files (``dossiers.services.catalogue``: UTF-8, one header row,
every problem as ``line N, column C: reason``, all or nothing, ``--dry-run``).

- A row creates the account or updates the one with that username (name, email, unit, role);
  a username missing from the file is left alone. Other groups than the four roles are kept.
- ``full_name`` is split at its last space into Django's first and last name ("Nguyễn Thị" +
  "Hoa"), so that ``get_full_name()`` gives it back.
- ``email`` may be empty; when given it must be an e-mail address.
- A ``password`` must pass the password validators (``AUTH_PASSWORD_VALIDATORS``) and is stored
  hashed; the pages then ask for a new one at the first login (``password_change_required``),
  the API's token endpoint accepts it as it is. It is applied to a new account, to one without a
  usable password, and to one whose earlier imported password has not been changed yet; it never
  replaces a password the person chose (re-importing an onboarding file resets nobody).
- Without a password a new account gets an unusable password until an administrator sets one;
  an existing account keeps its own.
- ``administrator`` accounts may open the Django admin (``is_staff``); the others may not.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation

from dossiers.models import StaffProfile, Unit
from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER, ROLES, role_group_name, roles_sync
from dossiers.services.catalogue import (
    ImportResult,
    RowsOrFile,
    _check_duplicate,
    _choice,
    _code,
    _read_table,
    _required,
)

STAFF_REQUIRED = ("username", "full_name", "unit_code", "role", "email")
STAFF_OPTIONAL = ("password",)
#: the file's role names -> role codes of ``dossiers.roles``
ROLE_CODES = {"clerk": COUNTER_CLERK, "officer": OFFICER, "leader": LEADER, "administrator": ADMINISTRATOR}
FULL_NAME_MAX = 150  # Django's first_name and last_name are 150 each: any split of 150 fits
USERNAME_MAX = 150


@dataclass
class _StaffRow:
    line: int
    username: str
    first_name: str
    last_name: str
    unit: Unit
    role: str
    email: str
    password: str  # "" when none was given


def _split_name(full_name: str) -> tuple[str, str]:
    first, _space, last = full_name.rpartition(" ")
    return first, last


def _check_row(table, row, units: dict[str, Unit], today) -> _StaffRow | None:
    """Every check of one row (all reported); the parsed row when it is good."""
    errors = table.errors
    username = _required(table, row, "username", max_length=USERNAME_MAX)
    if username is not None:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            errors.add(row.line, "username", f"“{username}” is not a valid username (letters, digits and @ . + - _ only)")
            username = None
    full_name = _required(table, row, "full_name", max_length=FULL_NAME_MAX)
    code = _code(table, row, "unit_code")
    unit = None
    if code is not None:
        unit = units.get(code)
        if unit is None:
            errors.add(row.line, "unit_code", f"unknown unit {code}")
        elif unit.valid_to is not None and unit.valid_to < today:
            errors.add(row.line, "unit_code", f"unit {code} ended on {unit.valid_to.isoformat()}")
            unit = None
    role = _choice(table, row, "role", list(ROLE_CODES))
    email = "" if "email" in row.bad else row.get("email")
    if email:
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors.add(row.line, "email", f"“{email[:80]}” is not a valid e-mail address")
            email = None
    password = "" if "password" in row.bad else row.get("password")
    if password and username and full_name:
        first, last = _split_name(full_name)
        probe = get_user_model()(username=username, first_name=first, last_name=last, email=email or "")
        with translation.override("en"):  # the file's messages are English, as the other imports'
            try:
                password_validation.validate_password(password, user=probe)
            except ValidationError as exc:
                errors.add(row.line, "password", "; ".join(str(m) for m in exc.messages))
                password = None
    if None in (username, full_name, unit, role, email, password) or row.bad:
        return None
    first, last = _split_name(full_name)
    return _StaffRow(row.line, username, first, last, unit, ROLE_CODES[role], email, password)


@transaction.atomic
def staff_import(*, rows_or_file: RowsOrFile, dry_run: bool = False) -> ImportResult:
    """Create or update staff accounts from a CSV file (rules in the module docstring), all or
    nothing: ``ImportFileError`` lists every ``line N, column C: reason``."""
    table = _read_table(rows_or_file, required=STAFF_REQUIRED, optional=STAFF_OPTIONAL, raw=("password",))
    units = {u.code: u for u in Unit.objects.filter(code__in={row.get("unit_code") for row in table.rows})}
    today = timezone.localdate()
    seen: dict[str, int] = {}
    wanted: list[_StaffRow] = []
    for row in table.rows:
        parsed = _check_row(table, row, units, today)
        username = row.get("username")
        if username and _check_duplicate(table, row, "username", username, seen, f"username {username}"):
            continue
        if parsed is not None:
            wanted.append(parsed)
    table.errors.raise_if_any()

    roles_sync()
    groups = {code: Group.objects.get(name=role_group_name(code)) for code in ROLES}
    role_group_ids = {g.pk for g in groups.values()}
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[r.username for r in wanted])}
    profiles = {p.user_id: p for p in StaffProfile.objects.filter(user__in=users.values())}
    result = ImportResult()
    for r in wanted:
        user = users.get(r.username)
        created = user is None
        profile = None if created else profiles.get(user.pk)
        changed = _user_apply(user or User(username=r.username), r, profile, created, groups, role_group_ids)
        result.tally(created=created, changed=changed)
    if dry_run:
        transaction.set_rollback(True)
    return result


def _user_apply(user, r: _StaffRow, profile: StaffProfile | None, created: bool, groups, role_group_ids) -> bool:
    """Write one row onto its account and staff profile; whether anything changed."""
    attrs: dict[str, Any] = {"first_name": r.first_name, "last_name": r.last_name, "email": r.email,
                             "is_active": True, "is_staff": r.role == ADMINISTRATOR or user.is_superuser}
    changed = [name for name, value in attrs.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, attrs[name])
    must_change = profile.password_change_required if profile else False
    if r.password and (created or not user.has_usable_password() or must_change):
        if created or not user.check_password(r.password):
            user.set_password(r.password)
            changed.append("password")
        must_change = True
    elif created:
        user.set_unusable_password()
    if changed or created:
        user.save()
    wanted_groups = {groups[r.role].pk}
    current = set(user.groups.values_list("pk", flat=True)) if not created else set()
    if current & role_group_ids != wanted_groups:
        user.groups.remove(*(current & role_group_ids - wanted_groups))
        user.groups.add(*wanted_groups)
        changed.append("role")
    if profile is None:
        StaffProfile.objects.create(user=user, unit=r.unit, password_change_required=must_change)
        changed.append("profile")
    elif (profile.unit_id, profile.password_change_required) != (r.unit.pk, must_change):
        if profile.unit_id != r.unit.pk:
            profile.unit, profile.counter = r.unit, None  # a counter belongs to the old unit
        profile.password_change_required = must_change
        profile.save()
        changed.append("profile")
    return bool(changed)


def staff_password_changed(*, user) -> None:
    """The person set a password of their own: the pages stop asking for one."""
    StaffProfile.objects.filter(user=user, password_change_required=True).update(password_change_required=False)
