"""Server-rendered pages for counter staff, officers and leaders.

Views only parse, call a service or selector, and render. Modules: ``intake`` (clerk),
``processing`` (lists, dossier page, actions), ``calendar_admin`` (working-day calendar).
"""
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse

from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, OFFICER, user_roles


@login_required
def home(request):
    """Send each user to the page they start their day on."""
    roles = user_roles(request.user)
    if COUNTER_CLERK in roles:
        return redirect(reverse("dossiers:worklist"))
    if OFFICER in roles:
        return redirect(reverse("dossiers:inbox"))
    if ADMINISTRATOR in roles and not request.user.is_superuser and not hasattr(request.user, "staff"):
        return redirect(reverse("dossiers:calendar"))
    return redirect(reverse("dossiers:list", args=["processing"]))
