from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Hotspots (高频共性问题) and the special campaigns (专项治理) opened from them."""

    name = "gongzhi.campaigns"
    label = "campaigns"
    verbose_name = _("Special campaigns")

    def ready(self):
        from gongzhi.core.manifest import register_audit_actions

        register_audit_actions(
            {
                "campaign.open": _("opened a special campaign"),
                "campaign.add_cases": _("added cases to a special campaign"),
                "campaign.remove_case": _("took a case out of a special campaign"),
                "campaign.close": _("closed a special campaign"),
                "campaigns.export": _("downloaded the list of special campaigns"),
                "campaigns.hotspots_export": _("downloaded the hotspots"),
            }
        )
