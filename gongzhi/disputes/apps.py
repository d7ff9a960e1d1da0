from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    """Disputes and mediation (矛盾纠纷排查化解) and the dispute kind of case."""

    name = "gongzhi.disputes"
    label = "disputes"
    verbose_name = _("Disputes and mediation")

    def ready(self):
        from gongzhi.cases.kinds import register_kind
        from gongzhi.core.manifest import (
            ReportSection,
            register_api_router,
            register_audit_actions,
            register_report_section,
            register_workbench_panel,
        )
        from gongzhi.core.roles import grant_permissions
        from gongzhi.disputes import kind, perms, sections, selectors
        from gongzhi.disputes.api import router

        grant_permissions(perms.GRANTS)
        register_kind(kind.DISPUTE)
        register_api_router("disputes", router)
        register_workbench_panel(
            22,
            "disputes",
            _("Disputes and mediation"),
            "disputes/_workbench.html",
            selectors.workbench,
        )
        register_report_section(
            ReportSection(
                35,
                "disputes",
                _("Disputes and mediation"),
                "disputes/_command_section.html",
                sections.command_section,
                sections.section_rows,
            )
        )
        register_audit_actions(
            {
                "disputes.register": _("Dispute registered"),
                "disputes.read": _("Dispute's parties read"),
                "disputes.party_revealed": _("Party's personal data revealed"),
                "disputes.mediator_save": _("Mediator saved"),
                "disputes.screening_file": _("Screening report filed"),
                "disputes.screening_amend": _("Screening report amended"),
                "disputes.type_save": _("Dispute type saved"),
                "disputes.export": _("Disputes exported"),
            }
        )
