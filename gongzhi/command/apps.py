from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    """The command center (指挥中心): dashboards, the wall screen, the map, the monthly
    report. Reads only: the figures come from the case rollups (cases.rollups)."""

    name = "gongzhi.command"
    label = "command"
    verbose_name = _("Command center")
