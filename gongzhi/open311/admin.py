from django.contrib import admin

from gongzhi.open311.models import ServiceAttribute
from gongzhi.orgs.admin import AuditedAdmin


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(AuditedAdmin):
    list_display = ("category", "code", "datatype", "required", "variable", "order")
    list_filter = ("datatype", "required")
    search_fields = ("code", "description", "category__code", "category__name")
    list_select_related = ("category__parent",)
    ordering = ("category__code", "order", "code")
