"""factory_boy factories shared by the test suite (one trait per state; keep them small).

Codes are in the Hòa Bình style of the demo data (``000.00.NN.H23``) but drawn from a range
the demo files do not use (``9NN``), so a test may load the demo and build extra units freely.
"""
import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dossiers.models import Counter, Field, Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.roles import role_group_name, roles_sync

DEFAULT_PASSWORD = "test-password"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"000.{n % 100:02d}.9{n // 100 % 100:02d}.H23")
    name = factory.Sequence(lambda n: f"Đơn vị thử nghiệm {n}")
    level = Unit.Level.PROVINCE
    kind = Unit.Kind.AGENCY

    class Params:
        centre = factory.Trait(kind=Unit.Kind.SERVICE_CENTRE, name=factory.Sequence(lambda n: f"Trung tâm thử nghiệm {n}"))
        district = factory.Trait(level=Unit.Level.DISTRICT, kind=Unit.Kind.PEOPLE_COMMITTEE)
        commune = factory.Trait(level=Unit.Level.COMMUNE, kind=Unit.Kind.PEOPLE_COMMITTEE)


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Field
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Lĩnh vực {n}")


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure

    code = factory.Sequence(lambda n: f"9.{n:06d}")
    name = factory.Sequence(lambda n: f"Thủ tục thử nghiệm {n}")
    field = factory.SubFactory(FieldFactory)
    processing_time = 5
    time_unit = Procedure.TimeUnit.WORKING_DAYS
    resolving_unit = factory.SubFactory(UnitFactory)

    class Params:
        same_day = factory.Trait(processing_time=0)
        hours = factory.Trait(processing_time=4, time_unit=Procedure.TimeUnit.WORKING_HOURS, on_the_spot=True)
        calendar = factory.Trait(processing_time=45, time_unit=Procedure.TimeUnit.CALENDAR_DAYS)


class ProcedureStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcedureStep

    procedure = factory.SubFactory(ProcedureFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Bước {n + 1}")
    allotted_time = 1


class CounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counter

    unit = factory.SubFactory(UnitFactory, centre=True)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"Quầy {o.number}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user; ``role=`` puts them in that role's group (roles synced first)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Nguyễn Văn"
    last_name = factory.Sequence(lambda n: f"A{n}")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    class Params:
        superuser = factory.Trait(is_superuser=True, is_staff=True)

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if extracted:
            roles_sync()
            obj.groups.add(Group.objects.get(name=role_group_name(extracted)))
        if create:
            obj.save()


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
