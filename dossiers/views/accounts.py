"""The signed-in person's own account: the password change (``/doi-mat-khau/``).

Django's ``PasswordChangeView`` (fields ``old_password``, ``new_password1``, ``new_password2``,
interfaces.md). It is also where ``dossiers.middleware`` leads an account that must replace the
password an administrator gave it (``import_staff``); saving clears that requirement.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import PasswordChangeView
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from dossiers.middleware import SESSION_FLAG
from dossiers.services.staff_import import staff_password_changed


class PasswordChange(PasswordChangeView):
    template_name = "registration/password_change_form.html"

    def get_success_url(self) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, {self.request.get_host()},
                                                      require_https=self.request.is_secure()):
            return target
        return reverse("password_change_done")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "forced": bool(self.request.session.get(SESSION_FLAG)),
                "next": self.request.GET.get("next", "")}

    def form_valid(self, form):
        response = super().form_valid(form)  # saves, and keeps this session signed in
        staff_password_changed(user=form.user)
        self.request.session.pop(SESSION_FLAG, None)
        messages.success(self.request, _("Đã đổi mật khẩu."))
        return response


password_change = PasswordChange.as_view()
