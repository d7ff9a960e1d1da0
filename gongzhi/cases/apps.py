from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gongzhi.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from gongzhi.cases import demo, statistics
        from gongzhi.cases.workflow import CASE_FLOW
        from gongzhi.core.manifest import register_audit_actions, register_demo_step

        register_demo_step(40, "cases", demo.run)
        statistics.register()
        # Every action of the lifecycle is audited as "case.<action>", labelled as its button.
        register_audit_actions(
            {
                "case.report": _("reported a case"),
                "cases.rollups_rebuild": _("rebuilt the case statistics"),
                "cases.export": _("downloaded a list of cases"),
                "case.reveal_phone": _("revealed a reporter's phone"),
                "case.reveal_text": _("read a case's text as written"),
                **{f"case.{t.action}": t.label for t in CASE_FLOW.transitions},
            }
        )
