from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gongzhi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from gongzhi.core.manifest import register_audit_actions

        register_audit_actions({"core.calendar_changed": _("changed the working-day calendar")})
