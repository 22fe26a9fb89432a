"""Server-rendered pages for counter staff, officers and leaders.

Views only parse, call a service or selector, and render. Modules: ``intake`` (clerk),
``processing`` (lists, dossier page, actions), ``calendar_admin`` (working-day calendar).
"""
from django.shortcuts import redirect, render
from django.urls import reverse

from dossiers.roles import ADMINISTRATOR, COUNTER_CLERK, LEADER, OFFICER, user_roles


def home(request):
    """Anonymous visitors get the landing page; staff go to the page they start their day on."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    roles = user_roles(request.user)
    if COUNTER_CLERK in roles:
        return redirect(reverse("dossiers:worklist"))
    if OFFICER in roles:
        return redirect(reverse("dossiers:inbox"))
    if LEADER in roles:
        return redirect(reverse("monitoring:dashboard"))
    if ADMINISTRATOR in roles and not request.user.is_superuser and not hasattr(request.user, "staff"):
        return redirect(reverse("dossiers:calendar"))
    return redirect(reverse("dossiers:list", args=["processing"]))
