from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    """Safety inspections (隐患排查整治) and the hazard kind of case."""

    name = "gongzhi.inspections"
    label = "inspections"
    verbose_name = _("Safety inspections")

    def ready(self):
        from gongzhi.cases.kinds import register_kind
        from gongzhi.core.manifest import (
            ReportSection,
            register_api_router,
            register_audit_actions,
            register_map_layer,
            register_report_section,
            register_workbench_panel,
            register_worklog_source,
        )
        from gongzhi.core.roles import grant_permissions
        from gongzhi.inspections import kind, maplayers, perms, sections, selectors
        from gongzhi.inspections.api import router

        grant_permissions(perms.GRANTS)
        # Results join the grid worker's work log (fieldwork reads the registry).
        register_worklog_source(50, "inspections", _("Inspections"), selectors.worklog_entries)
        register_kind(kind.HAZARD)
        register_api_router("inspections", router)
        for layer in maplayers.LAYERS:
            register_map_layer(layer)
        register_report_section(
            ReportSection(
                30,
                "inspections",
                _("Safety inspections"),
                "inspections/_command_section.html",
                sections.command_section,
                sections.section_rows,
            )
        )
        register_workbench_panel(
            20,
            "inspections",
            _("Safety inspections"),
            "inspections/_workbench.html",
            selectors.workbench,
        )
        register_audit_actions(
            {
                "inspections.template_save": _("Checklist saved"),
                "inspections.campaign_create": _("Inspection campaign created"),
                "inspections.round_add": _("Inspection round added"),
                "inspections.round_generate": _("Inspection tasks generated"),
                "inspections.task_submit": _("Inspection recorded"),
                "inspections.notice_reissued": _("Rectification notice issued again"),
                "inspections.point_save": _("Risk point saved"),
                "inspections.alert_declare": _("Alert declared"),
                "inspections.alert_report": _("Risk point reported under an alert"),
            }
        )
