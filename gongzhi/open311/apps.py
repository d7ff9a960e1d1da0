from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "gongzhi.open311"
    label = "open311"
    verbose_name = _("Open311 GeoReport v2")

    def ready(self):
        from gongzhi.core.http.shapes import register_error_shape
        from gongzhi.open311.formats import error_shape

        # Where gongzhi/urls.py mounts it.
        register_error_shape("/open311/v2/", error_shape)
