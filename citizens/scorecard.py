"""Bộ chỉ số 766 (Quyết định 766/QĐ-TTg, 23/6/2022; domain.md §7) for a unit's subtree and a
report period: every indicator of the five groups, computed where OneCua holds the data, and
marked "Chưa có dữ liệu trong OneCua" with the reason where it does not.

Definitions (named here so that a province changes them in one place):

- **2.1, definition B** (domain.md §6 B, D14): (early (8) + on time (9) + in progress within
  deadline (12)) / received (3), from ``reporting.selectors.report_figures``.
- **2.1, 766 variant** (domain.md §7 group 2, D7): the same, except that a dossier with more
  than one supplement request counts as late: it leaves the numerator (it stays in the
  denominator). "More than one" is read as Biểu 06's ``multi_supplement`` figure: resolved
  dossiers with ``Dossier.supplement_count > 1``, open ones with more than one request before
  the end of T.
- **2.2** average resolution time, in working days: for each dossier resolved in the period
  with a result or a refusal (withdrawn ones are left out: no resolution), the working days w
  with r < w ≤ e (r the receipt date, not counted, as D3; e the resolution date) minus the
  working days its supplement pauses held (p < w ≤ q, D7, q capped at e); averaged per
  procedure and overall, two decimals half up.
- **3.1** procedures offered online: active procedures of the scope's units with an online
  level (toàn trình or một phần, ``Procedure.online_level``) / active procedures; full marks
  at ≥ 80 %.
- **3.2** online services that received dossiers: of those online procedures, the ones with at
  least one dossier received online (new in the period, D12) / online procedures.
- **3.3** dossiers online: received online (4) / received new in the period (4) + (5); full
  marks at ≥ 50 %.
- **5.1** feedback by kind, **5.2** feedback answered on time (answered on or before its
  deadline / answered in the period; ``citizens.report``).
- **5.4** satisfaction with TTHC = 100 % − (% late + % with feedback or dissatisfaction), over
  the dossiers received (3): late = resolved late (10) + in progress overdue (13); "with
  feedback or dissatisfaction" = received dossiers with a feedback submitted in the period or
  an evaluation in the period below ``SATISFIED_MIN_TOTAL``. Computed on counts:
  max(0, (3) − late − with feedback) / (3). Full marks at ≥ 90 %.
- **5.5** (OneCua) citizens' evaluations: satisfied / evaluations (``citizens.report``).

**Points.** Below its threshold an indicator scores rate × max / threshold, capped at its max
(domain.md §7). The maxima of single indicators are not in domain.md (only the group maxima 1 =
18 and 2 ≤ 20, themselves [S]), so OneCua shows the share of the indicator's maximum reached,
min(rate / threshold, 1), and no points.

Rates are percentages with two decimals rounded half up; a zero denominator is "—" (D14).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Evaluation, Feedback
from citizens.report import feedback_figures, satisfaction_figures
from citizens.scoring import SATISFIED_MIN_TOTAL
from dossiers import calendar as wcal
from dossiers.models import Channel, Dossier, Outcome, Procedure, Unit
from dossiers.selectors import calendar_get
from reporting.periods import Period
from reporting.selectors import Window, decimal_half_up, rate_percent, report_dossiers, report_figures, scope_unit_ids

#: full-marks thresholds (percent) of domain.md §7
THRESHOLD_PROCEDURES_ONLINE = 80
THRESHOLD_DOSSIERS_ONLINE = 50
THRESHOLD_TTHC_SATISFACTION = 90

#: outcomes whose time counts in the average resolution time (2.2)
RESOLUTION_TIME_OUTCOMES = (Outcome.APPROVED, Outcome.REFUSED)

#: group number -> ``hook(period=, unit=, totals=) -> [Indicator]`` from the app holding the data
#: (the ``papers`` app computes group 4); a group without a hook says "Chưa có dữ liệu".
GROUP_HOOKS: dict = {}

COMPUTED = "computed"
MISSING = "missing"

GROUPS = (
    (1, _("Công khai, minh bạch"), 18),
    (2, _("Tiến độ, kết quả giải quyết"), 20),
    (3, _("Cung cấp dịch vụ trực tuyến"), None),
    (4, _("Số hóa hồ sơ"), None),
    (5, _("Mức độ hài lòng"), None),
)


@dataclass
class Indicator:
    """One indicator: its formula in words, and either its figures or why there are none."""

    code: str
    title: str
    formula: str = ""
    status: str = COMPUTED
    numerator: int | None = None
    denominator: int | None = None
    numerator_label: str = ""
    denominator_label: str = ""
    rate: str | None = None  # percent, "12.34"; None: "—" or not a rate
    value_text: str = ""  # the figure when it is not a rate (counts, days)
    threshold: int | None = None
    attainment: str | None = None  # percent of the indicator's maximum reached
    note: str = ""
    reason: str = ""
    links: list[tuple] = field(default_factory=list)  # (label, kind, figure): the lists behind the figures
    details: list[dict] = field(default_factory=list)

    @property
    def computed(self) -> bool:
        return self.status == COMPUTED


def attainment_percent(numerator: int, denominator: int, threshold: int) -> str | None:
    """min(rate / threshold, 1) in percent: the share of the indicator's maximum reached
    ("score = rate × max / threshold, capped at max", divided by max)."""
    if not denominator:
        return None
    return rate_percent(min(numerator * 100, denominator * threshold), denominator * threshold)


def missing(code: str, title: str, reason: str, *, threshold: int | None = None) -> Indicator:
    return Indicator(code=code, title=title, status=MISSING, reason=reason, threshold=threshold)


# --- group 2 -----------------------------------------------------------------------------------


def on_time_766(totals: dict) -> tuple[int, int]:
    """2.1 definition B: ((8) + (9) + (12), (3))."""
    return (totals["resolved_early"] + totals["resolved_on_time"] + totals["in_progress_within"],
            totals["received_total"])


def on_time_766_multi_supplement_excluded(*, period: Period, unit: Unit | None) -> int:
    """How many dossiers of the numerator of definition B had more than one supplement request
    (the 766 variant counts them as late)."""
    multi = report_dossiers(period=period, figure="multi_supplement", scope_unit=unit).values("pk")
    return sum(report_dossiers(period=period, figure=figure, scope_unit=unit).filter(pk__in=multi).count()
               for figure in ("resolved_early", "resolved_on_time", "in_progress_within"))


def resolution_working_days(dossier: Dossier, cal) -> int:
    """Working days used by a resolved dossier (``dossiers.calendar.working_days_used``)."""
    return wcal.working_days_used(
        receipt=dossier.receipt_date or timezone.localdate(dossier.received_at),
        end=dossier.resolved_on,
        pauses=[wcal.Pause(p.requested_at, p.completed_at) for p in dossier.pauses.all()],
        cal=cal,
    )


def resolution_times(*, period: Period, unit: Unit | None) -> dict:
    """2.2: ``{"dossiers", "days", "average", "procedures": [...]}``; per procedure its code,
    name, legal time, number of dossiers and average working days."""
    scope = scope_unit_ids(unit)
    qs = Dossier.objects.filter(resolved_on__gte=period.start, resolved_on__lte=period.end,
                                outcome__in=RESOLUTION_TIME_OUTCOMES, received_at__isnull=False)
    if scope is not None:
        qs = qs.filter(resolving_unit_id__in=scope)
    qs = qs.select_related("procedure").prefetch_related("pauses").only(
        "pk", "receipt_date", "received_at", "resolved_on", "procedure__code", "procedure__name",
        "procedure__processing_time", "procedure__time_unit")
    cal = calendar_get()
    per: dict[int, list] = defaultdict(lambda: [None, 0, 0])
    n = days = 0
    for d in qs.iterator(chunk_size=2000):
        used = resolution_working_days(d, cal)
        row = per[d.procedure_id]
        row[0] = d.procedure
        row[1] += 1
        row[2] += used
        n += 1
        days += used
    procedures = [{"code": p.code, "name": p.name, "legal_time": p.time_text(), "dossiers": k, "days": s,
                   "average": decimal_half_up(s, k)}
                  for p, k, s in sorted(per.values(), key=lambda r: r[0].code)]
    return {"dossiers": n, "days": days, "average": decimal_half_up(days, n), "procedures": procedures}


# --- group 3 -----------------------------------------------------------------------------------


def _procedures(unit: Unit | None):
    scope = scope_unit_ids(unit)
    qs = Procedure.objects.filter(is_active=True)
    return qs if scope is None else qs.filter(resolving_unit_id__in=scope)


def procedures_online(*, unit: Unit | None) -> tuple[int, int]:
    """3.1: (active procedures with an online level, active procedures) of the scope."""
    qs = _procedures(unit)
    return qs.exclude(online_level="").count(), qs.count()


def online_services_with_dossiers(*, period: Period, unit: Unit | None) -> tuple[int, int]:
    """3.2: (online procedures with a dossier received online in the period, online procedures)."""
    w = Window.of_period(period)
    online = _procedures(unit).exclude(online_level="")
    used = online.filter(dossiers__channel=Channel.ONLINE, dossiers__received_at__gte=w.start_at,
                         dossiers__received_at__lt=w.end_at).distinct()
    return used.count(), online.count()


# --- group 5 -----------------------------------------------------------------------------------


def dossiers_with_feedback_or_dislike(*, period: Period, unit: Unit | None) -> int:
    """Received dossiers (3) with a feedback submitted in the period, or an evaluation in the
    period below the satisfied minimum."""
    received = report_dossiers(period=period, figure="received_total", scope_unit=unit)
    fb = Feedback.objects.filter(submitted_on__gte=period.start, submitted_on__lte=period.end).values("dossier_id")
    dislike = Evaluation.objects.filter(submitted_on__gte=period.start, submitted_on__lte=period.end,
                                        total__lt=SATISFIED_MIN_TOTAL).values("dossier_id")
    return received.filter(Q(pk__in=fb) | Q(pk__in=dislike)).count()


def tthc_satisfaction(*, totals: dict, with_feedback: int) -> tuple[int, int, int]:
    """5.4 on counts: (satisfied numerator, late, received) with numerator =
    max(0, (3) − ((10) + (13)) − with feedback)."""
    late = totals["resolved_late"] + totals["in_progress_overdue"]
    received = totals["received_total"]
    return max(0, received - late - with_feedback), late, received


# --- the scorecard ----------------------------------------------------------------------------------


def _rate_indicator(code, title, formula, n, d, n_label, d_label, *, threshold=None, note="", links=None,
                    details=None) -> Indicator:
    return Indicator(code=code, title=title, formula=formula, numerator=n, denominator=d, numerator_label=n_label,
                     denominator_label=d_label, rate=rate_percent(n, d), threshold=threshold,
                     attainment=attainment_percent(n, d, threshold) if threshold else None, note=note,
                     links=links or [], details=details or [])


NO_PUBLICATION = _("OneCua không lưu ngày công bố, công khai thủ tục hành chính; dữ liệu này nằm trên "
                   "Cơ sở dữ liệu quốc gia về TTHC.")
NO_SYNC = _("OneCua chưa kết nối đồng bộ hồ sơ với Cổng Dịch vụ công quốc gia.")
NO_PAYMENT = _("OneCua không ghi nhận việc thanh toán phí, lệ phí (trực tuyến hay trực tiếp).")
NO_DIGITISATION = _("OneCua không lưu tệp kết quả điện tử và thành phần hồ sơ số hóa.")
NO_POPULATION_DB = _("OneCua chưa kết nối Cơ sở dữ liệu quốc gia về dân cư.")
NO_PAKN_RATING = _("Người gửi phản ánh, kiến nghị chưa được mời đánh giá câu trả lời; tham khảo điểm "
                   "trung bình tiêu chí 8 ở mục 5.5.")


def scorecard(*, period: Period, unit: Unit | None) -> dict:
    """Every indicator of the five groups for `unit`'s subtree in `period`:
    ``{"groups": [{"number", "title", "max", "indicators": [Indicator]}], "totals", ...}``."""
    report = report_figures(period=period, unit=unit)
    t = report["totals"]

    # Group 2
    n_b, d_b = on_time_766(t)
    excluded = on_time_766_multi_supplement_excluded(period=period, unit=unit)
    times = resolution_times(period=period, unit=unit)
    g2 = [
        _rate_indicator(
            "2.1", _("Tỷ lệ hồ sơ giải quyết đúng hạn (định nghĩa B)"),
            _("(Trước hạn (8) + Đúng hạn (9) + Đang giải quyết trong hạn (12)) / Số hồ sơ nhận giải quyết (3)"),
            n_b, d_b, _("hồ sơ đã và đang xử lý đúng hạn, trong hạn"), _("hồ sơ nhận giải quyết trong kỳ"),
            note=_("Như tỷ lệ theo Bộ chỉ số 766 trên Biểu 06 (D14)."),
            links=[(_("Trước hạn (8)"), "dossiers", "resolved_early"), (_("Đúng hạn (9)"), "dossiers", "resolved_on_time"),
                   (_("Trong hạn (12)"), "dossiers", "in_progress_within"),
                   (_("Nhận giải quyết (3)"), "dossiers", "received_total")]),
        _rate_indicator(
            "2.1a", _("Tỷ lệ đúng hạn theo Bộ chỉ số 766 (bổ sung hơn một lần tính là quá hạn)"),
            _("(Trước hạn + Đúng hạn + Trong hạn − hồ sơ trong số đó bị yêu cầu bổ sung hơn một lần) / "
              "Số hồ sơ nhận giải quyết (3)"),
            n_b - excluded, d_b, _("hồ sơ đúng hạn, trong hạn và bổ sung không quá một lần"),
            _("hồ sơ nhận giải quyết trong kỳ"),
            note=_("Quyết định 766 coi hồ sơ phải bổ sung hơn một lần là quá hạn: %(n)s hồ sơ đúng hạn hoặc "
                   "trong hạn bị tính là quá hạn.") % {"n": excluded},
            links=[(_("Bổ sung hơn một lần"), "dossiers", "multi_supplement")]),
        Indicator(
            code="2.2", title=_("Thời gian giải quyết trung bình một hồ sơ TTHC"),
            formula=_("Tổng số ngày làm việc đã dùng (từ sau ngày tiếp nhận đến ngày có kết quả, trừ thời gian "
                      "chờ bổ sung) / Số hồ sơ có kết quả hoặc từ chối trong kỳ"),
            numerator=times["days"], denominator=times["dossiers"], numerator_label=_("ngày làm việc"),
            denominator_label=_("hồ sơ có kết quả hoặc từ chối trong kỳ (không tính hồ sơ rút)"),
            value_text=times["average"], details=times["procedures"]),
    ]

    # Group 3
    n31, d31 = procedures_online(unit=unit)
    n32, d32 = online_services_with_dossiers(period=period, unit=unit)
    new = t["received_online"] + t["received_direct_postal"]
    postal = report_dossiers(period=period, figure="received_direct_postal", scope_unit=unit).filter(
        channel=Channel.POSTAL).count()
    channels = [
        {"label": _("Trực tuyến"), "n": t["received_online"], "rate": rate_percent(t["received_online"], new)},
        {"label": _("Trực tiếp"), "n": t["received_direct_postal"] - postal,
         "rate": rate_percent(t["received_direct_postal"] - postal, new)},
        {"label": _("Bưu chính công ích"), "n": postal, "rate": rate_percent(postal, new)},
    ]
    g3 = [
        _rate_indicator("3.1", _("Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến"),
                        _("Số TTHC đang áp dụng có dịch vụ công trực tuyến (toàn trình hoặc một phần) / "
                          "Số TTHC đang áp dụng của đơn vị"),
                        n31, d31, _("TTHC có dịch vụ trực tuyến"), _("TTHC đang áp dụng"),
                        threshold=THRESHOLD_PROCEDURES_ONLINE),
        _rate_indicator("3.2", _("Tỷ lệ dịch vụ công trực tuyến có phát sinh hồ sơ"),
                        _("Số dịch vụ trực tuyến có hồ sơ tiếp nhận trực tuyến trong kỳ / Số dịch vụ trực tuyến"),
                        n32, d32, _("dịch vụ có hồ sơ trực tuyến"), _("dịch vụ trực tuyến")),
        _rate_indicator("3.3", _("Tỷ lệ hồ sơ nộp trực tuyến"),
                        _("Số hồ sơ tiếp nhận mới trực tuyến (4) / Số hồ sơ tiếp nhận mới trong kỳ (4) + (5)"),
                        t["received_online"], new, _("hồ sơ trực tuyến"), _("hồ sơ tiếp nhận mới"),
                        threshold=THRESHOLD_DOSSIERS_ONLINE, details=channels,
                        links=[(_("Trực tuyến (4)"), "dossiers", "received_online"),
                               (_("Trực tiếp, bưu chính (5)"), "dossiers", "received_direct_postal")]),
        missing("3.4", _("Tỷ lệ TTHC có thu phí, lệ phí được thanh toán trực tuyến"), NO_PAYMENT, threshold=80),
        missing("3.5", _("Tỷ lệ hồ sơ thanh toán trực tuyến"), NO_PAYMENT),
    ]

    # Group 5
    fb = feedback_figures(period=period, unit=unit)
    sat = satisfaction_figures(period=period, unit=unit)
    with_feedback = dossiers_with_feedback_or_dislike(period=period, unit=unit)
    n54, late, received = tthc_satisfaction(totals=t, with_feedback=with_feedback)
    g5 = [
        Indicator(code="5.1", title=_("Phản ánh, kiến nghị theo loại"),
                  formula=_("Số phản ánh, kiến nghị nhận trong kỳ, theo loại"),
                  value_text=str(fb["received_total"]),
                  details=[{"label": _("Phản ánh"), "n": fb["received_complaint"]},
                           {"label": _("Kiến nghị"), "n": fb["received_proposal"]}],
                  links=[(_("Phản ánh"), "feedback", "received_complaint"), (_("Kiến nghị"), "feedback", "received_proposal")]),
        _rate_indicator("5.2", _("Tỷ lệ phản ánh, kiến nghị được trả lời đúng hạn"),
                        _("Số trả lời trong kỳ không muộn hơn hạn trả lời / Số trả lời trong kỳ"),
                        fb["answered_on_time"], fb["answered_total"], _("trả lời đúng hạn"), _("trả lời trong kỳ"),
                        links=[(_("Trả lời đúng hạn"), "feedback", "answered_on_time"),
                               (_("Trả lời muộn"), "feedback", "answered_late")]),
        missing("5.3", _("Mức độ hài lòng về tiếp nhận, xử lý phản ánh, kiến nghị"), NO_PAKN_RATING),
        _rate_indicator("5.4", _("Mức độ hài lòng trong tiếp nhận, giải quyết TTHC"),
                        _("100% − (% hồ sơ quá hạn + % hồ sơ có phản ánh, kiến nghị hoặc không hài lòng), trên số "
                          "hồ sơ nhận giải quyết (3): ((3) − (10) − (13) − hồ sơ có PAKN/không hài lòng) / (3)"),
                        n54, received, _("hồ sơ không quá hạn, không có PAKN/không hài lòng"),
                        _("hồ sơ nhận giải quyết trong kỳ"), threshold=THRESHOLD_TTHC_SATISFACTION,
                        note=_("Quá hạn: %(late)s hồ sơ ((10) + (13)); có phản ánh, kiến nghị trong kỳ hoặc đánh giá "
                               "dưới %(min)s điểm: %(fb)s hồ sơ.") % {"late": late, "min": SATISFIED_MIN_TOTAL,
                                                                    "fb": with_feedback}),
        _rate_indicator("5.5", _("Tỷ lệ người dân hài lòng qua phiếu đánh giá (OneCua)"),
                        _("Số phiếu đánh giá từ %(min)s/18 điểm / Số phiếu đánh giá trong kỳ") % {"min": SATISFIED_MIN_TOTAL},
                        sat["satisfied"], sat["evaluations"], _("phiếu hài lòng"), _("phiếu đánh giá"),
                        note=_("Điểm trung bình: %(avg)s/18.") % {"avg": (sat["average_total"] or "—").replace(".", ",")},
                        links=[(_("Phiếu hài lòng"), "evaluations", "satisfied"),
                               (_("Phiếu đánh giá"), "evaluations", "evaluations")]),
    ]

    g1 = [
        missing("1.1", _("TTHC được công bố, công khai đúng hạn"), NO_PUBLICATION),
        missing("1.2", _("TTHC được cập nhật, công khai trên Cơ sở dữ liệu quốc gia đúng hạn"), NO_PUBLICATION),
        missing("1.3", _("TTHC được công khai đầy đủ nội dung"), NO_PUBLICATION),
        missing("1.4", _("Tỷ lệ hồ sơ được đồng bộ lên Cổng Dịch vụ công quốc gia"), NO_SYNC),
    ]
    g4 = GROUP_HOOKS[4](period=period, unit=unit, totals=t) if 4 in GROUP_HOOKS else [
        missing("4.1", _("Tỷ lệ hồ sơ cấp kết quả điện tử"), NO_DIGITISATION),
        missing("4.2", _("Tỷ lệ hồ sơ được số hóa"), NO_DIGITISATION, threshold=80),
        missing("4.3", _("Tỷ lệ tái sử dụng dữ liệu số hóa"), NO_DIGITISATION, threshold=80),
        missing("4.4", _("Khai thác, sử dụng Cơ sở dữ liệu quốc gia về dân cư"), NO_POPULATION_DB),
    ]
    by_group = {1: g1, 2: g2, 3: g3, 4: g4, 5: g5}
    groups = [{"number": n, "title": title, "max": mx, "indicators": by_group[n]} for n, title, mx in GROUPS]
    return {"period": period, "groups": groups, "totals": t, "satisfaction": sat, "feedback": fb,
            "computed": sum(1 for g in groups for i in g["indicators"] if i.computed),
            "missing": sum(1 for g in groups for i in g["indicators"] if not i.computed)}
