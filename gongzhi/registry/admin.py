"""Admin for the editable lists (tags, premises categories) and a masked, read-only look
at the registry. Personal data is never decrypted here: use the pages, which audit reveals."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gongzhi.core.pii_text import mask_personal_text
from gongzhi.orgs.admin import AuditedAdmin
from gongzhi.registry.models import Building, Premises, PremisesCategory, Resident, Tag


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    list_display = ("name", "is_care", "sort", "is_active")
    list_editable = ("is_care", "sort", "is_active")
    search_fields = ("name",)


@admin.register(PremisesCategory)
class PremisesCategoryAdmin(AuditedAdmin):
    list_display = ("name", "sort", "is_active")
    list_editable = ("sort", "is_active")
    search_fields = ("name",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Building)
class BuildingAdmin(ReadOnlyAdmin):
    list_display = ("name", "org_code", "address", "floors")
    search_fields = ("name", "address", "org_code")


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "org_code",
        "gender",
        "birth_date",
        "id_number_masked",
        "phone_masked",
        "residence_type",
    )
    list_filter = ("residence_type", "tags")
    search_fields = ("name", "org_code")
    exclude = ("id_number_enc", "id_number_hash", "phone_enc", "phone_hash", "note")
    readonly_fields = ("masked_note",)

    @admin.display(description=_("note"))
    def masked_note(self, obj) -> str:
        return mask_personal_text(obj.note)


@admin.register(Premises)
class PremisesAdmin(ReadOnlyAdmin):
    list_display = ("name", "category", "org_code", "responsible_name", "phone_masked", "uscc")
    list_filter = ("category",)
    search_fields = ("name", "address", "uscc")
    exclude = ("phone_enc", "phone_hash")
