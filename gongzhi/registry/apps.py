from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "gongzhi.registry"
    label = "registry"
    verbose_name = _("Places and people")

    def ready(self):
        from gongzhi.core.manifest import register_audit_actions, register_demo_step
        from gongzhi.registry import demo

        register_demo_step(30, "registry", demo.run)
        register_demo_step(31, "basemap", demo.basemap)
        register_audit_actions(
            {
                "registry.building_saved": _("saved a building"),
                "registry.household_saved": _("saved a household"),
                "registry.resident_saved": _("saved a resident"),
                "registry.premises_saved": _("saved a premises"),
                "registry.pii_revealed": _("revealed personal data"),
                "registry.building_role_set": _("set a building position"),
                "registry.imported": _("imported a file"),
                "registry.exported": _("exported a list"),
                "registry.keys_rotated": _("re-encrypted personal data under a new key"),
            }
        )
