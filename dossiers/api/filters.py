"""Query filters of ``GET /api/v1/dossiers/`` (interfaces.md "REST API (v1)").

Only parsing: "overdue" is ``selectors.dossiers_overdue`` at this instant (hour deadlines too).
Dates are local dates (Asia/Ho_Chi_Minh): ``received_from=2022-01-28`` includes a dossier
received at 00:30 local time on that day.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone

from dossiers.models import Channel, Dossier
from dossiers.selectors import dossiers_overdue, search_ranked, user_unit_ids
from dossiers.workflow import DossierState

def _local_midnight(day: date) -> datetime:
    """The first instant of `day` in the local zone (Asia/Ho_Chi_Minh)."""
    return timezone.make_aware(datetime.combine(day, time.min))


#: the API speaks ISO 8601 whatever the caller's language (forms would also take dd/mm/yyyy)
ISO_DATE = ["%Y-%m-%d"]


class DossierFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        # no DISTINCT (django-filter's default for this filter): a column of the row itself, and
        # a DISTINCT over every column made PostgreSQL sort instead of walking an index
        field_name="state", choices=DossierState.choices, distinct=False,
        help_text="Trạng thái hồ sơ; lặp lại tham số để lấy nhiều trạng thái (status=received&status=in_processing).",
    )
    procedure = django_filters.CharFilter(field_name="procedure__code", help_text="Mã thủ tục.")
    field = django_filters.NumberFilter(
        field_name="procedure__field_id", help_text="Mã (id) lĩnh vực.",
        # An id: a whole number within the database's integer range (a huge one is a 400, not a 500).
        min_value=1, max_value=2**63 - 1, decimal_places=0,
    )
    unit = django_filters.CharFilter(
        method="filter_unit",
        help_text="Mã định danh đơn vị: hồ sơ do đơn vị tiếp nhận, chủ trì hoặc đang xử lý.",
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices, help_text="Hình thức nộp.")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        help_text="true: hồ sơ đang giải quyết đã quá hạn hôm nay; false: mọi hồ sơ khác.",
    )
    # A local date is a range of instants (from its local midnight), so that the receipt
    # index serves it: ``received_at::date`` in the local zone is a function of the column.
    received_from = django_filters.DateFilter(
        field_name="received_at", method="filter_received_from", input_formats=ISO_DATE,
        help_text="Tiếp nhận từ ngày (YYYY-MM-DD, giờ Việt Nam).",
    )
    received_to = django_filters.DateFilter(
        field_name="received_at", method="filter_received_to", input_formats=ISO_DATE,
        help_text="Tiếp nhận đến hết ngày (YYYY-MM-DD).",
    )
    due_before = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", input_formats=ISO_DATE, help_text="Ngày hẹn trả đến hết ngày này (YYYY-MM-DD, tính cả ngày đó)."
    )
    assigned_to = django_filters.CharFilter(field_name="assigned_to__username", help_text="Tên đăng nhập người xử lý.")
    q = django_filters.CharFilter(method="filter_q", help_text=(
        "Tìm theo mã hồ sơ (hoặc phần đầu của mã), số CCCD, số điện thoại hoặc họ tên người nộp, "
        "không phân biệt hoa thường và dấu; kết quả khớp nhất trước."
    ))

    class Meta:
        model = Dossier
        fields: list[str] = []

    def filter_unit(self, queryset, name, value):
        return queryset.filter(
            Q(receiving_unit__code=value) | Q(resolving_unit__code=value) | Q(current_unit__code=value)
        )

    def filter_received_from(self, queryset, name, value):
        return queryset.filter(received_at__gte=_local_midnight(value))

    def filter_received_to(self, queryset, name, value):
        if value >= date.max:  # to the end of time: no bound
            return queryset
        return queryset.filter(received_at__lt=_local_midnight(value + timedelta(days=1)))

    def filter_overdue(self, queryset, name, value):
        now = timezone.now()
        overdue = dossiers_overdue(on=timezone.localdate(now), qs=queryset, now=now)
        if value:
            return overdue
        return queryset.exclude(pk__in=overdue.values("pk"))

    def filter_q(self, queryset, name, value):
        """The staff search (``selectors.search_ranked``): matching rows, best match first."""
        if not value.strip():
            return queryset
        return search_ranked(queryset, value, unit_ids=user_unit_ids(self.request.user))
