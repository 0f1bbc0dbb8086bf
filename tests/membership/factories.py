"""Factories for the club's office: levels, members who joined on a given day, invoices.

LevelFactory(...)                  a level: 60.00 EUR a calendar year, one account
member_joined(level=, on=, **user) an approved member whose membership started on `on`
                                   (its first invoice issued that day, as on approval)
membership_of(member)              the member's Membership
invoice_for(member, ...)           an invoice of `total_cents` on the member's membership
outbox(subject=, to=)              the queued e-mails (OutgoingMail rows) that match
"""

import datetime

import factory

from accounts.models import OutgoingMail, User
from accounts.services import sequence_next
from membership import services
from membership.models import Invoice, Level, Membership
from tests.factories import PendingMemberFactory


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Level
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Level {n}")
    slug = factory.Sequence(lambda n: f"level-{n}")
    fee_cents = 6000
    period = Level.Period.CALENDAR
    seats = 1


def member_joined(*, level: Level, on: datetime.date, **fields) -> User:
    """A member approved on `on`: a number, status active, and a membership from that day.

    What `member_approve` does, on a day of the test's choosing (approval itself uses the
    real today). The first invoice (if the level has a fee) is issued and its notice queued.
    """
    member = PendingMemberFactory(**fields)
    member.membership_number = sequence_next(name="membership-number")
    member.member_since = on
    member.membership_status = User.Status.ACTIVE
    member.save(update_fields=["membership_number", "member_since", "membership_status"])
    services.membership_start(member=member, level=level, today=on)
    member.refresh_from_db()
    return member


def membership_of(member: User) -> Membership:
    return Membership.objects.select_related("level").get(seats__member=member)


def invoice_for(
    member: User,
    *,
    total_cents: int = 6000,
    on: datetime.date | None = None,
    description: str = "Membership dues",
) -> Invoice:
    membership = Membership.objects.filter(seats__member=member).first()
    return services.invoice_issue(
        member=member,
        membership=membership,
        description=description,
        total_cents=total_cents,
        issued_on=on,
    )


def outbox(*, subject: str = "", to: str | None = None) -> list[OutgoingMail]:
    """Queued e-mails whose subject contains `subject` (and sent to `to`), oldest first."""
    mails = OutgoingMail.objects.filter(subject__contains=subject).order_by("pk")
    return [mail for mail in mails if to is None or to in mail.to]
