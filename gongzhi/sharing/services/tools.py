"""The tool hut: holds in /my/, the keeper's counter (check out and in), renewals, repair,
and the jobs (holds that ran out, due-soon and overdue text messages).

At most one open loan a item (requested, held or out): the partial unique index
`sharing_one_open_loan_per_item` holds it in the database; the services take the item's
row lock first and refuse with a reason (409 `item_taken`), and a race lost at the index
is the same refusal. An item in repair is not lent (409 `in_repair`). A borrower with an
overdue loan borrows nothing until it is back (409 `overdue`).
"""

import datetime as dt

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.permissions import can
from gongzhi.registry import pii
from gongzhi.registry.models import Resident
from gongzhi.registry.validation import FieldError, clean_phone
from gongzhi.sharing import hours, perms
from gongzhi.sharing.models import OPEN_LOAN, Condition, Hut, Item, Loan, LoanState

CARD_SALT = "sharing.card"


def card_token(resident: Resident) -> str:
    """What the resident's borrower card (a QR in /my/sharing/) says: signed, so a keeper's
    scan finds the resident and nobody can make one up."""
    return "GZK:" + signing.dumps(resident.pk, salt=CARD_SALT, compress=True)


def resident_from_card(card: str) -> Resident:
    """The resident of a scanned card, or of a full mobile number typed at the counter."""
    card = str(card or "").strip()
    resident = None
    if card.startswith("GZK:"):
        try:
            pk = signing.loads(card[4:], salt=CARD_SALT)
        except signing.BadSignature:
            pk = None
        resident = Resident.objects.filter(pk=pk, is_active=True).first() if pk else None
    elif card:
        try:
            phone = clean_phone(card)
        except FieldError:
            phone = ""
        if phone:
            resident = (
                Resident.objects.filter(phone_hash=pii.phone_hash(phone), is_active=True)
                .order_by("pk")
                .first()
            )
    if resident is None:
        raise Invalid(
            _("No resident with this card or number."),
            code="unknown_card",
            details={"card": [_("No resident with this card or number.")]},
        )
    return resident


def _lock_item(item_id=None, *, hut=None, number=None) -> Item:
    qs = Item.objects.select_for_update().select_related("category", "hut")
    item = (
        qs.filter(pk=item_id) if item_id else qs.filter(hut=hut, number=str(number or "").strip())
    ).first()
    if item is None or not item.is_active:
        raise NotFound(_("Not found."))
    return item


def _can_keep(actor, hut: Hut) -> bool:
    return can(actor, perms.KEEP, hut) or hut.keepers.filter(pk=getattr(actor, "pk", None)).exists()


def _lendable(item: Item, resident: Resident, *, phone_hash: str) -> None:
    """Refuse (with the reason) a hold or loan the rules forbid."""
    if item.in_repair:
        raise Conflict(_("%(item)s is being repaired.") % {"item": item.name}, code="in_repair")
    overdue = Loan.objects.filter(state=LoanState.OUT, due_at__lt=timezone.now())
    if overdue.filter(resident=resident).exists() or (
        phone_hash and overdue.filter(phone_hash=phone_hash).exists()
    ):
        raise Conflict(_("An overdue item must be returned first."), code="overdue")
    taken = Loan.objects.filter(item=item, state__in=OPEN_LOAN).exclude(resident=resident).first()
    if taken is not None:
        raise Conflict(
            _("%(item)s is already lent or held.") % {"item": item.name}, code="item_taken"
        )
    mine = (
        Loan.objects.filter(resident=resident, state__in=OPEN_LOAN, item__category=item.category)
        .exclude(item=item)
        .count()
    )
    if mine >= item.category.max_at_once:
        raise Conflict(
            _("At most %(n)s items of %(c)s at once.")
            % {"n": item.category.max_at_once, "c": item.category.name},
            code="too_many",
        )


def _save_open(loan: Loan) -> Loan:
    try:
        with transaction.atomic():
            loan.save()
    except IntegrityError:
        raise Conflict(
            _("%(item)s is already lent or held.") % {"item": loan.item.name}, code="item_taken"
        ) from None
    return loan


def hold_place(*, held, item_id) -> Loan:
    """A resident holds an available item for `hut.hold_days` (or asks, where the category
    needs approval): by the verified phone, as the registered resident of that number."""
    resident = (
        Resident.objects.filter(phone_hash=held["hash"], is_active=True).order_by("pk").first()
    )
    if resident is None:
        raise Conflict(
            _("Your number is not registered with the community: ask at the hut."),
            code="not_registered",
        )
    with transaction.atomic():
        item = _lock_item(item_id)
        if Loan.objects.filter(item=item, resident=resident, state__in=OPEN_LOAN).exists():
            raise Conflict(_("You already hold this item."), code="already_held")
        _lendable(item, resident, phone_hash=held["hash"])
        now = timezone.now()
        approval = item.category.needs_approval
        loan = Loan(
            item=item,
            hut=item.hut,
            org_code=item.org_code,
            resident=resident,
            phone_hash=held["hash"],
            state=LoanState.REQUESTED if approval else LoanState.HELD,
            held_at=now,
            hold_until=now + dt.timedelta(days=item.hut.hold_days),
        )
        _save_open(loan)
        audit_record(actor=None, action="sharing.hold", obj=loan, changes={"item": item.pk})
        return loan


