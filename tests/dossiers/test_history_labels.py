"""The history names the counter's hand-over (D18) as the counter says it, "Chuyển xử lý", and a
step's transfer "Hoàn thành bước và chuyển tiếp", on the dossier page as on its button."""
import re

import pytest
from django.urls import reverse

from dossiers.services import lifecycle
from dossiers.templatetags.onecua import action_label
from tests.dossiers.lifecycle_fixtures import assign_after_handover  # noqa: F401
from tests.monitoring.conftest import make_world, register

pytestmark = pytest.mark.django_db


def test_labels_of_the_hand_over_and_of_a_step_transfer():
    assert action_label("transfer", "received") == "Chuyển xử lý"
    assert action_label("transfer", "in_processing") == "Hoàn thành bước và chuyển tiếp"
    assert action_label("transfer") == "Hoàn thành bước và chuyển tiếp"
    assert action_label("receive") == "Tiếp nhận hồ sơ"


def test_the_dossier_page_history_reads_chuyen_xu_ly_for_the_hand_over(client):
    w = make_world()
    d = register(w, w.lien, None)
    d = assign_after_handover(dossier=d, actor=w.lead_build, officer=w.off_build)
    d = lifecycle.dossier_transfer(dossier=d, actor=w.off_build)
    client.force_login(w.lead_prov)
    html = client.get(reverse("dossiers:detail", args=[d.code])).content.decode()
    start = html.index('class="list compact timeline"')
    history = html[start:html.index("</table>", start)]
    cells = [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td>([^<]*)</td>", history)]
    assert cells.count("Chuyển xử lý") == 1
    assert cells.count("Hoàn thành bước và chuyển tiếp") == 1
