"""Django admin for the catalogue: units, fields, counters, staff, procedures and calendar overrides.

Only administrators (role group "Quản trị hệ thống", ``is_staff``) and superusers use it; what
each may do follows the role's model permissions (``dossiers.roles``). Rules stay in the
services: the step inline is checked by ``procedure_steps_validate``, calendar overrides are
saved through ``calendar_override_save`` so that open dossiers are re-evaluated.
"""
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from dossiers import admin_units

from dossiers.models import CalendarOverride, Counter, DossierEvent, Field, Procedure, ProcedureStep, StaffProfile, Unit
from dossiers.services.catalogue import procedure_steps_validate

User = get_user_model()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services only (history, roll-ups, what citizens sent, the outbox…): shown
    in the admin, never added or changed there; deleted only where ``deletable`` says so."""

    deletable = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "kind", "parent", "valid_from", "valid_to")
    list_filter = ("level", "kind")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent", "successor")
    fields = ("code", "name", "level", "kind", "parent", "place", "place_suggested", "valid_from", "valid_to",
              "successor")
    readonly_fields = ("place_suggested",)

    @admin.display(description=_("địa danh theo danh mục đơn vị hành chính"))
    def place_suggested(self, obj):
        """A suggestion from Vietnam's list of communes since 1/7/2025 (``dossiers.admin_units``),
        never enforced: test and training provinces use invented names."""
        if obj is None or not obj.pk or obj.level != Unit.Level.COMMUNE:
            return "—"
        root = obj
        while root.parent_id is not None:
            root = root.parent
        return admin_units.place_suggestion(obj.name, root.place or root.name) or "—"


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ("unit", "number", "name", "is_active")
    list_filter = ("is_active", "unit__level")
    search_fields = ("name", "unit__name", "unit__code")
    list_select_related = ("unit",)
    autocomplete_fields = ("unit",)
    filter_horizontal = ("fields",)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "counter", "title")
    list_filter = ("unit__level",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "unit__name", "unit__code")
    list_select_related = ("user", "unit", "counter")
    autocomplete_fields = ("user", "unit")


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    autocomplete_fields = ("unit",)
    fields = ("unit", "counter", "title", "phone")


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Django's user admin plus the staff profile; non-superusers cannot grant superuser rights."""

    inlines = (StaffProfileInline,)
    list_display = ("username", "first_name", "last_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # An administrator manages roles (groups) but cannot make anyone a superuser or
            # hand out individual permissions beyond the declared roles.
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


class ProcedureStepFormSet(BaseInlineFormSet):
    """Refuses a template whose times add up to more than the procedure's processing time."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        steps = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            steps.append({k: data.get(k) for k in ("order", "name", "unit", "allotted_time")})
        # self.instance already carries this POST's processing time and unit (the admin
        # applies the main form before validating inlines).
        procedure_steps_validate(procedure=self.instance, steps=steps)


class ProcedureStepInline(admin.TabularInline):
    model = ProcedureStep
    formset = ProcedureStepFormSet
    extra = 0
    autocomplete_fields = ("unit",)
    fields = ("order", "name", "unit", "allotted_time")


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "field", "time_display", "competent", "on_the_spot", "online_level", "is_active")
    list_filter = ("field", "time_unit", "on_the_spot", "online_level", "resolving_level", "resolving_unit__level",
                   "is_active")
    search_fields = ("code", "name", "field__name")
    list_select_related = ("field", "resolving_unit")
    autocomplete_fields = ("field", "resolving_unit")
    inlines = (ProcedureStepInline,)
    fields = ("code", "name", "field", ("processing_time", "time_unit"), ("resolving_unit", "resolving_level"),
              "on_the_spot", "online_level", "fee", "documents", "is_active")

    @admin.display(description=Procedure._meta.get_field("resolving_unit").verbose_name)
    def competent(self, obj):
        return obj.competent_text()

    @admin.display(description=Procedure._meta.get_field("processing_time").verbose_name)
    def time_display(self, obj):
        return obj.time_text()


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_working_day", "reason", "legal_source", "created_by")
    list_filter = ("is_working_day",)
    search_fields = ("reason", "legal_source")
    date_hierarchy = "date"
    fields = ("date", "is_working_day", "reason", "legal_source", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        # Through the service: it records who made the change and re-evaluates the open
        # dossiers whose due dates the day can move (domain.md D1).
        from dossiers.services.calendar_overrides import calendar_override_delete, calendar_override_save

        if change and "date" in form.changed_data and form.initial.get("date"):
            calendar_override_delete(day=form.initial["date"], actor=request.user)
        saved = calendar_override_save(
            day=obj.date, is_working_day=obj.is_working_day, reason=obj.reason,
            legal_source=obj.legal_source, actor=request.user,
        )
        obj.pk, obj.created_by, obj.created_at = saved.pk, saved.created_by, saved.created_at

    def delete_model(self, request, obj):
        from dossiers.services.calendar_overrides import calendar_override_delete

        calendar_override_delete(day=obj.date, actor=request.user)

    def delete_queryset(self, request, queryset):
        from dossiers.services.calendar_overrides import calendar_override_delete

        for day in list(queryset.values_list("date", flat=True)):
            calendar_override_delete(day=day, actor=request.user)


@admin.register(DossierEvent)
class DossierEventAdmin(ReadOnlyAdmin):
    """The dossier history, read-only: nobody adds, changes or deletes an event here (the
    database refuses UPDATE and DELETE too, migration 0002). Events are written by the
    lifecycle services only."""

    list_display = ("dossier", "at", "action", "from_state", "to_state", "actor_name", "unit", "due_date")
    list_filter = ("action", "to_state")
    search_fields = ("dossier__code", "actor_name", "note")
    list_select_related = ("dossier", "unit")
    date_hierarchy = "at"
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
