from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfServiceConfig(AppConfig):
    name = "gongzhi.selfservice"
    label = "selfservice"
    verbose_name = _("Resident self-service")

    def ready(self):
        from gongzhi.cases import services as case_services
        from gongzhi.core.manifest import register_audit_actions, register_demo_step
        from gongzhi.selfservice import demo

        register_demo_step(61, "selfservice", demo.run)

        register_audit_actions(
            {
                f"case.{case_services.RESIDENT_INFO}": _("Reporter added information"),
            }
        )
