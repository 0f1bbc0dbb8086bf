"""Demo data for the club's office: levels with euro fees, and a membership year in progress.

The accounts' demo approves its members first (they get the default level, made on the fly
and free, so no invoice and no e-mail); this one then gives each membership a history as if
the club had run on Paddock for years: most members paid this year's dues (by transfer,
direct debit or cash), a household of two, an associate, an honorary and a lifetime
member, a few new members whose first invoice is open, one in the grace period, and the
lapsed members of the accounts' demo with the invoice they never paid. The demo member has
paid this year and has next year's invoice open.

No e-mail is sent. Idempotent: levels are keyed by slug, and a membership that has an
invoice or a level of its own is left alone. It draws from its own random generator, so the
register's and meets' demo data stay as they were.
"""

import datetime
import random
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from schwifty import IBAN

from accounts.demo import DEMO_MEMBER_EMAIL, DEMO_ORGANISER_EMAIL, DEMO_STAFF_EMAIL
from accounts.models import User
from membership import methods, services
from membership.models import Invoice, Level, Mandate, Membership, Seat

LEVELS = [
    {
        "slug": "full",
        "name": "Full member",
        "description": "Everything the club offers: meets, the register, the directory.",
        "fee_cents": 6000,
        "period": Level.Period.CALENDAR,
        "is_default": True,
    },
    {
        "slug": "household",
        "name": "Household",
        "description": "Two members at one address, one fee and one renewal date.",
        "fee_cents": 9000,
        "period": Level.Period.CALENDAR,
        "seats": 2,
    },
    {
        "slug": "associate",
        "name": "Associate",
        "description": "For friends of the club without a 1M: meets and the directory.",
        "fee_cents": 3000,
        "period": Level.Period.CALENDAR,
        "allows_cars": False,
    },
    {
        "slug": "honorary",
        "name": "Honorary member",
        "description": "Given by the club's board, for life.",
        "fee_cents": 0,
        "period": Level.Period.LIFE,
        "open_to_applicants": False,
    },
    {
        "slug": "lifetime",
        "name": "Lifetime member",
        "description": "One fee, never renewed.",
        "fee_cents": 60000,
        "period": Level.Period.LIFE,
        "open_to_applicants": False,
    },
]

# The shapes of the demo's memberships, handed out in membership-number order.
HOUSEHOLD, ASSOCIATE, HONORARY, LIFETIME, NEW, GRACE = (
    "household",
    "associate",
    "honorary",
    "lifetime",
    "new",
    "grace",
)
SPECIAL = [HOUSEHOLD, ASSOCIATE, HONORARY, LIFETIME, NEW, NEW, NEW, GRACE]
PAY_METHODS = [methods.TRANSFER, methods.TRANSFER, methods.DIRECT_DEBIT, methods.CASH]


def seed(stdout, rng: random.Random) -> None:
    del rng  # the shared generator is the register's and meets': draw from our own
    local = random.Random(14_2026)
    today = timezone.localdate()
    with transaction.atomic():
        levels = _seed_levels()
        made = _seed_memberships(levels, local, today)
    invoices = Invoice.objects.count()
    if made:
        stdout.write(f"  membership: {made} memberships given a history, {invoices} invoices\n")
    else:
        stdout.write(f"  membership: {invoices} invoices already there\n")


def _seed_levels() -> dict[str, Level]:
    levels = {}
    for position, fields in enumerate(LEVELS):
        fields = dict(fields)
        slug = fields.pop("slug")
        if fields.get("is_default"):
            # The one default: approval made a free "Full member" on the fly before this ran.
            Level.objects.filter(is_default=True).exclude(slug=slug).update(is_default=False)
        levels[slug], _created = Level.objects.update_or_create(
            slug=slug, defaults={**fields, "position": position}
        )
    return levels


