from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FieldworkConfig(AppConfig):
    """The grid worker's day: tasks from the community (任务下发) and the work log (工作日志)."""

    name = "gongzhi.fieldwork"
    label = "fieldwork"
    verbose_name = _("Fieldwork")

    def ready(self):
        from gongzhi.core.manifest import (
            register_api_router,
            register_audit_actions,
            register_demo_step,
            register_workbench_panel,
            register_worklog_source,
        )
        from gongzhi.core.roles import grant_permissions
        from gongzhi.fieldwork import demo, perms, selectors, worklog
        from gongzhi.fieldwork.api import router

        grant_permissions(perms.GRANTS)
        register_api_router("fieldwork", router)
        register_workbench_panel(
            15, "fieldwork", _("Tasks"), "fieldwork/_workbench.html", selectors.workbench
        )
        register_worklog_source(
            10, "patrols", pgettext_lazy("work log", "Patrols"), worklog.patrol_entries
        )
        register_worklog_source(20, "cases", _("Cases reported"), worklog.case_entries)
        register_worklog_source(30, "tasks", _("Task reports"), worklog.task_report_entries)
        register_demo_step(75, "fieldwork", demo.run)
        register_audit_actions(
            {
                "fieldwork.task_create": _("Task sent"),
                "fieldwork.task_cancel": _("Task cancelled"),
                "fieldwork.task_report": _("Task reported on"),
                "fieldwork.note_save": _("Work log note saved"),
            }
        )
