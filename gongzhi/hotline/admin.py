from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gongzhi.hotline import services
from gongzhi.hotline.models import HotlineOrder, OutboundEvent, OutboundStatus


@admin.register(HotlineOrder)
class HotlineOrderAdmin(admin.ModelAdmin):
    list_display = (
        "order_no",
        "case",
        "hotline_category",
        "hotline_deadline",
        "source",
        "received_at",
    )
    search_fields = ("order_no", "case__number")
    list_filter = ("source",)
    readonly_fields = (
        "case",
        "order_no",
        "hotline_deadline",
        "hotline_category",
        "payload",
        "source",
        "received_at",
    )

    def has_add_permission(self, request):
        return False


@admin.action(description=_("Retry the selected dead letters"))
def retry_dead_letters(modeladmin, request, queryset):
    count = services.dead_letters_retry(
        queryset.filter(status=OutboundStatus.DEAD), actor=request.user
    )
    modeladmin.message_user(
        request,
        ngettext("%(n)d dead letter queued again.", "%(n)d dead letters queued again.", count)
        % {"n": count},
        messages.SUCCESS,
    )


@admin.register(OutboundEvent)
class OutboundEventAdmin(admin.ModelAdmin):
    """The outbox; filter by status "dead letter" for the list to retry."""

    list_display = ("id", "order", "event", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status", "event")
    search_fields = ("order__order_no",)
    readonly_fields = (
        "order", "event", "payload", "status", "attempts", "next_attempt_at", "last_error",
        "created_at", "sent_at",
    )  # fmt: skip
    actions = [retry_dead_letters]

    def has_add_permission(self, request):
        return False
