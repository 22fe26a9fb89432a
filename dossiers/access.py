"""Who may open which page: ONE table that the views check and the left menu reads (issue 14), so
that nobody is offered a link that answers 403.

``PAGE_RULES`` maps a URL name to a rule ``rule(user, roles) -> bool`` (roles from
``dossiers.roles.user_roles``). Superusers pass every rule; a page without a rule is open to any
logged-in user. Other apps add their pages' rules in their ``AppConfig.ready()`` (``page_rule``),
as they add their menu entries, so that ``dossiers`` never imports them.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, INTAKE_ROLES, LEADER, user_roles

Rule = Callable[[object, set], bool]

#: URL name -> (rule, the 403 message shown to whoever the rule keeps out)
PAGE_RULES: dict[str, tuple[Rule, str]] = {}


def page_rule(name: str, rule: Rule, message: str) -> None:
    """Register (or replace) the rule of the page named `name`."""
    PAGE_RULES[name] = (rule, message)


def page_allowed(user, name: str) -> bool:
    """Whether `user` may open the page named `name` (what the view will answer: not 403)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or name not in PAGE_RULES:
        return True
    return bool(PAGE_RULES[name][0](user, user_roles(user)))


def page_required(name: str):
    """View decorator: logged in (else the login page), then the page's rule (else 403 with the
    rule's message)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not page_allowed(request.user, name):
                raise PermissionDenied(PAGE_RULES[name][1])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def has_role(*wanted: str) -> Rule:
    wanted_set = frozenset(wanted)
    return lambda user, roles: bool(roles & wanted_set)


COUNTER = has_role(COUNTER_CLERK, ADMINISTRATOR)
LEADERS = has_role(LEADER, ADMINISTRATOR)
ADMINS = has_role(ADMINISTRATOR)
MSG_COUNTER = "Chỉ cán bộ một cửa được tiếp nhận hồ sơ."
MSG_ADMIN = "Chỉ quản trị hệ thống được dùng trang này."

# taking a dossier in is an act on it: counter clerks only, administrators too only as clerks (D17)
page_rule("dossiers:intake", has_role(*INTAKE_ROLES), MSG_COUNTER)
page_rule("dossiers:worklist", COUNTER, MSG_COUNTER)
page_rule("dossiers:counter_slip", COUNTER, MSG_COUNTER)
page_rule("dossiers:register", has_role(COUNTER_CLERK, LEADER, ADMINISTRATOR),
          "Chỉ cán bộ một cửa, lãnh đạo và quản trị được in sổ theo dõi hồ sơ.")
page_rule("dossiers:calendar_override", ADMINS, MSG_ADMIN)
page_rule("dossiers:reorganisation", ADMINS, MSG_ADMIN)
page_rule("dossiers:reorganisation_progress", ADMINS, MSG_ADMIN)
# Django's admin site lets in staff accounts only (administrators are made staff).
page_rule("admin:index", lambda user, roles: user.is_staff, MSG_ADMIN)
