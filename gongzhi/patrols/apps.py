from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    """Patrols (巡逻/巡查): one model for volunteers' night patrols and grid workers' rounds."""

    name = "gongzhi.patrols"
    label = "patrols"
    verbose_name = _("Patrols")

    def ready(self):
        from gongzhi.core.manifest import (
            register_api_router,
            register_audit_actions,
            register_workbench_panel,
        )
        from gongzhi.core.roles import grant_permissions
        from gongzhi.patrols import perms, selectors
        from gongzhi.patrols.api import router

        grant_permissions(perms.GRANTS)
        register_api_router("patrols", router)
        register_workbench_panel(
            28, "patrols", _("Patrols"), "patrols/_workbench.html", selectors.workbench
        )
        register_audit_actions(
            {
                "patrols.start": _("Patrol started"),
                "patrols.checkpoint": _("Patrol checkpoint visited"),
                "patrols.end": _("Patrol ended"),
                "patrols.track": _("Patrol track received"),
            }
        )
