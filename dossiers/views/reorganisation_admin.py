"""Reorganisations for administrators (domain.md D20): upload a file, see what would move, confirm,
watch the move.

The page only parses and renders: the file is checked and previewed by
``dossiers.services.reorganisation`` (the same code as ``import_reorganisation --dry-run``);
confirming records the entries and hands the move to a Celery task; the progress comes from the
reorganisations' rows, polled as JSON.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.models import Reorganisation
from dossiers.roles import ADMINISTRATOR, user_roles
from dossiers.services.catalogue import ImportFileError
from dossiers.services.reorganisation import entries_read_checked, preview, reorganisation_progress, reorganisation_start

MAX_BYTES = 1024 * 1024


def _require_admin(user) -> None:
    if not (user.is_superuser or ADMINISTRATOR in user_roles(user)):
        raise PermissionDenied(_("Chỉ quản trị hệ thống được dùng trang này."))


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Tệp sắp xếp đơn vị (CSV UTF-8)"), required=False,
                           help_text=gettext_lazy("Cột: old_code, successor_code, effective_date (YYYY-MM-DD), legal_basis"))
    content = forms.CharField(widget=forms.HiddenInput, required=False)


@login_required
def reorganisation_page(request):
    _require_admin(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    rows, problems, content = None, [], ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        if upload is not None:
            if upload.size > MAX_BYTES:
                problems = [_("Tệp lớn hơn 1 MB.")]
            else:
                content = upload.read().decode("utf-8", errors="surrogateescape")
        else:
            content = form.cleaned_data.get("content") or ""
        if not content.strip() and not problems:
            problems = [_("Chọn tệp CSV để xem trước.")]
        if not problems:
            try:
                checked = entries_read_checked(content.encode("utf-8", errors="surrogateescape"))
            except ImportFileError as exc:
                problems = exc.lines
            else:
                if request.POST.get("confirm") == "1":
                    try:
                        ids = reorganisation_start(content.encode("utf-8", errors="surrogateescape"), actor=request.user)
                    except ImportFileError as exc:
                        problems = exc.lines
                    else:
                        messages.success(request, _("Đã ghi nhận sắp xếp đơn vị; hồ sơ đang được chuyển."))
                        return redirect(reverse("dossiers:reorganisation") + "?theo-doi=" + ",".join(map(str, ids)))
                else:
                    rows = preview(checked.new, recorded=checked.recorded)
    watched = [int(x) for x in request.GET.get("theo-doi", "").split(",") if x.isdigit()]
    recorded = Reorganisation.objects.select_related("old_unit", "successor").order_by("-effective_date", "old_unit__code")[:200]
    return render(request, "dossiers/reorganisation.html", {
        "form": form, "rows": rows, "problems": problems, "content": content,
        "total": sum(r.total for r in rows) if rows else 0,
        "still_named": [r for r in rows if r.procedures or r.staff] if rows else [],
        "recorded": recorded, "watched": ",".join(map(str, watched)),
        "progress": reorganisation_progress(watched) if watched else None,
    })


@login_required
def reorganisation_progress_json(request):
    _require_admin(request.user)
    ids = [int(x) for x in request.GET.get("ids", "").split(",") if x.isdigit()][:500]
    return JsonResponse(reorganisation_progress(ids))
