from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gongzhi.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from gongzhi.cases import demo
        from gongzhi.core.registry import register_demo_step

        register_demo_step(40, "cases", demo.run)
