"""Micro-wishes: review with a board title that gives nobody away, exactly one claim, an
expired claim back on the board, no fulfilment without a claim, confirmation, follow-up,
the community's tally, a wish turned into a case, and the resident's text messages."""

import datetime as dt

import pytest

from gongzhi.care import selectors, services
from gongzhi.care.models import ClaimState, Wish, WishClaim, WishSource, WishState
from gongzhi.care.tests.conftest import PHONE_A, VOLUNTEER, photo
from gongzhi.cases.models import Case, Category
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.registry import pii

TARGET = dt.date(2026, 12, 10)


def held(phone=VOLUNTEER):
    sealed = pii.seal_phone(phone)
    return {
        "hash": sealed["phone_hash"],
        "enc": sealed["phone_enc"],
        "masked": sealed["phone_masked"],
    }


@pytest.fixture
def wish(care, people):
    return services.wish_collect(
        actor=people.gw_a, resident_id=care.wang.pk, text="想要一台收音机", source=WishSource.PHONE
    )


@pytest.fixture
def published(wish, people):
    return services.wish_review(
        actor=people.community_worker,
        wish_id=wish.pk,
        publish=True,
        public_title="一位老人 · 想要一台收音机",
        plan="社区联系共建单位捐赠",
        target_on=TARGET,
    )


def claim(wish, phone=VOLUNTEER, name="小刘"):
    return services.wish_claim_by_volunteer(held=held(phone), wish_id=wish.pk, name=name)


@pytest.mark.parametrize(
    "title",
    [
        "王秀英想要收音机",
        "秀英想要收音机",
        "独居老人 · 想要一台收音机",
        "桂园小区9号楼的老人",
        "502室老人想要收音机",
        "联系13912345678",
    ],
)
def test_a_board_title_giving_the_resident_away_is_refused(wish, people, title):
    with pytest.raises(Invalid) as refused:
        services.wish_review(
            actor=people.community_worker,
            wish_id=wish.pk,
            publish=True,
            public_title=title,
            plan="计划",
            target_on=TARGET,
        )
    assert "public_title" in refused.value.details
    assert Wish.objects.get().state == WishState.COLLECTED


def test_review_publishes_or_declines(wish, published, care, people):
    assert (published.state, published.target_on) == (WishState.PUBLISHED, TARGET)
    other = services.wish_collect(actor=people.gw_a, resident_id=care.li.pk, text="想去北京")
    with pytest.raises(Invalid):
        services.wish_review(actor=people.community_worker, wish_id=other.pk, publish=False)
    declined = services.wish_review(
        actor=people.community_worker, wish_id=other.pk, publish=False, note="超出社区能力"
    )
    assert declined.state == WishState.REJECTED


def test_only_the_community_reviews(wish, people):
    with pytest.raises(PermissionDenied):
        services.wish_review(actor=people.gw_a, wish_id=wish.pk, publish=False, note="x")
    with pytest.raises(NotFound):
        services.wish_review(actor=people.gw_b, wish_id=wish.pk, publish=False, note="x")


