"""The first-login password change (interfaces.md "Organisation and catalogue", ``import_staff``).

An account given its password by an administrator (``import_staff`` with a ``password``) must
choose its own before it uses the pages: at login the flag of its staff profile is copied into
the session (one query per login, none per page), and every page then leads to
``/doi-mat-khau/`` until the new password is saved. The API is not concerned: systems log in
with the token endpoint, which accepts the imported password as it is.
"""
from __future__ import annotations

from urllib.parse import quote

from django.shortcuts import redirect
from django.urls import reverse

#: session key: this login must change its password first
SESSION_FLAG = "onecua_password_change_required"
#: paths that stay open meanwhile (the change page itself, logging out, assets, the API)
EXEMPT_PREFIXES = ("/static/", "/i18n/", "/api/")


def password_change_flag_on_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: remember in the session that this account must change its
    password (``StaffProfile.password_change_required``)."""
    from dossiers.models import StaffProfile

    if request is not None and StaffProfile.objects.filter(user=user, password_change_required=True).exists():
        request.session[SESSION_FLAG] = True


class PasswordChangeRequiredMiddleware:
    """Leads every page to the password change while the session says it is required."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(SESSION_FLAG) and request.user.is_authenticated:
            path = request.path_info
            target = reverse("password_change")
            if path not in (target, reverse("logout")) and not path.startswith(EXEMPT_PREFIXES):
                return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)
