from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CareConfig(AppConfig):
    """Caring for residents: visit plans, home visits (家访/走访) and micro-wishes (微心愿)."""

    name = "gongzhi.care"
    label = "care"
    verbose_name = _("Caring for residents")

    def ready(self):
        from gongzhi.care import demo, perms, sections, selectors, statistics
        from gongzhi.care.api import router
        from gongzhi.core.manifest import (
            ReportSection,
            register_api_router,
            register_audit_actions,
            register_demo_step,
            register_report_section,
            register_statistics,
            register_unit_panel,
            register_workbench_panel,
            register_worklog_source,
        )
        from gongzhi.core.roles import grant_permissions

        grant_permissions(perms.GRANTS)
        # Visits join the grid worker's work log (fieldwork reads the registry, not care).
        register_worklog_source(
            40, "care", pgettext_lazy("work log", "Visits"), selectors.worklog_entries
        )
        register_api_router("care", router)
        # Cases found on visits and their share of those received (the loop's registry
        # counts cases and events; visits and wishes are records of their own).
        register_statistics(statistics.FOUND_ON_VISITS, statistics.FOUND_ON_VISITS_SHARE)
        register_workbench_panel(
            25, "care", _("Visits and wishes"), "care/_workbench.html", selectors.workbench
        )
        register_demo_step(48, "care", demo.run)
        register_report_section(
            ReportSection(
                40,
                "care",
                _("Visits and micro-wishes"),
                "care/_command_section.html",
                sections.command_section,
                sections.section_rows,
            )
        )
        register_unit_panel(30, "care", "care/_unit.html", context=selectors.unit_panel)
        register_audit_actions(
            {
                "care.plan_create": _("Visit plan created"),
                "care.plan_edit": _("Visit plan edited"),
                "care.plan_generate": _("Scheduled visits generated"),
                "care.visit_record": _("Visit recorded"),
                "care.wish_collect": _("Micro-wish collected"),
                "care.wish_review": _("Micro-wish reviewed"),
                "care.wish_to_case": _("Micro-wish turned into a case"),
                "care.wish_claim": _("Micro-wish claimed"),
                "care.claim_expire": _("Micro-wish claim expired"),
                "care.wish_fulfil": _("Micro-wish fulfilled"),
                "care.wish_confirm": _("Micro-wish confirmed"),
                "care.wish_follow_up": _("Micro-wish followed up"),
            }
        )
