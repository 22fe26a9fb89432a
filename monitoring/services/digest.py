"""The supervisors' daily digest (beat ``monitoring-supervisor-digest``, 07:30).

One outbox message per leader and working day (``digest:<user>:<date>``, so a second run the
same day queues nothing), with the big numbers of the leader's dashboard scope and the most
overdue dossiers. A leader with no open dossier in scope gets no digest. On a non-working day
(weekend, holiday, nghỉ bù; a làm bù Saturday is a working day) nothing is sent.
"""
from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from dossiers import calendar as wcal
from dossiers.roles import LEADER, role_group_name
from dossiers.selectors import calendar_get
from monitoring import selectors as sel
from monitoring.services.outbox import outbox_enqueue_digest, outbox_kick_on_commit

User = get_user_model()


def supervisor_digest_enqueue(*, now: datetime | None = None, cal: wcal.WorkCalendar | None = None) -> int:
    """Queue today's digest for every active leader with a staff profile. Returns how many
    were newly queued (0 on a non-working day or on a second run)."""
    clock = sel.Clock.at(now, cal)
    cal = cal or calendar_get()
    if not cal.is_working_day(clock.today):
        return 0
    leaders = (
        User.objects.filter(is_active=True, groups__name=role_group_name(LEADER), staff__isnull=False)
        .select_related("staff").distinct().order_by("pk")
    )
    queued = 0
    with transaction.atomic():
        for leader in leaders:  # one aggregate query per leader, not per dossier
            facts = sel.digest_facts(user=leader, clock=clock)
            if not facts["totals"]["open"]:
                continue
            queued += outbox_enqueue_digest(user=leader, facts=facts, day=clock.today)
        if queued:
            outbox_kick_on_commit()
    return queued
