from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gongzhi.cases.models import Case, CaseEvent, Category, DeadlinePolicy
from gongzhi.core.pii_text import mask_personal_text
from gongzhi.orgs.admin import AuditedAdmin


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "parent", "is_public", "sort", "is_active")
    list_select_related = ("parent",)
    # The groups only (a category's name reads its parent's: one query per choice).
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter), "is_public", "is_active")
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
    list_select_related = ("category__parent",)
    list_filter = ("urgency",)


@admin.display(description=_("note"))
def masked_note(obj) -> str:
    return mask_personal_text(obj.note)


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ("at", "actor_name", "action", "from_state", "to_state", masked_note)
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read only: a case changes through its lifecycle (pages and API), never by hand,
    so every change has its timeline row and audit row."""

    list_display = ("number", "title", "state", "category", "org_code", "reported_at", "due_at")
    list_filter = ("state", "channel", "urgency", "supervision_level", "is_repeat")
    search_fields = ("number", "title")
    date_hierarchy = "reported_at"
    list_select_related = ("category__parent",)
    show_full_result_count = False  # counting millions of rows on every page is slow
    # Free text staff wrote is shown masked, as on the pages (the title and description
    # are stored masked).
    exclude = (
        "reporter_phone_enc",
        "reporter_phone_hash",
        "idempotency_key",
        "result",
        "supervision_note",
    )
    readonly_fields = ("masked_result", "masked_supervision_note")
    inlines = [CaseEventInline]

    @admin.display(description=_("handling result"))
    def masked_result(self, obj) -> str:
        return mask_personal_text(obj.result)

    @admin.display(description=_("supervision note"))
    def masked_supervision_note(self, obj) -> str:
        return mask_personal_text(obj.supervision_note)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
