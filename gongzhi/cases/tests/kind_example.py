"""A whole kind of case in a page: the example docs/architecture.md ("Adding a kind of
case") walks through, registered by the tests without touching cases/, command/ or api/.

"example_wish" is a micro-wish (微心愿) cut to the bone: intake takes the wish and who it
is for (its details, kept here on a timeline row of its own: a real kind has a detail
model), a volunteer claims it from the kind's board, and "deliver" (送达) is its own
action. A real kind lives in its own app and registers in AppConfig.ready()."""

from django import forms
from django.db.models import Q
from ninja import Field, Schema

from gongzhi.cases import services
from gongzhi.cases.actions import Action
from gongzhi.cases.forms import ActionForm
from gongzhi.cases.kinds import CaseKind, ListFilter
from gongzhi.cases.models import State
from gongzhi.cases.schemas import VersionIn
from gongzhi.core.manifest import Count, Rate
from gongzhi.core.roles import Perm

CODE = "example_wish"
POSTED = "wish_posted"
VOLUNTEER_PREFIX = "vol"  # who may claim or be assigned: a stand-in for "registered volunteers"


class WishIn(Schema):
    wish: str = Field(..., min_length=1, max_length=100)
    beneficiary: str = Field(..., min_length=1, max_length=20)


class WishForm(forms.Form):
    wish = forms.CharField(label="心愿", max_length=100)
    beneficiary = forms.CharField(label="受益人", max_length=20)


class DeliverIn(VersionIn):
    note: str = Field(..., min_length=1, max_length=1000)


class DeliverForm(ActionForm):
    note = forms.CharField(label="送达情况", max_length=1000)


def create_details(*, case, details: WishIn, actor):
    services.case_event_add(case=case, actor=actor, action=POSTED, data=details.dict())


def details_out(case):
    row = case.events.filter(action=POSTED).order_by("pk").first()
    return dict(row.data) if row else None


def deliver(*, actor, case_id, version=None, note=""):
    """送达: the wish is fulfilled; the case moves on to verification like any handling."""

    def change(case, now):
        case.result = note
        case.handled_at = now
        return {"delivered": True}

    return services.transition(actor, case_id, "deliver", version=version, note=note, change=change)


def is_volunteer(user, case) -> bool:
    return user.is_active and user.username.startswith(VOLUNTEER_PREFIX)


def by_beneficiary(qs, value):
    return qs.filter(events__action=POSTED, events__data__beneficiary=value)


DELIVER = Action(
    "deliver",
    "送达",
    deliver,
    schema=DeliverIn,
    form=DeliverForm,
    done="已送达。",
    primary=True,
    sources=(State.IN_PROGRESS,),
    target=State.HANDLED,
    perm=Perm.CASE_HANDLE,
)


# Its statistics: wishes received (cases of the kind, on the day reported), deliveries
# (its own action, on the day done) and 心愿送达率, kept in the rollups with no migration.
NOT_RECEIVED = (State.REJECTED, State.MERGED)
WISHES = Count(
    "example_wishes",
    "心愿（示例）",
    "cases",
    lambda now=None: Q(kind=CODE) & ~Q(state__in=NOT_RECEIVED),
    of_case=lambda case: case.kind == CODE and case.state not in NOT_RECEIVED,
)
DELIVERED = Count(
    "example_delivered", "送达（示例）", "events", lambda now=None: Q(action="deliver"),
    actions=("deliver",),
)  # fmt: skip
DELIVERY_RATE = Rate("example_delivery", "心愿送达率（示例）", DELIVERED.key, WISHES.key)


def demo(log):
    log("example wishes: none in the demo district")


KIND = CaseKind(
    code=CODE,
    label="微心愿（示例）",
    details_schema=WishIn,
    details_form=WishForm,
    create_details=create_details,
    details_out=details_out,
    actions=(DELIVER,),
    event_labels={POSTED: "心愿已登记"},
    list_filters={"beneficiary": ListFilter("受益人", by_beneficiary)},
    demo=demo,
    assignable=is_volunteer,
    claimable=is_volunteer,
    statistics=(WISHES, DELIVERED, DELIVERY_RATE),
)