def _unseeded() -> list[Membership]:
    """Memberships approval gave the default level and nothing else: this demo's to shape."""
    memberships = Membership.objects.filter(level__slug="full", invoices__isnull=True)
    memberships = memberships.select_related("level").prefetch_related("seats__member")
    return sorted(
        (m for m in memberships if m.seats.all()),
        key=lambda m: min(seat.member.membership_number or 0 for seat in m.seats.all()),
    )


def _seed_memberships(levels: dict[str, Level], rng: random.Random, today) -> int:
    memberships = _unseeded()
    if not memberships:
        return 0
    plans: list[tuple[datetime.date, Callable[[], None]]] = []
    new_days_ago = iter([3, 7, 10, 12, 5])
    special = iter(SPECIAL)
    household_payer = None
    for membership in memberships:
        member = membership.seats.all()[0].member
        if member.email == DEMO_MEMBER_EMAIL:
            plans += _paid(membership, member, levels["full"], rng, today, renewal_open=True)
        elif member.email in {DEMO_STAFF_EMAIL, DEMO_ORGANISER_EMAIL}:
            plans += _paid(membership, member, levels["full"], rng, today)
        elif member.membership_status == User.Status.LAPSED:
            plans += _lapsed(membership, member, levels["full"], today)
        elif household_payer is not None:
            _join_household(household_payer, membership, member)
            household_payer = None
        else:
            shape = next(special, None)
            if shape == HOUSEHOLD:
                household_payer = membership
                plans += _paid(membership, member, levels["household"], rng, today)
            elif shape == ASSOCIATE:
                plans += _paid(membership, member, levels["associate"], rng, today)
            elif shape == HONORARY:
                _start(membership, member, levels["honorary"], _joined(rng, today), None)
            elif shape == LIFETIME:
                plans += _lifetime(membership, member, levels["lifetime"], rng, today)
            elif shape == NEW:
                plans += _new(
                    membership, member, levels["full"], today, days_ago=next(new_days_ago)
                )
            elif shape == GRACE:
                plans += _new(membership, member, levels["full"], today, days_ago=25)
            else:
                plans += _paid(membership, member, levels["full"], rng, today)
    # Invoices are numbered in the order they were issued, as a real year would have them.
    for _issued_on, issue in sorted(plans, key=lambda plan: plan[0]):
        issue()
    return len(memberships)


def _joined(rng: random.Random, today) -> datetime.date:
    """A day some years ago, when the member joined."""
    return datetime.date(today.year - rng.randint(1, 9), rng.randint(1, 12), rng.randint(1, 28))


def _start(membership, member, level, started_on, valid_until) -> None:
    membership.level = level
    membership.started_on = started_on
    membership.valid_until = valid_until
    membership.lapsed_on = None
    membership.save(update_fields=["level", "started_on", "valid_until", "lapsed_on"])
    User.objects.filter(pk=member.pk).update(member_since=started_on)
    services._sync_members(membership)


def _year_start(year: int) -> datetime.date:
    return datetime.date(year, 1, 1)


def _notice_day(renews_on: datetime.date) -> datetime.date:
    return renews_on - datetime.timedelta(days=settings.PADDOCK_RENEWAL_NOTICE_DAYS)


def _paid(membership, member, level, rng, today, *, renewal_open: bool = False) -> list:
    """Paid this year's dues; the demo member has next year's invoice open too."""
    this_year = _year_start(today.year)
    _start(membership, member, level, min(_joined(rng, today), this_year), this_year)
    method = rng.choice(PAY_METHODS)
    issued_on = _notice_day(this_year)
    paid_on = min(this_year + datetime.timedelta(days=rng.randint(-25, 20)), today)
    received_on = max(paid_on, issued_on)
    if method == methods.DIRECT_DEBIT:
        signed_on = issued_on - datetime.timedelta(days=rng.randint(30, 900))
        _mandate(member, signed_on=signed_on, collected_on=received_on)

    def issue():
        invoice = services.dues_invoice_issue(
            membership=membership, start=this_year, today=issued_on, due_on=this_year
        )
        services.payment_record(
            invoice=invoice,
            amount_cents=invoice.total_cents,
            method=method,
            received_on=received_on,
            notify=False,
        )

    plans = [(issued_on, issue)]
    if renewal_open:
        next_year = _year_start(today.year + 1)

        def issue_renewal():
            services.dues_invoice_issue(
                membership=membership, start=next_year, today=today, due_on=next_year
            )

        plans.append((today, issue_renewal))
    return plans