def hold_cancel(*, loan_id, held=None, actor=None) -> Loan:
    with transaction.atomic():
        loan = Loan.objects.select_related("item", "hut").filter(pk=loan_id).first()
        mine = loan is not None and held is not None and loan.phone_hash == held["hash"]
        if loan is None or not (mine or (actor is not None and _can_keep(actor, loan.hut))):
            raise NotFound(_("Not found."))
        if loan.state not in (LoanState.REQUESTED, LoanState.HELD):
            raise Conflict(_("This hold is no longer open."), code="not_held")
        loan.state = LoanState.CANCELLED
        loan.save(update_fields=["state"])
        audit_record(actor=actor, action="sharing.hold_cancel", obj=loan)
        return loan


def check_out(*, actor, hut_id, item_number, card, deposit_paid=False, trained=False) -> Loan:
    """At the counter: the item's QR and the resident's card. A hold of the resident's
    becomes the loan (the keeper's check-out approves a requested hold)."""
    hut = Hut.objects.filter(pk=hut_id).first()
    if hut is None or not (can(actor, perms.VIEW, hut) or _can_keep(actor, hut)):
        raise NotFound(_("Not found."))
    if not _can_keep(actor, hut):
        raise PermissionDenied(_("You may not do this."))
    resident = resident_from_card(card)
    with transaction.atomic():
        item = _lock_item(hut=hut, number=item_number)
        category = item.category
        if category.deposit_yuan and not deposit_paid:
            raise Invalid(
                _("This item needs a deposit of %(n)s yuan.") % {"n": category.deposit_yuan},
                code="deposit_needed",
                details={"deposit_paid": [_("Confirm the deposit.")]},
            )
        if category.needs_training and not trained:
            raise Invalid(
                _("This item needs training first."),
                code="training_needed",
                details={"trained": [_("Confirm the training.")]},
            )
        _lendable(item, resident, phone_hash=resident.phone_hash)
        now = timezone.now()
        loan = Loan.objects.filter(
            item=item, resident=resident, state__in=(LoanState.REQUESTED, LoanState.HELD)
        ).first() or Loan(
            item=item,
            hut=hut,
            org_code=item.org_code,
            resident=resident,
            phone_hash=resident.phone_hash,
        )
        due = timezone.localtime(now) + dt.timedelta(days=category.loan_days)
        loan.state, loan.out_at, loan.checked_out_by = LoanState.OUT, now, actor
        loan.due_at = due.replace(hour=23, minute=59, second=0, microsecond=0)
        loan.condition_out = item.condition
        loan.deposit_yuan = category.deposit_yuan if deposit_paid else 0
        _save_open(loan)
        audit_record(
            actor=actor,
            action="sharing.check_out",
            obj=loan,
            changes={"item": item.pk, "resident": resident.pk, "due_at": loan.due_at.isoformat()},
        )
        return loan


def check_in(*, actor, hut_id, item_number, condition, note="", repair=False) -> Loan:
    """Back at the counter: the condition on return; a damaged item goes to repair. A late
    return costs the category's points where the community says so (once a loan)."""
    from gongzhi.sharing.services.penalties import deduct

    if condition not in Condition.values:
        raise Invalid(
            _("Choose the condition."), details={"condition": [_("Choose the condition.")]}
        )
    hut = Hut.objects.filter(pk=hut_id).first()
    if hut is None or not (can(actor, perms.VIEW, hut) or _can_keep(actor, hut)):
        raise NotFound(_("Not found."))
    if not _can_keep(actor, hut):
        raise PermissionDenied(_("You may not do this."))
    with transaction.atomic():
        item = _lock_item(hut=hut, number=item_number)
        loan = (
            Loan.objects.filter(item=item, state=LoanState.OUT).select_related("resident").first()
        )
        if loan is None:
            raise Conflict(_("%(item)s is not on loan.") % {"item": item.name}, code="not_lent")
        now = timezone.now()
        late = loan.due_at is not None and now > loan.due_at
        loan.state, loan.returned_at, loan.checked_in_by = LoanState.RETURNED, now, actor
        loan.condition_back, loan.return_note = condition, str(note or "")[:200]
        loan.save()
        item.condition = condition
        if repair or condition == Condition.BROKEN:
            item.in_repair, item.repair_note = True, str(note or "")[:200]
        item.save(update_fields=["condition", "in_repair", "repair_note"])
        taken = 0
        if late and item.category.late_points:
            taken = deduct(
                amount=item.category.late_points,
                key=f"sharing.late:{loan.pk}",
                reason=_("Late return: %(item)s") % {"item": item.name},
                actor=actor,
                org_code=loan.org_code,
                resident=loan.resident,
            )
        audit_record(
            actor=actor,
            action="sharing.check_in",
            obj=loan,
            changes={
                "condition": condition,
                "late": late,
                "repair": item.in_repair,
                "points": taken,
            },
        )
        return loan


