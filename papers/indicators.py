"""Index 766 group 4 (số hóa hồ sơ) from the stored papers (domain.md D21), for the scorecard.

- **4.1** dossiers with an electronic result (a result PDF signed by the lead unit) / dossiers
  resolved (7).
- **4.2** digitised dossiers (every checklist item has a file) / dossiers received (3); full
  marks at ≥ 80 %.
- **4.3** dossiers with at least one reused paper / dossiers received (3); full marks at ≥ 80 %.
Registered as ``citizens.scorecard.GROUP_HOOKS[4]``.
"""
from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from papers.models import Document

THRESHOLD_DIGITISED = 80
THRESHOLD_REUSED = 80


def _electronic(qs):
    signed = Document.objects.filter(dossier=OuterRef("pk"), kind=Document.Kind.RESULT, signed=True,
                                     signing_unit=OuterRef("resolving_unit"))
    return qs.filter(Exists(signed)).count()


def _reused(qs):
    return qs.filter(Exists(Document.objects.filter(dossier=OuterRef("pk"), origin=Document.Origin.REUSED))).count()


def _digitised(qs):
    """Counted in Python over the dossiers that hold any application paper (the checklist's
    length lives in the procedure's text)."""
    rows = (Document.objects.filter(dossier__in=qs, kind=Document.Kind.APPLICATION)
            .values_list("dossier_id", "checklist_item", "dossier__procedure__documents").distinct())
    items: dict[int, set] = {}
    sizes: dict[int, int] = {}
    for dossier_id, item, documents in rows.iterator():
        items.setdefault(dossier_id, set()).add(item)
        sizes[dossier_id] = len([line for line in (documents or "").splitlines() if line.strip()])
    return sum(1 for d, got in items.items() if (got >= set(range(1, sizes[d] + 1)) if sizes[d] else got))


def group4(*, period, unit, totals) -> list:
    from citizens.scorecard import NO_POPULATION_DB, _rate_indicator, missing
    from reporting.selectors import report_dossiers

    received = report_dossiers(period=period, figure="received_total", scope_unit=unit)
    resolved = report_dossiers(period=period, figure="resolved_total", scope_unit=unit)
    n_received, n_resolved = received.count(), resolved.count()
    return [
        _rate_indicator("4.1", _("Tỷ lệ hồ sơ cấp kết quả điện tử"),
                        _("Số hồ sơ có kết quả PDF ký số (PAdES) của cơ quan chủ trì / Số hồ sơ đã giải quyết (7)"),
                        _electronic(resolved), n_resolved, _("hồ sơ có kết quả điện tử"), _("hồ sơ đã giải quyết")),
        _rate_indicator("4.2", _("Tỷ lệ hồ sơ được số hóa"),
                        _("Số hồ sơ có tệp cho mọi giấy tờ trong danh mục / Số hồ sơ nhận giải quyết (3)"),
                        _digitised(received), n_received, _("hồ sơ đã số hóa đủ"), _("hồ sơ nhận giải quyết"),
                        threshold=THRESHOLD_DIGITISED),
        _rate_indicator("4.3", _("Tỷ lệ tái sử dụng dữ liệu số hóa"),
                        _("Số hồ sơ có ít nhất một giấy tờ tái sử dụng / Số hồ sơ nhận giải quyết (3)"),
                        _reused(received), n_received, _("hồ sơ có giấy tờ tái sử dụng"), _("hồ sơ nhận giải quyết"),
                        threshold=THRESHOLD_REUSED),
        missing("4.4", _("Khai thác, sử dụng Cơ sở dữ liệu quốc gia về dân cư"), NO_POPULATION_DB),
    ]
