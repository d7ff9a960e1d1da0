from django.contrib import admin

from gongzhi.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read only: jobs change through their services and tasks."""

    list_display = (
        "id",
        "kind",
        "status",
        "filename",
        "created_by",
        "total_rows",
        "error_rows",
        "created_count",
        "updated_count",
        "created_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("filename", "created_by__username")
    exclude = ("errors", "file")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
