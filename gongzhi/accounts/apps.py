from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gongzhi.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from gongzhi.accounts import demo, views
        from gongzhi.core.manifest import (
            register_audit_actions,
            register_demo_step,
            register_unit_panel,
        )

        register_demo_step(20, "accounts", demo.run)
        register_unit_panel(
            10, "people", "accounts/_unit_people.html", context=views.unit_people_panel
        )
        register_audit_actions(
            {
                "accounts.login": _("signed in"),
                "audit.export": _("downloaded the audit log"),
                "accounts.login_failed": _("failed to sign in"),
                "accounts.locked": _("account locked"),
                "accounts.unlocked": _("unlocked an account"),
                "accounts.password_changed": _("changed the password"),
                "accounts.user_created": _("created a user"),
                "accounts.position_created": _("assigned a position"),
                "accounts.position_ended": _("ended a position"),
                "accounts.token_created": _("created an API token"),
                "accounts.token_revoked": _("revoked an API token"),
            }
        )
