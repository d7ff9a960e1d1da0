from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gongzhi.core import calendar
from gongzhi.core.audit import audit_record
from gongzhi.core.manifest import audit_action_label
from gongzhi.core.models import AuditLog, CalendarDay


class ActionFilter(admin.SimpleListFilter):
    """The actions by their labels (core.manifest.register_audit_actions), not their codes."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = AuditLog.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((c, audit_action_label(c)) for c in codes), key=lambda x: str(x[1]))

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log is appended to by services, never edited."""

    list_display = ("at", "actor_name", "action_label", "object_type", "object_repr", "ip")
    list_filter = (ActionFilter, "object_type")
    search_fields = ("actor_name", "object_repr", "object_id", "action")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj):
        return audit_action_label(obj.action)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Holidays and make-up working days; enter next year's schedule here when published."""

    list_display = ("date", "weekday", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("name",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return "一二三四五六日"[obj.date.weekday()]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="core.calendar_changed",
            obj=obj,
            changes={"date": obj.date.isoformat(), "workday": obj.is_workday, "name": obj.name},
        )
        calendar.forget()

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user, action="core.calendar_changed", obj=obj, changes={"deleted": True}
        )
        super().delete_model(request, obj)
        calendar.forget()
