from django.contrib import admin
from django.utils import timezone

from gongzhi.core.audit import audit_record
from gongzhi.orgs.models import Department, OrgUnit


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits write the same audit rows as services do."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        label = obj._meta.model_name
        audit_record(
            actor=request.user,
            action=f"admin.{label}_{'changed' if change else 'created'}",
            obj=obj,
            changes={k: str(form.cleaned_data.get(k)) for k in form.changed_data},
        )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action=f"admin.{obj._meta.model_name}_deleted", obj=obj)
        super().delete_model(request, obj)


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "parent", "service_phone", "is_active")
    list_select_related = ("parent",)
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    ordering = ("code",)
    # Boundaries are written by the GeoJSON import, which validates and nests them.
    exclude = ("boundary", "boundary_bbox")

    def get_readonly_fields(self, request, obj=None):
        # The code is fixed once created: every scoped row stores it.
        return ("code", "level", "parent", "boundary_updated_at") if obj else ()

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data and obj.boundary is not None:
            # The point locator answers only for active units: make it rebuild.
            obj.boundary_updated_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("code", "name", "district", "phone", "is_active")
    list_filter = ("district", "is_active")
    search_fields = ("code", "name")