def _lifetime(membership, member, level, rng, today) -> list:
    joined = _joined(rng, today)
    _start(membership, member, level, joined, None)

    def issue():
        invoice = services.dues_invoice_issue(
            membership=membership,
            start=joined,
            today=joined,
            due_on=joined + datetime.timedelta(days=settings.PADDOCK_INVOICE_DUE_DAYS),
        )
        services.payment_record(
            invoice=invoice,
            amount_cents=invoice.total_cents,
            method=methods.TRANSFER,
            received_on=joined + datetime.timedelta(days=6),
            notify=False,
        )

    return [(joined, issue)]


def _new(membership, member, level, today, *, days_ago: int) -> list:
    """Joined `days_ago` days ago; the first (pro rata) invoice is open."""
    joined = today - datetime.timedelta(days=days_ago)
    end, _fee = services.term_for(level=level, start=joined)
    _start(membership, member, level, joined, end)

    def issue():
        services.dues_invoice_issue(
            membership=membership,
            start=joined,
            today=joined,
            due_on=joined + datetime.timedelta(days=settings.PADDOCK_INVOICE_DUE_DAYS),
        )

    return [(joined, issue)]


def _lapsed(membership, member, level, today) -> list:
    """This year's dues (last year's, early in the year) never paid: reminded, lapsed."""
    grace = datetime.timedelta(days=settings.PADDOCK_RENEWAL_GRACE_DAYS + 1)
    unpaid_from = _year_start(today.year)
    if unpaid_from + grace > today:
        unpaid_from = _year_start(today.year - 1)
    joined = datetime.date(unpaid_from.year - 2, 5, 1)
    _start(membership, member, level, joined, unpaid_from)
    Membership.objects.filter(pk=membership.pk).update(lapsed_on=unpaid_from + grace)
    issued_on = _notice_day(unpaid_from)
    every = datetime.timedelta(days=settings.PADDOCK_RENEWAL_REMINDER_DAYS)

    def issue():
        invoice = services.dues_invoice_issue(
            membership=membership, start=unpaid_from, today=issued_on, due_on=unpaid_from
        )
        reminders = settings.PADDOCK_RENEWAL_REMINDERS
        Invoice.objects.filter(pk=invoice.pk).update(
            reminders_sent=reminders,
            last_reminded_on=unpaid_from + every * reminders if reminders else None,
        )

    return [(issued_on, issue)]


def _join_household(payer_membership, membership, member) -> None:
    """The second account of a household: its own (empty) membership goes."""
    Seat.objects.filter(member=member).update(membership=payer_membership, is_payer=False)
    membership.delete()
    User.objects.filter(pk=member.pk).update(member_since=payer_membership.started_on)
    services._sync_members(payer_membership)


def _mandate(member, *, signed_on, collected_on) -> None:
    if Mandate.objects.filter(member=member).exists():
        return
    account = f"{member.membership_number:010d}"
    iban = IBAN.generate("DE", bank_code="37040044", account_code=account)
    Mandate.objects.create(
        member=member,
        reference=f"{settings.PADDOCK_INVOICE_PREFIX}-M-{member.membership_number:06d}",
        account_holder=member.display_name or member.email,
        iban=str(iban.compact),
        bic=str(iban.bic or ""),
        signed_on=signed_on,
        last_collected_on=collected_on,
    )