def renew(*, loan_id, held=None, actor=None) -> Loan:
    with transaction.atomic():
        loan = Loan.objects.select_for_update().filter(pk=loan_id).first()
        if loan is not None:
            loan = Loan.objects.select_related("item__category", "hut").get(pk=loan.pk)
        mine = loan is not None and held is not None and loan.phone_hash == held["hash"]
        if loan is None or not (mine or (actor is not None and _can_keep(actor, loan.hut))):
            raise NotFound(_("Not found."))
        category = loan.item.category
        if loan.state != LoanState.OUT:
            raise Conflict(_("This item is not on loan."), code="not_lent")
        if loan.due_at < timezone.now():
            raise Conflict(_("An overdue item must be returned first."), code="overdue")
        if loan.renewals >= category.renewals:
            raise Conflict(_("No renewals left."), code="no_renewals")
        loan.renewals += 1
        loan.due_at += dt.timedelta(days=category.loan_days)
        loan.reminded_soon_at = None
        loan.save(update_fields=["renewals", "due_at", "reminded_soon_at"])
        audit_record(
            actor=actor,
            action="sharing.renew",
            obj=loan,
            changes={"due_at": loan.due_at.isoformat()},
        )
        return loan


def item_repair(*, actor, item_id, in_repair: bool, note="") -> Item:
    """To repair (no loans, no holds meanwhile) or back from it."""
    with transaction.atomic():
        item = _lock_item(item_id)
        if not can(actor, perms.VIEW, item):
            raise NotFound(_("Not found."))
        if not (can(actor, perms.MANAGE, item) or _can_keep(actor, item.hut)):
            raise PermissionDenied(_("You may not do this."))
        if in_repair and Loan.objects.filter(item=item, state=LoanState.OUT).exists():
            raise Conflict(_("Check the item in first."), code="on_loan")
        item.in_repair, item.repair_note = bool(in_repair), str(note or "")[:200]
        item.save(update_fields=["in_repair", "repair_note"])
        if in_repair:
            holds_cancel_all(item)
        audit_record(
            actor=actor, action="sharing.repair", obj=item, changes={"in_repair": item.in_repair}
        )
        return item


def holds_cancel_all(item: Item) -> int:
    """Cancel the item's holds (requested or held), as it goes to repair or retires."""
    held = Loan.objects.filter(item=item, state__in=(LoanState.REQUESTED, LoanState.HELD))
    return held.update(state=LoanState.CANCELLED)


# -- jobs ------------------------------------------------------------------------------


def holds_expire() -> int:
    return Loan.objects.filter(
        state__in=(LoanState.REQUESTED, LoanState.HELD), hold_until__lt=timezone.now()
    ).update(state=LoanState.EXPIRED)


def _sms(phone: str, text: str) -> None:
    from gongzhi.notifications import sms

    if phone:
        transaction.on_commit(lambda: sms.get_backend().send(phone=phone, text="【共治】" + text))


def remind_loans() -> int:
    """A text the day before an item is due and one when it is overdue, once each a loan
    (the loan row remembers; a renewal earns a new due-soon text)."""
    now = timezone.now()
    sent = 0
    soon = Loan.objects.filter(
        state=LoanState.OUT,
        due_at__gte=now,
        due_at__lte=now + dt.timedelta(days=1),
        reminded_soon_at__isnull=True,
    )
    late = Loan.objects.filter(
        state=LoanState.OUT, due_at__lt=now, reminded_overdue_at__isnull=True
    )
    for field, rows, text in (
        ("reminded_soon_at", soon, _("Please return %(item)s to %(hut)s by %(due)s.")),
        (
            "reminded_overdue_at",
            late,
            _("%(item)s was due back at %(hut)s on %(due)s: please return it."),
        ),
    ):
        for loan in rows.select_related("item", "hut", "resident"):
            with transaction.atomic():
                if not Loan.objects.filter(pk=loan.pk, **{f"{field}__isnull": True}).update(
                    **{field: now}
                ):
                    continue
                due = timezone.localtime(loan.due_at)
                _sms(
                    pii.open_phone(loan.resident),
                    text % {"item": loan.item.name, "hut": loan.hut.name, "due": f"{due:%m-%d}"},
                )
                sent += 1
    return sent


def hut_open_now(hut: Hut) -> bool:
    now = timezone.localtime()
    window = hours.opening(hut, now.date())
    return window is not None and window[0] <= now <= window[1]
