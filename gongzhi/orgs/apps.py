from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "gongzhi.orgs"
    label = "orgs"
    verbose_name = _("Organisation")

    def ready(self):
        from gongzhi.core.manifest import register_audit_actions, register_demo_step
        from gongzhi.orgs import demo

        register_demo_step(10, "orgs", demo.run)
        register_audit_actions(
            {
                "orgs.unit_created": _("created an org unit"),
                "orgs.unit_renamed": _("renamed an org unit"),
                "orgs.unit_profile_updated": _("edited a service card"),
                "orgs.department_created": _("created a department"),
                "orgs.boundaries_imported": _("imported unit boundaries"),
                "orgs.basemap_imported": _("imported the offline basemap"),
            }
        )
