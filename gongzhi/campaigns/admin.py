from django.contrib import admin

from gongzhi.campaigns.models import Campaign, CampaignCase


class CampaignCaseInline(admin.TabularInline):
    model = CampaignCase
    fields = ("case", "added_by", "added_at")
    readonly_fields = fields
    raw_id_fields = ("case",)
    extra = 0
    can_delete = False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Read-only: campaigns change through their services, which check and audit."""

    list_display = ("name", "unit_code", "category", "state", "opened_at", "closed_at")
    list_filter = ("state",)
    search_fields = ("name", "unit_code")
    inlines = [CampaignCaseInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
