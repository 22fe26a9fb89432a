"""Read-only admin of the roll-ups and frozen reports: derived or published data is never
edited by hand (roll-ups are rebuilt with ``manage.py rollup``; frozen reports never change)."""
from django.contrib import admin

from dossiers.admin import ReadOnlyAdmin
from reporting.models import (
    DailyReceipt, DailyStatistic, DailyStock, FrozenReport, RollupDay, RollupRun, SegmentStatistic,
)


@admin.register(DailyStatistic)
class DailyStatisticAdmin(ReadOnlyAdmin):
    list_display = ("day", "resolving_unit", "procedure", "channel", "received", "resolved", "resolved_early",
                    "resolved_on_time", "resolved_late")
    list_filter = ("channel", "resolving_unit__level")
    date_hierarchy = "day"
    list_select_related = ("resolving_unit", "procedure")
    search_fields = ("resolving_unit__code", "procedure__code")


@admin.register(DailyStock)
class DailyStockAdmin(ReadOnlyAdmin):
    list_display = ("day", "resolving_unit", "field", "open_total", "open_within", "open_overdue")
    list_filter = ("resolving_unit__level",)
    date_hierarchy = "day"
    list_select_related = ("resolving_unit", "field")


@admin.register(DailyReceipt)
class DailyReceiptAdmin(ReadOnlyAdmin):
    list_display = ("day", "receiving_unit", "resolving_unit", "received")
    date_hierarchy = "day"
    list_select_related = ("receiving_unit", "resolving_unit")
    search_fields = ("receiving_unit__code", "resolving_unit__code")


@admin.register(SegmentStatistic)
class SegmentStatisticAdmin(ReadOnlyAdmin):
    list_display = ("segment", "resolving_unit", "field", "received_online", "received_direct_postal", "resolved")
    date_hierarchy = "segment"
    list_select_related = ("resolving_unit", "field")


@admin.register(RollupDay)
class RollupDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "rebuilt_at", "has_stock", "rows", "dossiers", "seconds")
    date_hierarchy = "day"


@admin.register(RollupRun)
class RollupRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "first_day", "last_day", "days")


@admin.register(FrozenReport)
class FrozenReportAdmin(ReadOnlyAdmin):
    list_display = ("kind", "number", "year", "basis", "scope", "frozen_by_name", "frozen_at")
    list_filter = ("kind", "basis", "year")
    exclude = ("figures",)
    readonly_fields = ("basis", "kind", "year", "number", "start", "end", "unit", "scope", "frozen_by",
                       "frozen_by_name", "frozen_at", "note")
