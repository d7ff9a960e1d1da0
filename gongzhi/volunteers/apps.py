from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    """Volunteers and their teams, activities, check-in and hours, and partners."""

    name = "gongzhi.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers and partners")

    def ready(self):
        from gongzhi.core.manifest import (
            ReportSection,
            register_api_router,
            register_audit_actions,
            register_demo_step,
            register_report_section,
            register_workbench_panel,
        )
        from gongzhi.core.roles import grant_permissions
        from gongzhi.volunteers import demo, perms, sections, selectors
        from gongzhi.volunteers.api import router

        grant_permissions(perms.GRANTS)
        register_api_router("volunteers", router)
        register_workbench_panel(
            27, "volunteers", _("Volunteers"), "volunteers/_workbench.html", selectors.workbench
        )
        register_demo_step(52, "volunteers", demo.run)
        register_report_section(
            ReportSection(
                45,
                "volunteers",
                _("Volunteers and patrols"),
                "volunteers/_command_section.html",
                sections.command_section,
                sections.section_rows,
            )
        )
        register_audit_actions(
            {
                "volunteers.volunteer_add": _("Volunteer added"),
                "volunteers.volunteer_register": _("Volunteer registered"),
                "volunteers.volunteer_approve": _("Volunteer approved"),
                "volunteers.team_save": _("Volunteer team created"),
                "volunteers.activity_create": _("Activity created"),
                "volunteers.signup": _("Signed up for an activity"),
                "volunteers.promote": _("Moved up from the waiting list"),
                "volunteers.cancel": _("Sign-up cancelled"),
                "volunteers.decide": _("Sign-up decided"),
                "volunteers.check_in": _("Checked in"),
                "volunteers.check_out": _("Checked out"),
                "volunteers.auto_close": _("Forgotten check-out closed"),
                "volunteers.hours_request": _("Hours entered"),
                "volunteers.hours_decide": _("Hours decided"),
                "volunteers.attendance": _("Attendance counted"),
                "volunteers.partner_save": _("Partner registered"),
                "volunteers.partner_role": _("Partner role added"),
                "volunteers.partner_role_end": _("Partner role ended"),
            }
        )
