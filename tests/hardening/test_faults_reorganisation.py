"""Faults: a Celery worker SIGKILLed in the middle of a reorganisation's move (D20), then rerun.

The pattern of ``test_faults``: a real worker subprocess runs the real task on this test
database; the test holds ``LOCK TABLE dossiers_dossierpause IN ACCESS EXCLUSIVE MODE`` (the
batch's third statement) and waits until the worker's backend waits for it while holding the
lock of its first write (the dossier steps): the batch is provably half-done. SIGKILL, release:
nothing of that batch is left (its transaction rolled back), the message is still unacknowledged
(acks_late), the batch committed before the crash stays. The rerun (the redelivered task, then
the command over the same file) moves every open dossier exactly once.
"""
from __future__ import annotations

import pytest

from dossiers.models import Dossier, DossierEvent, DossierMove, DossierPause, DossierStep, Reorganisation
from tests.conftest import require_postgres
from tests.dossiers.test_reorganisation import MERGER, _file, _run, world  # noqa: F401 (fixture)
from tests.hardening import test_faults as faults

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_worker_killed_mid_move_then_rerun_moves_each_dossier_once(tmp_path, monkeypatch, world):
    require_postgres()
    import os

    from dossiers.services import reorganisation as svc
    from dossiers.tasks import reorganisation_move_task

    monkeypatch.setattr(faults, "REDIS_URL", os.environ.get("ONECUA_FAULTS_REDIS_REORG", faults.REDIS_URL))
    org, _procs, d = world
    versions = {k: x.version for k, x in d.items()}
    reorgs = svc.reorganisations_record(svc.entries_read_checked(MERGER.encode()).new)
    ids = [r.pk for r in reorgs]
    assert svc._move_batch(reorgs[0], [d["A"].pk]) == 1  # a batch committed before the crash

    try:
        faults._kill_mid_task(tmp_path, task="dossiers.reorganisation_move", kwargs={"reorganisation_ids": ids},
                              lock_table=DossierPause._meta.db_table, first_table=DossierStep._meta.db_table)
    finally:
        # the sender's Celery(...) made itself the current app: give it back to OneCua's, or a
        # later test's shared tasks (monitoring.outbox_relay…) are "not registered"
        from onecua.celery import app

        app.set_current()
        app.set_default()
    # Nothing of the killed batch; the committed one stays.
    assert list(DossierMove.objects.values_list("dossier_id", flat=True)) == [d["A"].pk]
    assert DossierEvent.objects.filter(action="reorganise").count() == 1
    b = Dossier.objects.get(pk=d["B"].pk)
    assert (b.resolving_unit_id, b.current_unit_id, b.version) == (org["district"].pk, org["district"].pk,
                                                                   versions["B"])
    assert Reorganisation.objects.get(pk=ids[0]).moved == 1

    # The redelivered task (the killed worker's lock died with it), then the operator's command.
    assert reorganisation_move_task.apply(kwargs={"reorganisation_ids": ids}).get() == 2
    out, _ = _run(_file(tmp_path, MERGER))
    assert out.splitlines()[-1] == "Reorganisation: 0 new, 2 already recorded, 0 open dossiers moved"

    ward = org["ward"].pk
    assert sorted(DossierMove.objects.values_list("dossier_id", flat=True)) == sorted(
        [d["A"].pk, d["B"].pk, d["E"].pk])
    assert sorted(DossierEvent.objects.filter(action="reorganise").values_list("dossier_id", flat=True)) == sorted(
        [d["A"].pk, d["B"].pk, d["E"].pk])
    for key in "ABE":
        x = Dossier.objects.get(pk=d[key].pk)
        assert x.resolving_unit_id == ward and x.version == versions[key] + 1, key
    for key in "CDF":
        assert Dossier.objects.get(pk=d[key].pk).version == versions[key], key
    assert sorted(Reorganisation.objects.values_list("moved", "status")) == [(1, "done"), (2, "done")]
