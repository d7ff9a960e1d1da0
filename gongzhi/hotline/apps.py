from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "gongzhi.hotline"
    label = "hotline"
    verbose_name = _("12345 exchange")

    def ready(self):
        from gongzhi.cases.kinds import CaseKind, register_kind
        from gongzhi.core.http.shapes import json_error, register_error_shape
        from gongzhi.core.manifest import register_audit_actions
        from gongzhi.hotline import services, tasks  # noqa: F401 (registers the tasks)
        from gongzhi.hotline.models import HotlineOrder

        register_kind(
            CaseKind(
                code=services.KIND,
                label=_("12345 work order"),
                detail_model=HotlineOrder,
                details_schema=services.OrderDetails,
                create_details=services.order_details_create,
                details_out=services.order_details_out,
                details_template="hotline/_case_details.html",
                reportable=False,  # orders come in through the signed exchange only
                on_transition=services.on_case_transition,
            )
        )
        # The signed webhook (hotline/urls.py) answers in JSON like the API.
        register_error_shape("/hotline/orders", json_error)
        register_audit_actions(
            {
                "hotline.imported": _("imported 12345 orders"),
                "hotline.dead_letters_retried": _("retried 12345 dead letters"),
            }
        )
