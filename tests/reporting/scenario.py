"""A hand-written history around regulatory Q1/2022 (15/12/2021 – 14/03/2022) with the figures
every dossier must be counted in, worked out by hand from D9–D14 (comments give the dates).

Holidays (holidays 0.109): Tết 31/01 – 04/02/2022; 03/01/2022 nghỉ bù for 01/01 (a Saturday).
"""
from __future__ import annotations

from dossiers.models import Dossier
from dossiers.services import lifecycle as lc

from .conftest import APPLICANT, at, receiving_unit_for

#: dossier name -> figures of regulatory Q1/2022 it is counted in (absent: not counted)
EXPECTED_Q1_REGULATORY = {
    # received Fri 10/12/2021, D = Fri 17/12; resolved Thu 16/12 → carried, early
    "carried_early": {"carried_over", "resolved_early"},
    # received Sun 12/12 (online), resolved Tue 14/12 → resolved before S: not counted
    "resolved_before": set(),
    # online at 23:59:59 on Tue 14/12 → local date 14/12 < S: carried; D = Tue 21/12; resolved 22/12 → late
    "edge_carried_late": {"carried_over", "resolved_late"},
    # online at 00:00:00 on Wed 15/12 → new; D = Wed 22/12; resolved 22/12 16:00 → on time
    "edge_new_on_time": {"received_online", "resolved_on_time"},
    # received 20/11/2021, resolved at 23:59:59 on 14/12 → not counted
    "resolved_last_second": set(),
    # received Sat 20/11/2021 (r = Mon 22/11, D = 29/11), refused at 00:00:00 on 15/12 → carried, late
    "resolved_first_second": {"carried_over", "resolved_late"},
    # build20 received Mon 07/03/2022: D = Mon 04/04 → open and within at T
    "open_within": {"received_direct_postal", "in_progress_within"},
    # received Tue 01/03, D = Tue 08/03; open at T (resolved 16/03 after T) → overdue
    "open_overdue": {"received_direct_postal", "in_progress_overdue"},
    # received Mon 07/03, D = Mon 14/03; paused Wed 09/03 (p ≤ D), resumed 21/03 → within at T
    "paused_within": {"received_direct_postal", "in_progress_within"},
    # received Tue 01/03, D = Tue 08/03; paused Thu 10/03 (p > D: already late) → overdue at T
    "paused_overdue": {"received_direct_postal", "in_progress_overdue"},
    # 4 tại chỗ: same-day procedure received Wed 02/03 09:00, completed at once → on time
    "on_the_spot": {"received_direct_postal", "on_the_spot", "resolved_on_time"},
    # online submission rejected, and one never accepted → not counted (D10)
    "rejected": set(),
    "submitted": set(),
    # online Tue 01/02 (Tết) → r = Mon 07/02, D = Thu 10/02; withdrawn Tue 08/02 → early, withdrawn
    "withdrawn": {"received_online", "resolved_early", "withdrawn"},
    # commune 2 days, received Mon 10/01: D 12/01 → 13/01 → 14/01 after two pauses; approved 13/01
    "two_supplements": {"received_direct_postal", "resolved_early", "multi_supplement"},
    # two requests, the second still open at T (p = 11/03 ≤ D) → within, multi
    "two_supplements_open": {"received_direct_postal", "in_progress_within", "multi_supplement"},
    # 4 office hours from Wed 02/03 14:00 → due_at Thu 03/03 08:30; resolved 03/03 10:00 → late
    "hours_late": {"received_direct_postal", "resolved_late"},
    # received Tue 15/03/2022 → after T: not counted
    "after_period": set(),
    # district, calendar days: received Mon 14/02, D = 01/03; refused Wed 02/03 → late
    "district_refused_late": {"received_direct_postal", "resolved_late"},
    # postal, received Fri 11/03 → direct + postal, open, within (D = Fri 18/03)
    "postal_open": {"received_direct_postal", "in_progress_within"},
    # online submitted Sat 12/03, accepted Mon 14/03 08:00 → new (R = acceptance), open, within (D = 17/03)
    "accepted_online": {"received_online", "in_progress_within"},
}


