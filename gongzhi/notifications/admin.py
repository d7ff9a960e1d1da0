from django.contrib import admin

from gongzhi.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read only: notifications change through their services and tasks."""

    list_display = ("id", "kind", "recipient", "title", "status", "attempts", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("recipient__username", "kind", "title", "dedupe_key")
    exclude = ("sms_phone_enc",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
