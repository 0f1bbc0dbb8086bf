"""Where a member stands: active, due, in grace, lapsed, for life… and the facts behind it.

The member's own pages (the membership page, the profile's panel, the card) and the gate's
card check read it from here, so that they say the same thing.
"""

import dataclasses
import datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from membership.models import Invoice, Level, Membership, Seat


def grace_last_day(due_on: datetime.date) -> datetime.date:
    """The last day to pay a dues invoice due on `due_on` before the membership lapses."""
    return due_on + datetime.timedelta(days=settings.PADDOCK_RENEWAL_GRACE_DAYS)


def last_day_of(valid_until: datetime.date | None) -> datetime.date | None:
    """A membership's `valid_until` is the renewal date (exclusive): the day before it."""
    return valid_until - datetime.timedelta(days=1) if valid_until else None


def has_card(member: User) -> bool:
    """An approved member whose membership is active (in grace too) or lapsed holds a card."""
    return bool(member.membership_number) and member.membership_status in (
        User.Status.ACTIVE,
        User.Status.LAPSED,
    )


@dataclasses.dataclass
class Standing:
    """Where a member stands, in one word (`state`) and the facts behind it.

    States: "pending" (waiting for approval), "none" (approved before the club's office
    existed: no membership row), "active", "due" (a renewal invoice is open, or the term
    ended), "grace" (that invoice is overdue: pay by `pay_by` or lapse), "lapsed", "life",
    "resigned".
    """

    state: str
    seat: Seat | None = None
    dues: Invoice | None = None  # the membership's oldest open dues invoice
    pay_by: datetime.date | None = None
    may_renew: bool = False

    @property
    def membership(self) -> Membership | None:
        return self.seat.membership if self.seat else None

    @property
    def level(self) -> Level | None:
        return self.seat.membership.level if self.seat else None

    @property
    def last_day(self) -> datetime.date | None:
        """The last day of the term granted so far (valid through it); none for life."""
        return last_day_of(self.membership.valid_until) if self.seat else None

    @property
    def dues_is_first(self) -> bool:
        """The open invoice is a new member's first, not a renewal."""
        return bool(self.dues and self.dues.period_start == self.membership.started_on)

    @property
    def is_payer(self) -> bool:
        return bool(self.seat and self.seat.is_payer)


def member_standing(member: User, *, today: datetime.date | None = None) -> Standing:
    """The member's standing: two queries (their seat with membership and level; its dues)."""
    today = today or timezone.localdate()
    if member.membership_status == User.Status.PENDING:
        return Standing("pending")
    seat = Seat.objects.select_related("membership__level").filter(member_id=member.pk).first()
    if seat is None:
        return Standing("none")
    membership = seat.membership
    dues = (
        Invoice.objects.filter(
            membership=membership, kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN
        )
        .order_by("period_start", "due_on")
        .first()
    )
    renews = membership.level.renews
    if member.membership_status == User.Status.RESIGNED:
        return Standing("resigned", seat, dues)
    if member.membership_status == User.Status.LAPSED:
        return Standing("lapsed", seat, dues, may_renew=renews and seat.is_payer)
    if membership.valid_until is None:
        return Standing("life", seat, dues)
    if dues is not None:
        if dues.due_on < today:
            return Standing("grace", seat, dues, pay_by=grace_last_day(dues.due_on))
        return Standing("due", seat, dues)
    notice_from = membership.valid_until - datetime.timedelta(
        days=settings.PADDOCK_RENEWAL_NOTICE_DAYS
    )
    may_renew = renews and seat.is_payer and today >= notice_from
    state = "due" if membership.valid_until <= today else "active"
    return Standing(state, seat, None, may_renew=may_renew)