def build(rorg, rprocs, actor) -> dict:
    """Create the history of EXPECTED_Q1_REGULATORY through the lifecycle services."""
    p = rprocs
    out = {}

    def reg(name, proc, when, channel="direct", **kw):
        d = lc.dossier_register(procedure=proc, receiving_unit=receiving_unit_for(proc, rorg), channel=channel,
                                applicant=APPLICANT, actor=actor, received_at=when, **kw)
        out[name] = d
        return d

    def start(d, when):  # the counter's hand-over (D18); the unit D17 names acts (actor None)
        return lc.dossier_transfer(dossier=d, actor=None, at=when)

    def ready(d):
        """At the lead unit's final step (handed over at receipt if it was not yet)."""
        d = Dossier.objects.get(pk=d.pk)
        if d.state == "received":
            d = lc.dossier_transfer(dossier=d, actor=None, at=d.received_at)
        case = lc.case_of(d)
        while case.current() is not None and case.current().order < case.lead_final().order:
            d = lc.dossier_transfer(dossier=d, actor=None, at=d.received_at)
            case = lc.case_of(d)
        return d

    d = reg("carried_early", p["justice5"], at(2021, 12, 10))
    start(d, at(2021, 12, 10, 10))
    lc.dossier_approve(dossier=ready(d), actor=None, at=at(2021, 12, 16, 15))

    d = reg("resolved_before", p["justice5"], at(2021, 12, 12, 20), channel="online")
    lc.dossier_approve(dossier=ready(d), actor=None, at=at(2021, 12, 14, 10))

    d = reg("edge_carried_late", p["justice5"], at(2021, 12, 14, 23, 59, 59), channel="online")
    lc.dossier_approve(dossier=ready(d), actor=None, at=at(2021, 12, 22, 9))

    d = reg("edge_new_on_time", p["justice5"], at(2021, 12, 15, 0, 0, 0), channel="online")
    lc.dossier_approve(dossier=ready(d), actor=None, at=at(2021, 12, 22, 16))

    d = reg("resolved_last_second", p["justice5"], at(2021, 11, 20))
    lc.dossier_approve(dossier=ready(d), actor=None, at=at(2021, 12, 14, 23, 59, 59))

    d = reg("resolved_first_second", p["justice5"], at(2021, 11, 20))
    lc.dossier_refuse(dossier=d, actor=None, reason="Không đủ điều kiện", at=at(2021, 12, 15, 0, 0, 0))

    d = reg("open_within", p["build20"], at(2022, 3, 7))
    start(d, at(2022, 3, 7, 10))

    d = reg("open_overdue", p["justice5"], at(2022, 3, 1))
    start(d, at(2022, 3, 1, 10))
    lc.dossier_approve(dossier=ready(d), actor=None, at=at(2022, 3, 16, 10))

    d = reg("paused_within", p["justice5"], at(2022, 3, 7))
    start(d, at(2022, 3, 7, 10))
    lc.dossier_request_supplement(dossier=ready(d), actor=None, reason="Thiếu bản sao", at=at(2022, 3, 9, 10))
    lc.dossier_resume(dossier=d, actor=None, at=at(2022, 3, 21, 9))

    d = reg("paused_overdue", p["justice5"], at(2022, 3, 1))
    start(d, at(2022, 3, 1, 10))
    lc.dossier_request_supplement(dossier=ready(d), actor=None, reason="Thiếu bản sao", at=at(2022, 3, 10, 10))

    d = reg("on_the_spot", p["commune_same_day"], at(2022, 3, 2), on_the_spot=True)
    lc.dossier_on_the_spot_complete(dossier=d, actor=None, at=at(2022, 3, 2, 9, 20))

    d = reg("rejected", p["justice5"], at(2022, 1, 10), channel="online", submit_only=True)
    lc.dossier_reject(dossier=d, actor=None, reason="Sai thủ tục", at=at(2022, 1, 10, 14))
    reg("submitted", p["justice5"], at(2022, 3, 14, 8), channel="online", submit_only=True)

    d = reg("withdrawn", p["district3"], at(2022, 2, 1, 10), channel="online")
    lc.dossier_withdraw(dossier=d, actor=None, reason="Người nộp xin rút", at=at(2022, 2, 8, 9))

    d = reg("two_supplements", p["commune2"], at(2022, 1, 10))
    start(d, at(2022, 1, 10, 9, 30))
    lc.dossier_request_supplement(dossier=ready(d), actor=None, reason="Thiếu giấy chứng sinh", at=at(2022, 1, 10, 14))
    lc.dossier_resume(dossier=d, actor=None, at=at(2022, 1, 11, 9))
    lc.dossier_request_supplement(dossier=ready(d), actor=None, reason="Sai thông tin", at=at(2022, 1, 11, 15))
    lc.dossier_resume(dossier=d, actor=None, at=at(2022, 1, 12, 9))
    lc.dossier_approve(dossier=ready(d), actor=None, at=at(2022, 1, 13, 10))

    d = reg("two_supplements_open", p["justice5"], at(2022, 3, 7))
    start(d, at(2022, 3, 7, 10))
    lc.dossier_request_supplement(dossier=ready(d), actor=None, reason="Thiếu tờ khai", at=at(2022, 3, 8, 10))
    lc.dossier_resume(dossier=d, actor=None, at=at(2022, 3, 9, 10))
    lc.dossier_request_supplement(dossier=ready(d), actor=None, reason="Sai tờ khai", at=at(2022, 3, 11, 10))

    d = reg("hours_late", p["commune_hours"], at(2022, 3, 2, 14))
    start(d, at(2022, 3, 2, 14, 5))
    lc.dossier_approve(dossier=ready(d), actor=None, at=at(2022, 3, 3, 10))

    reg("after_period", p["justice5"], at(2022, 3, 15, 8))

    d = reg("district_refused_late", p["district_cal15"], at(2022, 2, 14))
    start(d, at(2022, 2, 14, 10))
    lc.dossier_refuse(dossier=d, actor=None, reason="Không phù hợp quy hoạch", at=at(2022, 3, 2, 9))

    reg("postal_open", p["justice5"], at(2022, 3, 11, 10), channel="postal")

    d = reg("accepted_online", p["district3"], at(2022, 3, 12, 21), channel="online", submit_only=True)
    lc.dossier_accept(dossier=d, actor=None, at=at(2022, 3, 14, 8))

    for name, d in out.items():
        d.refresh_from_db()
    return out
