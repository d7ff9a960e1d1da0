from django.contrib import admin

from gongzhi.cases.models import Category, DeadlinePolicy
from gongzhi.orgs.admin import AuditedAdmin


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "parent", "is_public", "sort", "is_active")
    list_filter = ("parent", "is_public", "is_active")
    list_editable = ("is_public", "sort", "is_active")
    search_fields = ("code", "name")


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(AuditedAdmin):
    list_display = (
        "category",
        "urgency",
        "response_hours",
        "handling_working_days",
        "handling_hours",
        "due_soon_share",
    )
    list_filter = ("urgency",)
