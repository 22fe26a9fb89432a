"""`make run`'s demo citizens: evaluations of returned demo dossiers and some feedback, written
through the services, deterministic and loaded once."""
from datetime import date

import pytest

from demo.citizens import demo_citizens_load
from citizens.models import Evaluation, Feedback
from citizens.scoring import band_for

pytestmark = pytest.mark.django_db


def test_demo_citizens_evaluate_returned_dossiers_once_and_leave_feedback():
    from demo.catalogue import demo_load
    from demo.history import demo_dossiers_load

    demo_load()
    demo_dossiers_load(today=date(2022, 3, 14))
    result = demo_citizens_load()

    evaluations = list(Evaluation.objects.select_related("dossier"))
    assert result.evaluations == len(evaluations) >= 50
    for e in evaluations:
        assert e.dossier.returned_at is not None and e.submitted_at >= e.dossier.returned_at
        assert e.total == sum(e.points) and e.band == band_for(e.total)
        assert e.unit_id == e.dossier.resolving_unit_id
    bands = {e.band for e in evaluations}
    assert len(bands) >= 3  # not all alike: the pages have a distribution to show

    feedback = list(Feedback.objects.all())
    assert result.feedback == len(feedback) >= 5
    answered = [f for f in feedback if f.state == Feedback.State.ANSWERED]
    assert result.answered == len(answered) and 0 < len(answered) < len(feedback)
    assert all(f.answered_at > f.submitted_at and f.answered_by_id for f in answered)

    again = demo_citizens_load()
    assert (again.evaluations, again.feedback) == (0, 0)
    assert Evaluation.objects.count() == len(evaluations) and Feedback.objects.count() == len(feedback)
