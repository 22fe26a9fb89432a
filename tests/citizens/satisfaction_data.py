"""Hand-made evaluations and feedback for the satisfaction, feedback and scorecard tests, written
straight with the ORM (the citizens' services are tested on their own). The expected figures are
worked out by hand in the docstrings and comments.
"""
from __future__ import annotations

from datetime import date, datetime, time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from citizens.models import Evaluation, Feedback
from citizens.scoring import band_for
from dossiers.calendar import LOCAL_TZ
from dossiers.models import StaffProfile
from dossiers.roles import LEADER, role_group_name, roles_sync
from dossiers.services import lifecycle as lc
from tests.reporting.conftest import APPLICANT, at, receiving_unit_for

PASSWORD = "mat-khau-thu-nghiem"

#: seven evaluations, criteria c1..c9; totals 18, 16, 15, 12, 9, 8, 3 (sum 81).
#: average 81/7 = 11.571… → "11.57"; bands: excellent 2 (18, 16), good 2 (15, 12), fair 1 (9),
#: average 1 (8), poor 1 (3); satisfied (≥ 9) 5/7 = 71.428…% → "71.43".
#: criterion sums 11, 11, 11, 9, 9, 9, 8, 7, 6 → averages 1.57, 1.57, 1.57, 1.29, 1.29, 1.29,
#: 1.14, 1.00, 0.86.
SEVEN = (
    (2, 2, 2, 2, 2, 2, 2, 2, 2),
    (2, 2, 2, 2, 2, 2, 2, 1, 1),
    (2, 2, 2, 2, 2, 2, 1, 1, 1),
    (2, 2, 2, 1, 1, 1, 1, 1, 1),
    (1, 1, 1, 1, 1, 1, 1, 1, 1),
    (1, 1, 1, 1, 1, 1, 1, 1, 0),
    (1, 1, 1, 0, 0, 0, 0, 0, 0),
)
SEVEN_CRITERIA_AVERAGES = ["1.57", "1.57", "1.57", "1.29", "1.29", "1.29", "1.14", "1.00", "0.86"]


def local(d: date, hh: int = 10) -> datetime:
    return datetime.combine(d, time(hh), tzinfo=LOCAL_TZ)


def make_dossier(procs, org, actor, *, name: str = "", when: datetime | None = None, proc: str = "justice5"):
    p = procs[proc]
    return lc.dossier_register(procedure=p, receiving_unit=receiving_unit_for(p, org), channel="direct",
                               applicant={**APPLICANT, "name": name or APPLICANT["name"]}, actor=actor,
                               received_at=when or at(2021, 12, 1))


def evaluate(dossier, points, *, on: date, officer=None, source=Evaluation.Source.KIOSK) -> Evaluation:
    """An evaluation of `dossier` with criteria `points`, counted under its resolving unit."""
    total = sum(points)
    return Evaluation.objects.create(
        dossier=dossier, **{f"c{i}": v for i, v in enumerate(points, 1)}, total=total, band=band_for(total),
        source=source, submitted_at=local(on), submitted_on=on, unit=dossier.resolving_unit, officer=officer)


def feedback(dossier, *, kind="complaint", submitted: date, due: date, answered: date | None = None) -> Feedback:
    return Feedback.objects.create(
        dossier=dossier, kind=kind, content="Nội dung phản ánh", submitted_at=local(submitted), submitted_on=submitted,
        answer_due=due, unit=dossier.resolving_unit,
        state=Feedback.State.ANSWERED if answered else Feedback.State.OPEN,
        answer="Đã tiếp thu" if answered else "", answered_at=local(answered, 15) if answered else None,
        answered_on=answered)


def make_leader(username: str, unit, **kw):
    roles_sync()
    kw.setdefault("first_name", username.title())
    u = get_user_model().objects.create_user(username, password=PASSWORD, **kw)
    u.groups.add(Group.objects.get(name=role_group_name(LEADER)))
    StaffProfile.objects.create(user=u, unit=unit)
    return u


def make_officer(username: str, unit, first_name: str):
    u = get_user_model().objects.create_user(username, password=PASSWORD, first_name=first_name)
    StaffProfile.objects.create(user=u, unit=unit)
    return u
