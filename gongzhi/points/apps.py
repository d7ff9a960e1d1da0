from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    """The green-points bank (绿币银行): ledger, earning rules, passbook, rewards, merchants."""

    name = "gongzhi.points"
    label = "points"
    verbose_name = _("Green points")

    def ready(self):
        from gongzhi.core.manifest import (
            ReportSection,
            register_api_router,
            register_audit_actions,
            register_case_listener,
            register_demo_step,
            register_report_section,
            register_workbench_panel,
        )
        from gongzhi.core.roles import grant_permissions
        from gongzhi.points import demo, feeds, perms, sections, selectors
        from gongzhi.points.api import router

        grant_permissions(perms.GRANTS)
        register_api_router("points", router)
        register_report_section(
            ReportSection(
                40,
                "points",
                _("Green points"),
                "points/_command_section.html",
                sections.command_section,
                sections.section_rows,
            )
        )
        register_workbench_panel(
            30, "points", _("Green points"), "points/_workbench.html", selectors.workbench
        )
        register_demo_step(60, "points", demo.run)
        register_case_listener("points.report_closed", feeds.report_closed)
        register_audit_actions(
            {
                "points.award": _("Points awarded"),
                "points.award_requested": _("Points award awaiting approval"),
                "points.award_decided": _("Points award decided"),
                "points.deduct": _("Points deducted"),
                "points.reverse": _("Points transfer reversed"),
                "points.rule_save": _("Earning rule saved"),
                "points.bank_settings": _("Points bank settings saved"),
                "points.merchant_save": _("Merchant saved"),
                "points.reward_save": _("Reward saved"),
                "points.redeem": _("Reward reserved"),
                "points.hand_over": _("Reward handed over"),
                "points.redemption_cancel": _("Redemption cancelled"),
                "points.merchant_redeem": _("Redeemed at a merchant"),
                "points.reconcile": _("Points ledger reconciled"),
            }
        )
