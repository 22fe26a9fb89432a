"""The site root: a landing page for visitors, each role's start page for staff."""
import pytest
from django.urls import reverse

from dossiers.roles import COUNTER_CLERK, LEADER, OFFICER
from tests.factories import DEFAULT_PASSWORD, StaffProfileFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_root_answers_200_with_a_login_link_for_visitors(client):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("login") in response.content.decode()


@pytest.mark.parametrize("role, target", [
    (COUNTER_CLERK, "dossiers:worklist"),
    (OFFICER, "dossiers:inbox"),
])
def test_staff_land_on_their_start_page(client, role, target):
    user = StaffProfileFactory(unit=UnitFactory(), user=UserFactory(role=role)).user
    client.login(username=user.username, password=DEFAULT_PASSWORD)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse(target)


def test_leader_starts_on_the_progress_dashboard(client):
    user = StaffProfileFactory(unit=UnitFactory(), user=UserFactory(role=LEADER)).user
    client.login(username=user.username, password=DEFAULT_PASSWORD)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("monitoring:dashboard")
