from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    """Sharing: the function rooms (功能室) and the tool hut (共享小屋)."""

    name = "gongzhi.sharing"
    label = "sharing"
    verbose_name = _("Sharing")

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
        from gongzhi.sharing import demo, perms, sections, selectors
        from gongzhi.sharing.api import router

        grant_permissions(perms.GRANTS)
        register_api_router("sharing", router)
        register_workbench_panel(
            35,
            "sharing",
            _("Rooms and tool hut"),
            "sharing/_workbench.html",
            selectors.workbench,
        )
        register_report_section(
            ReportSection(
                45,
                "sharing",
                _("Rooms and tool hut"),
                "sharing/_command_section.html",
                sections.command_section,
                sections.section_rows,
            )
        )
        register_demo_step(65, "sharing", demo.run)
        register_audit_actions(
            {
                "sharing.room_create": _("Room created"),
                "sharing.room_update": _("Room edited"),
                "sharing.hut_create": _("Tool hut created"),
                "sharing.hut_update": _("Tool hut edited"),
                "sharing.category_create": _("Tool category created"),
                "sharing.category_update": _("Tool category edited"),
                "sharing.item_create": _("Tool added"),
                "sharing.item_update": _("Tool edited"),
                "sharing.item_retire": _("Tool retired"),
                "sharing.book": _("Room booked"),
                "sharing.series_book": _("Weekly booking made"),
                "sharing.series_change": _("Weekly booking changed"),
                "sharing.series_cancel": _("Weekly booking cancelled"),
                "sharing.booking_change": _("Booking moved"),
                "sharing.booking_cancel": _("Booking cancelled"),
                "sharing.booking_decide": _("Booking decided"),
                "sharing.booking_check_in": _("Booking checked in"),
                "sharing.booking_no_show": _("Booking marked no-show"),
                "sharing.hold": _("Tool held"),
                "sharing.hold_cancel": _("Tool hold cancelled"),
                "sharing.hold_decide": _("Tool hold decided"),
                "sharing.check_out": _("Tool lent"),
                "sharing.check_in": _("Tool returned"),
                "sharing.renew": _("Tool loan renewed"),
                "sharing.repair": _("Tool repair"),
                "sharing.export": _("Bookings or loans exported"),
            }
        )
