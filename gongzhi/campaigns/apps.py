from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Hotspots (高频共性问题) and the special campaigns (专项治理) opened from them."""

    name = "gongzhi.campaigns"
    label = "campaigns"
    verbose_name = _("Special campaigns")