def test_a_claim_holds_the_wish_and_texts_the_resident(
    published, sms_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        c = claim(published)
    wish = Wish.objects.get()
    assert wish.state == WishState.CLAIMED and c.state == ClaimState.HELD
    assert c.phone_masked == "138****1111" and c.name == "小刘"
    texts = [m for m in sms_log() if m["to"] == PHONE_A]
    assert len(texts) == 1 and "claimed" in texts[0]["text"]


def test_a_second_claim_is_refused(published):
    claim(published)
    with pytest.raises(Conflict) as refused:
        claim(published, phone="13700002222", name="老张")
    assert refused.value.code == "already_claimed"
    assert WishClaim.objects.count() == 1


def test_an_expired_claim_returns_the_wish_to_the_board(published, clock):
    first = claim(published)
    clock.advance(hours=services.claim_hours() + 1)
    assert [w.status for w in selectors.board()] == ["open"]  # at once, before the job
    assert services.claims_expire() == 1 and services.claims_expire() == 0
    assert Wish.objects.get().state == WishState.PUBLISHED
    assert WishClaim.objects.get(pk=first.pk).state == ClaimState.EXPIRED
    assert AuditLog.objects.filter(action="care.claim_expire").count() == 1
    second = claim(published, phone="13700002222", name="老张")
    assert second.state == ClaimState.HELD


def test_a_claim_run_out_is_taken_over_without_the_job(published, clock):
    first = claim(published)
    clock.advance(hours=services.claim_hours() + 1)
    claim(published, phone="13700002222", name="老张")
    assert WishClaim.objects.get(pk=first.pk).state == ClaimState.EXPIRED
    assert WishClaim.objects.filter(state=ClaimState.HELD).count() == 1


def test_no_fulfilment_without_a_claim(published, people):
    with pytest.raises(Conflict) as refused:
        services.wish_fulfil(actor=people.community_worker, wish_id=published.pk, photos=[photo()])
    assert refused.value.code == "not_claimed"
    with pytest.raises(NotFound):  # a phone that holds no claim
        services.wish_fulfil(held=held(), wish_id=published.pk, photos=[photo()])
    assert (
        Wish.objects.get().state == WishState.PUBLISHED and not Wish.objects.get().photos.exists()
    )


def test_an_expired_claim_cannot_fulfil(published, clock):
    claim(published)
    clock.advance(hours=services.claim_hours() + 1)
    with pytest.raises(NotFound):
        services.wish_fulfil(held=held(), wish_id=published.pk, photos=[photo()])


def test_fulfil_confirm_and_follow_up(
    published, people, sms_log, clock, django_capture_on_commit_callbacks
):
    claim(published)
    with pytest.raises(Invalid):
        services.wish_fulfil(held=held(), wish_id=published.pk, photos=[])
    with pytest.raises(NotFound):  # someone else's phone
        services.wish_fulfil(held=held("13700002222"), wish_id=published.pk, photos=[photo()])
    with django_capture_on_commit_callbacks(execute=True):
        wish = services.wish_fulfil(held=held(), wish_id=published.pk, photos=[photo()])
    assert wish.state == WishState.FULFILLED and wish.photos.count() == 1
    assert WishClaim.objects.get().state == ClaimState.FULFILLED
    assert sum("fulfilled" in m["text"] for m in sms_log() if m["to"] == PHONE_A) == 1
    with pytest.raises(NotFound):  # only the resident whose wish it is confirms
        services.wish_confirm(held=held(), wish_id=wish.pk)
    wish = services.wish_confirm(held=held(PHONE_A), wish_id=wish.pk)
    assert wish.state == WishState.CONFIRMED and wish.confirmed_how == "resident"
    assert wish.followup_on == dt.date(2026, 11, 25) + dt.timedelta(days=30)
    assert selectors.tallies() == [selectors.CommunityTally(wish.community_code, "桂园社区", 1, 1)]
    wish = services.wish_follow_up(
        actor=people.community_worker, wish_id=wish.pk, note="收音机好用"
    )
    assert wish.followed_up_at is not None
    with pytest.raises(Conflict):
        services.wish_follow_up(actor=people.community_worker, wish_id=wish.pk, note="again")


def test_staff_claim_for_a_partner_and_confirm_for_the_resident(published, people):
    c = services.wish_claim_for_partner(
        actor=people.community_worker, wish_id=published.pk, partner="暖心超市"
    )
    assert (c.kind, c.name, c.staff_id) == ("partner", "暖心超市", people.community_worker.pk)
    services.wish_fulfil(actor=people.community_worker, wish_id=published.pk, photos=[photo()])
    wish = services.wish_confirm(actor=people.community_worker, wish_id=published.pk, how="phone")
    assert wish.state == WishState.CONFIRMED and wish.confirmed_how == "phone"


def test_a_wish_that_is_a_problem_becomes_a_case(wish, people, care):
    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    turned = services.wish_to_case(
        actor=people.community_worker, wish_id=wish.pk, category_id=category.pk
    )
    case = Case.objects.get(pk=turned.case_id)
    assert turned.state == WishState.CASE and case.reporter_resident_id == care.wang.pk
    assert selectors.board() == []


def test_a_resident_sends_a_wish_from_my_page(care):
    wish = services.wish_submit_by_resident(held=held(PHONE_A), text="想学用智能手机")
    assert (wish.resident_id, wish.source, wish.state) == (care.wang.pk, "online", "collected")
    with pytest.raises(NotFound):
        services.wish_submit_by_resident(held=held("13700002222"), text="x")


def test_the_claimer_is_texted_before_the_target_date_once(
    published, clock, sms_log, django_capture_on_commit_callbacks
):
    claim(published)
    clock.set(2026, 12, 9, 9)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_claimers() == 1 and services.remind_claimers() == 0
    assert sum("is due on" in m["text"] for m in sms_log() if m["to"] == VOLUNTEER) == 1


def test_the_resident_does_not_claim_their_own_wish(published):
    with pytest.raises(Conflict) as refused:
        claim(published, phone=PHONE_A, name="王秀英")
    assert refused.value.code == "own_wish"
    assert not WishClaim.objects.exists() and Wish.objects.get().state == WishState.PUBLISHED


def test_the_volunteer_earns_green_points_when_the_resident_confirms(published, people, tree):
    """The micro-wish feeds the points bank through its one service: once a wish, to the
    registry resident with the claimer's phone, on the resident's confirmation; the
    passbook line names the board title, never the private wish."""
    from gongzhi.points import services as points
    from gongzhi.points.models import Movement, RuleKind
    from gongzhi.registry import pii
    from gongzhi.registry.models import Resident

    points.rule_save(
        actor=people.community_worker, org_code=tree.community.code,
        kind=RuleKind.WISH_FULFILLED, points=20,
    )  # fmt: skip
    volunteer = Resident.objects.create(
        name="刘志愿", grid=tree.grid_a, org_code=tree.grid_a.code, **pii.seal_phone(VOLUNTEER)
    )
    claim(published)
    services.wish_fulfil(held=held(), wish_id=published.pk, photos=[photo()])
    account = points.account_for_resident(volunteer)
    assert not Movement.objects.filter(account=account).exists()  # not before confirmation
    services.wish_confirm(held=held(PHONE_A), wish_id=published.pk)
    paid = Movement.objects.filter(account=account)
    assert [m.amount for m in paid] == [20]
    transfer = paid.get().transfer
    assert (transfer.source, transfer.key) == ("care.wish", str(published.pk))
    published.refresh_from_db()
    assert published.public_title in transfer.reason  # the board title, as the public reads it
