from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "gongzhi.imports"
    label = "imports"
    verbose_name = _("Imports and exports")

    def ready(self):
        from gongzhi.imports import consumer, tasks  # noqa: F401 (registers the tasks)

        if consumer.should_start():
            consumer.start()
