from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "gongzhi.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from gongzhi.core.manifest import register_audit_actions
        from gongzhi.notifications import tasks  # noqa: F401 (registers the tasks)

        register_audit_actions({"notifications.queued": _("Notification queued")})
