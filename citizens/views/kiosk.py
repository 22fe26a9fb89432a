"""The counter kiosk (máy đánh giá tại quầy): a touch screen where a citizen who has just got
the result rates it by the nine criteria, then the screen goes back to its start.

The kiosk is shared by everybody at the counter, so the verified dossier lives in the session
only between the code check and the submit (``SESSION_KIOSK``), never in a URL, and is dropped
when the start screen shows again. The code comes typed, or from a QR scanner that types the
receipt's lookup link into the code field (``citizens.forms.code_from_input``).

Its lookups have their own budget (``citizens.ratelimit.kiosk_rate_exceeded``), per kiosk
device: a clerk or administrator opens ``/danh-gia-tai-quay/thiet-bi/`` once on the kiosk PC,
which stores a signed device cookie (random id, salted signature, five years). A browser without
one is counted per address in the kiosk's scope, never in the public lookup's. The per-code
failure lock applies here as everywhere.
"""
from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from citizens.forms import EvaluationForm, LookupForm
from citizens.models import Evaluation
from citizens.qr import CODE_PARAM
from citizens.scoring import MAX_TOTAL, Band
from citizens import ratelimit
from citizens.services import MSG_ALREADY_EVALUATED, MSG_NOT_RETURNED, evaluation_submit
from citizens.views.public import (
    MSG_NO_MATCH, PUBLIC_CONTEXT, checked_dossier, client_address, code_locked_response, rate_limited_response,
)
from dossiers import hooks
from dossiers.models import Dossier
from dossiers.views.intake import clerk_required
from onecua.forms import add_service_errors

SESSION_KIOSK = "citizens_kiosk"
SESSION_KIOSK_DONE = "citizens_kiosk_done"
#: seconds the thank-you screen stays before the kiosk returns to its start screen
KIOSK_THANKS_SECONDS = 12
#: seconds an untouched evaluation screen waits before giving up (the citizen walked away)
KIOSK_IDLE_SECONDS = 180

#: the signed cookie that makes a browser a registered kiosk device
KIOSK_COOKIE = "onecua_kiosk"
KIOSK_COOKIE_SALT = "citizens.kiosk.device"
KIOSK_COOKIE_AGE = 5 * 365 * 24 * 60 * 60

KIOSK_CONTEXT = {**PUBLIC_CONTEXT, "kiosk": True, "thanks_seconds": KIOSK_THANKS_SECONDS, "idle_seconds": KIOSK_IDLE_SECONDS}


def kiosk_device_id(request) -> str | None:
    return request.get_signed_cookie(KIOSK_COOKIE, default=None, salt=KIOSK_COOKIE_SALT, max_age=KIOSK_COOKIE_AGE)


def kiosk_rate_exceeded(request) -> bool:
    device = kiosk_device_id(request)
    return ratelimit.kiosk_rate_exceeded(f"device:{device}" if device else f"address:{client_address(request)}")


@never_cache
@clerk_required
def kiosk_device(request):
    """Register this browser as a counter kiosk (its own lookup budget), or show that it is one."""
    device = kiosk_device_id(request)
    if request.method == "POST":
        response = redirect("citizens:kiosk")
        response.set_signed_cookie(
            KIOSK_COOKIE, device or secrets.token_urlsafe(12), salt=KIOSK_COOKIE_SALT, max_age=KIOSK_COOKIE_AGE,
            httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
    return render(request, "citizens/public/kiosk_device.html", {"device": device})


@never_cache
def kiosk_start(request):
    template = "citizens/public/kiosk_start.html"
    if request.method == "POST":
        form = LookupForm(request.POST)
        if kiosk_rate_exceeded(request):
            return rate_limited_response(request, template, {**KIOSK_CONTEXT, "form": form})
        if form.is_valid():
            dossier, locked = checked_dossier(form.cleaned_data["code"], form.cleaned_data["digits"])
            if locked:
                return code_locked_response(request, template, {**KIOSK_CONTEXT, "form": form})
            if dossier is None:
                form.add_error(None, MSG_NO_MATCH)
            elif dossier.returned_at is None:
                form.add_error(None, MSG_NOT_RETURNED)
            elif Evaluation.objects.filter(dossier=dossier).exists():
                form.add_error(None, MSG_ALREADY_EVALUATED)
            else:
                request.session[SESSION_KIOSK] = dossier.pk
                return redirect("citizens:kiosk_evaluate")
    else:
        request.session.pop(SESSION_KIOSK, None)  # a new citizen starts from scratch
        form = LookupForm(initial={"code": request.GET.get(CODE_PARAM, "")[:100]})
    return render(request, template, {**KIOSK_CONTEXT, "form": form})


@never_cache
def kiosk_evaluate(request):
    dossier_id = request.session.get(SESSION_KIOSK)
    dossier = Dossier.objects.select_related("procedure").filter(pk=dossier_id).first() if dossier_id else None
    if dossier is None:
        return redirect("citizens:kiosk")
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = evaluation_submit(
                dossier=dossier, points=form.points(), comment=form.cleaned_data["comment"],
                source=Evaluation.Source.KIOSK,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session.pop(SESSION_KIOSK, None)
            request.session[SESSION_KIOSK_DONE] = {"total": evaluation.total, "band": evaluation.band}
            return redirect("citizens:kiosk_thanks")
    context = {**KIOSK_CONTEXT, "form": form, "code": dossier.code, "procedure": dossier.procedure.name,
               "start_url": reverse("citizens:kiosk"),
               "panels": hooks.panels(hooks.KIOSK_PANELS, request, dossier)}  # papers: electronic result or not
    return render(request, "citizens/public/kiosk_evaluate.html", context, status=400 if form.errors else 200)


@never_cache
def kiosk_thanks(request):
    done = request.session.pop(SESSION_KIOSK_DONE, None)
    if not done:
        return redirect("citizens:kiosk")
    return render(request, "citizens/public/kiosk_thanks.html", {
        **KIOSK_CONTEXT, "total": done["total"], "max_total": MAX_TOTAL, "band": done["band"], "band_label": Band(done["band"]).label,
        "start_url": reverse("citizens:kiosk"),
    })
