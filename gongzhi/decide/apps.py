from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DecideConfig(AppConfig):
    """Residents decide (居民议事): polls and elections, deliberation and resolutions,
    surveys, the suggestion box, the red/black board."""

    name = "gongzhi.decide"
    label = "decide"
    verbose_name = _("Residents decide")

    def ready(self):
        from gongzhi.core.manifest import (
            ReportSection,
            register_api_router,
            register_audit_actions,
            register_demo_step,
            register_report_section,
            register_workbench_panel,
        )
        from gongzhi.core.roles import grant_permissions
        from gongzhi.decide import demo, perms, sections, selectors
        from gongzhi.decide.api import router

        grant_permissions(perms.GRANTS)
        register_api_router("decide", router)
        register_report_section(
            ReportSection(
                45,
                "decide",
                _("Residents decide"),
                "decide/_command_section.html",
                sections.command_section,
                sections.section_rows,
            )
        )
        register_workbench_panel(
            32, "decide", _("Residents decide"), "decide/_workbench.html", selectors.workbench
        )
        register_demo_step(70, "decide", demo.run)
        register_audit_actions(
            {
                "decide.poll_create": _("Poll created"),
                "decide.poll_open": _("Poll opened (electorate frozen)"),
                "decide.vote": _("Ballot cast online"),
                "decide.ballot_enter": _("Paper ballot entered"),
                "decide.poll_close": _("Poll closed and counted"),
                "decide.elected": _("Building position elected"),
                "decide.topic_raise": _("Topic raised"),
                "decide.meeting_schedule": _("Meeting scheduled"),
                "decide.meeting_record": _("Meeting minutes recorded"),
                "decide.resolution_add": _("Resolution recorded"),
                "decide.resolution_progress": _("Resolution progress"),
                "decide.follow_up": _("Resolution followed up"),
                "decide.resolution_case": _("Resolution became a case"),
                "decide.survey_create": _("Survey created"),
                "decide.survey_tokens": _("Survey tokens issued"),
                "decide.survey_close": _("Survey closed"),
                "decide.call_open": _("Call for suggestions opened"),
                "decide.suggestion": _("Suggestion received"),
                "decide.suggestion_reply": _("Suggestion answered"),
                "decide.board_propose": _("Board entry proposed"),
                "decide.board_approve": _("Board entry approved"),
                "decide.board_appeal": _("Board entry appealed"),
                "decide.board_appeal_decide": _("Board appeal decided"),
                "decide.notice": _("Notice published"),
                "decide.outreach": _("Outreach recorded"),
            }
        )
