"""Staff roles as Django groups with real permissions.

``roles_sync()`` (run after every migrate) creates the groups and gives each exactly the
permissions listed here, so a role's rights are reviewed in one place.
"""
from django.utils.translation import gettext_lazy as _


COUNTER_CLERK = "counter_clerk"
OFFICER = "officer"
LEADER = "leader"
ADMINISTRATOR = "administrator"

#: role code -> (group name as staff read it, permissions "app_label.codename")
ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    COUNTER_CLERK: (
        "Cán bộ một cửa",
        (
            "dossiers.view_unit",
            "dossiers.view_procedure",
            "dossiers.view_field",
            "dossiers.view_counter",
            "dossiers.view_calendaroverride",
        ),
    ),
    OFFICER: (
        "Chuyên viên xử lý",
        (
            "dossiers.view_unit",
            "dossiers.view_procedure",
            "dossiers.view_field",
            "dossiers.view_calendaroverride",
        ),
    ),
    LEADER: (
        "Lãnh đạo",
        (
            "dossiers.view_unit",
            "dossiers.view_procedure",
            "dossiers.view_field",
            "dossiers.view_counter",
            "dossiers.view_staffprofile",
            "dossiers.view_calendaroverride",
        ),
    ),
    ADMINISTRATOR: (
        "Quản trị hệ thống",
        tuple(
            f"dossiers.{action}_{model}"
            for model in ("unit", "field", "counter", "staffprofile", "procedure", "procedurestep", "calendaroverride")
            for action in ("view", "add", "change", "delete")
        )
        + ("auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group"),
    ),
}

ROLE_LABELS = {code: _(name) for code, (name, _perms) in ROLES.items()}

#: permissions added to roles by later modules (dossier work, reports) register here
EXTRA_PERMISSIONS: dict[str, list[str]] = {code: [] for code in ROLES}


def role_group_name(role: str) -> str:
    return ROLES[role][0]


def user_roles(user) -> set[str]:
    """The role codes of a user (from group membership); superusers hold every role."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(ROLES)
    cached = getattr(user, "_onecua_roles", None)  # one query per request, not per check
    if cached is None:
        cached = roles_of_groups(user.groups.values_list("name", flat=True))
        user._onecua_roles = cached
    return set(cached)


def roles_of_groups(group_names) -> frozenset[str]:
    """The role codes whose groups are among `group_names`."""
    names = set(group_names)
    return frozenset(code for code, (name, _perms) in ROLES.items() if name in names)


def roles_sync() -> None:
    """Create the role groups and set their permissions exactly as declared (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    for code, (name, perms) in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = list(perms) + EXTRA_PERMISSIONS.get(code, [])
        objs = []
        for perm in wanted:
            app_label, codename = perm.split(".", 1)
            try:
                objs.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
            except Permission.DoesNotExist as exc:
                raise RuntimeError(f"Role {code}: permission {perm} does not exist") from exc
        group.permissions.set(objs)


# --- who may take a dossier in ----------------------------------------------------------------

#: the intake pseudo-action (not a workflow transition)
INTAKE = "intake"

#: who may take a dossier in (at the receiving unit of their staff profile): counter clerks only;
#: an administrator takes dossiers in only as a counter clerk of that unit (domain.md D17). Who
#: may act on a dossier once it is in is ``dossiers.core.WHO_MAY``: by the unit it is at.
INTAKE_ROLES = frozenset({COUNTER_CLERK})

#: roles an assignee must hold (the person who will do the processing step)
ASSIGNEE_ROLES = frozenset({OFFICER, LEADER})
