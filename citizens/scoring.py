"""Satisfaction scoring rules (domain.md §5): nine criteria, 0–2 points each, 18 at most.

The bands published by one provincial implementation overlap at their edges (">15 Xuất sắc,
12–15 Tốt, 9–12 Khá, 6–9 Trung bình, <6 Yếu"); OneCua resolves the overlap by giving each
edge score to the higher band, and counts an evaluation as *satisfied* from the "Khá" band up.
Both are named here so that a province can change them in one place.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

CRITERIA_COUNT = 9
MAX_POINTS_PER_CRITERION = 2
MAX_TOTAL = CRITERIA_COUNT * MAX_POINTS_PER_CRITERION

# The nine criteria, in the order of the provincial evaluation sheet (domain.md §5).
CRITERIA = (
    _("Tổng thời gian giải quyết TTHC so với quy định của pháp luật"),
    _("Thời gian thực hiện của từng cơ quan, đơn vị tham gia giải quyết (kể cả đơn vị phối hợp)"),
    _("Số lần phải liên hệ với nơi tiếp nhận hồ sơ để hoàn thiện hồ sơ (kể cả trực tuyến)"),
    _("Số lượng cơ quan, đơn vị, tổ chức phải liên hệ để hoàn thiện hồ sơ (kể cả trực tuyến)"),
    _("Thực hiện tổ chức tiếp nhận hồ sơ, giải quyết, trả kết quả tại Bộ phận Một cửa"),
    _("Công khai các thủ tục hành chính"),
    _("Thái độ của cán bộ, công chức, viên chức khi hướng dẫn lập hồ sơ, tiếp nhận hồ sơ và giải quyết TTHC"),
    _("Tiếp thu, giải trình đối với các ý kiến phản ánh, kiến nghị của tổ chức, cá nhân"),
    _("Tiến độ và chất lượng cung cấp dịch vụ công trực tuyến của cơ quan có thẩm quyền"),
)


class Band(models.TextChoices):
    EXCELLENT = "excellent", _("Xuất sắc")
    GOOD = "good", _("Tốt")
    FAIR = "fair", _("Khá")
    AVERAGE = "average", _("Trung bình")
    POOR = "poor", _("Yếu")


# (lowest total of the band, band), highest first.
BAND_FLOORS = (
    (16, Band.EXCELLENT),
    (12, Band.GOOD),
    (9, Band.FAIR),
    (6, Band.AVERAGE),
    (0, Band.POOR),
)

# An evaluation counts as "satisfied" (hài lòng) from this total up (the "Khá" band).
SATISFIED_MIN_TOTAL = 9


def band_for(total: int) -> Band:
    if not 0 <= total <= MAX_TOTAL:
        raise ValueError(f"total {total} outside 0..{MAX_TOTAL}")
    for floor, band in BAND_FLOORS:
        if total >= floor:
            return band
    raise AssertionError("unreachable")


def is_satisfied(total: int) -> bool:
    return total >= SATISFIED_MIN_TOTAL
