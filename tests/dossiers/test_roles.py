"""Roles are groups with exactly the declared permissions; only administrators reach the admin."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from dossiers.roles import (
    ADMINISTRATOR,
    COUNTER_CLERK,
    EXTRA_PERMISSIONS,
    LEADER,
    OFFICER,
    ROLES,
    role_group_name,
    roles_sync,
    user_roles,
)
from demo.catalogue import demo_load
from tests.factories import ProcedureFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def fresh(user):
    """Permissions are cached on the user object; read them from the database again."""
    return User.objects.get(pk=user.pk)


def test_roles_sync_is_idempotent_and_exact():
    roles_sync()
    group = Group.objects.get(name=role_group_name(COUNTER_CLERK))
    group.permissions.clear()
    roles_sync()
    roles_sync()

    for code, (name, perms) in ROLES.items():
        group = Group.objects.get(name=name)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert have == set(perms) | set(EXTRA_PERMISSIONS.get(code, [])), code
    assert Group.objects.filter(name__in=[n for n, _p in ROLES.values()]).count() == len(ROLES)


@pytest.mark.parametrize(
    "role,can_change_procedure,can_view_procedure",
    [
        (COUNTER_CLERK, False, True),
        (OFFICER, False, True),
        (LEADER, False, True),
        (ADMINISTRATOR, True, True),
    ],
)
def test_role_permissions_on_the_catalogue(role, can_change_procedure, can_view_procedure):
    user = fresh(UserFactory(role=role))

    assert user.has_perm("dossiers.change_procedure") is can_change_procedure
    assert user.has_perm("dossiers.add_unit") is can_change_procedure
    assert user.has_perm("dossiers.change_procedurestep") is can_change_procedure
    assert user.has_perm("dossiers.view_procedure") is can_view_procedure
    assert user_roles(user) == {role}


def test_superuser_holds_every_role():
    assert user_roles(UserFactory(superuser=True)) == set(ROLES)


def test_only_administrators_and_superusers_are_staff_in_the_demo():
    demo_load()
    staff = set(User.objects.filter(is_staff=True).values_list("username", flat=True))
    assert staff == {"admin", "quantri"}


# ---------------------------------------------------------------------------------------------
# Admin access
# ---------------------------------------------------------------------------------------------


def test_non_staff_officer_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory(role=OFFICER))

    response = client.get(reverse("admin:dossiers_procedure_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_staff_officer_can_look_but_not_change(client):
    procedure = ProcedureFactory()
    client.force_login(UserFactory(role=OFFICER, is_staff=True))

    assert client.get(reverse("admin:dossiers_procedure_changelist")).status_code == 200
    assert client.get(reverse("admin:dossiers_procedure_add")).status_code == 403
    change = reverse("admin:dossiers_procedure_change", args=[procedure.pk])
    assert client.get(change).status_code == 200  # read-only view
    assert client.post(change, {"name": "Đổi tên"}).status_code == 403
    procedure.refresh_from_db()
    assert procedure.name != "Đổi tên"
    assert client.get(reverse("admin:dossiers_counter_changelist")).status_code == 403  # no view_counter


def test_administrator_manages_the_catalogue_and_users(client):
    client.force_login(UserFactory(role=ADMINISTRATOR, is_staff=True))

    for name in ("dossiers_unit", "dossiers_field", "dossiers_counter", "dossiers_staffprofile",
                 "dossiers_procedure", "dossiers_calendaroverride"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
        assert client.get(reverse(f"admin:{name}_add")).status_code == 200, name
    assert client.get(reverse("admin:auth_user_add")).status_code == 200


def test_administrator_cannot_grant_superuser_or_edit_a_superuser(client):
    admin_user = UserFactory(role=ADMINISTRATOR, is_staff=True)
    target = UserFactory(role=OFFICER)
    boss = UserFactory(superuser=True)
    client.force_login(admin_user)

    page = client.get(reverse("admin:auth_user_change", args=[target.pk])).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="groups"' in page
    assert client.post(reverse("admin:auth_user_change", args=[boss.pk]), {"username": "taken"}).status_code == 403


def test_user_admin_shows_the_staff_profile_inline(client):
    client.force_login(UserFactory(superuser=True))
    target = UserFactory()

    page = client.get(reverse("admin:auth_user_change", args=[target.pk])).content.decode()

    assert 'name="staff-0-unit"' in page or 'name="staff-__prefix__-unit"' in page


def test_calendar_override_admin_records_who_created_it(client):
    from dossiers.models import CalendarOverride

    user = UserFactory(role=ADMINISTRATOR, is_staff=True)
    client.force_login(user)

    response = client.post(reverse("admin:dossiers_calendaroverride_add"), {
        "date": "2022-01-03", "is_working_day": "", "reason": "Nghỉ bù Tết Dương lịch",
        "legal_source": "Thông báo 6150/TB-BNV",
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    override = CalendarOverride.objects.get()
    assert (override.is_working_day, override.created_by) == (False, user)
