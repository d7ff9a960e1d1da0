from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts import services
from gongzhi.accounts.forms import AdminLoginForm
from gongzhi.accounts.models import ApiToken, Position, User
from gongzhi.core.audit import audit_record
from gongzhi.orgs.admin import AuditedAdmin

# The admin signs in through the same lockout as the pages.
admin.site.login_form = AdminLoginForm


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    fields = ("role", "org_unit", "department", "title", "is_active")
    autocomplete_fields = ("org_unit", "department")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "name",
        "is_active",
        "is_staff",
        "failed_logins",
        "locked_until",
        "last_login",
    )
    search_fields = ("username", "name")
    list_filter = ("is_active", "is_staff", "positions__role")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("name", "email")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser")},
        ),
        (_("Sign-in"), {"fields": ("last_login", "date_joined", "failed_logins", "locked_until")}),
    )
    readonly_fields = ("last_login", "date_joined", "failed_logins", "locked_until")
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "name", "password1", "password2")}),
    )
    inlines = [PositionInline]
    actions = ["unlock"]

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request, queryset):
        for user in queryset:
            services.user_unlock(actor=request.user, user=user)
        self.message_user(request, _("Unlocked."), messages.SUCCESS)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for position in instances:
            position.org_code = position.org_unit.code if position.org_unit_id else ""
            position.save()
            audit_record(
                actor=request.user,
                action="admin.position_saved",
                obj=position,
                changes={"role": position.role, "active": position.is_active},
            )
        formset.save_m2m()


@admin.register(Position)
class PositionAdmin(AuditedAdmin):
    list_display = ("user", "role", "org_unit", "department", "title", "is_active")
    list_select_related = ("user", "org_unit", "department")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__name", "org_code")
    autocomplete_fields = ("user", "org_unit", "department")
    readonly_fields = ("org_code",)

    def save_model(self, request, obj, form, change):
        obj.org_code = obj.org_unit.code if obj.org_unit_id else ""
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here or by `manage.py create_api_token`; the value shows once."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    autocomplete_fields = ("user",)
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def save_model(self, request, obj, form, change):
        token, raw = services.api_token_create(actor=request.user, user=obj.user, name=obj.name)
        obj.pk = token.pk
        obj.prefix, obj.key_hash, obj.created_at = token.prefix, token.key_hash, token.created_at
        self.message_user(
            request,
            _("Token created. Copy it now; it will not be shown again: %(token)s") % {"token": raw},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(actor=request.user, token=token)
        self.message_user(request, _("Revoked."), messages.SUCCESS)
