from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gongzhi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.urls import register_converter

        from gongzhi.core.http.forms import IdConverter
        from gongzhi.core.manifest import register_audit_actions

        # Before any URLconf is read: the apps' page URLs take ids as <id:…>.
        register_converter(IdConverter, "id")

        register_audit_actions({"core.calendar_changed": _("changed the working-day calendar")})
