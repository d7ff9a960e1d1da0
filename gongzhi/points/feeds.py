"""What the points bank pays for on its own, listening to other apps' moves (registered in
PointsConfig.ready()): a resident's own report (随手拍, channel "resident") that the loop
verifies and closes pays its reporter once under the community's rule "report_closed"."""

from django.utils.translation import gettext as _

from gongzhi.points.models import RuleKind
from gongzhi.points.services import points_award
from gongzhi.registry.models import Resident

REPORT_CLOSED_SOURCE = "cases.report_closed"


def reporter_of(case) -> Resident | None:
    """The registry resident named on the case, or the one resident registered with the
    phone the report was verified with. A number several residents share (a household's)
    names no one: the worker can award it at the desk."""
    if case.reporter_resident_id:
        return case.reporter_resident
    if not case.reporter_phone_hash:
        return None
    found = list(Resident.objects.filter(phone_hash=case.reporter_phone_hash).order_by("pk")[:2])
    return found[0] if len(found) == 1 else None


def report_closed(case, action: str, actor) -> None:
    """A case listener (core.manifest.register_case_listener): on "verify_pass" of a
    resident's report, points_award keyed by the case (a case closed again pays nothing
    more; a community without the rule pays nothing)."""
    if action != "verify_pass" or case.channel != "resident":
        return
    resident = reporter_of(case)
    if resident is None:
        return
    points_award(
        source=REPORT_CLOSED_SOURCE, key=str(case.pk), kind=RuleKind.REPORT_CLOSED,
        resident=resident, actor=actor,
        note=_("Your report %(number)s was solved") % {"number": case.number},
    )  # fmt: skip
