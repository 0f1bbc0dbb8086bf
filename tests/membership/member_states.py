"""Members in each state of the membership year, for the tests of the member's own pages.

Test modules take the fixtures by name: `levels = member_states.levels` (and `club_bank`,
which sets the club's bank account and the renewal settings for every test of a module).
"""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from membership.models import Invoice, Level, Membership, Seat
from membership.services import dues_invoice_issue
from tests.factories import MemberFactory

IBAN = "DE89370400440532013000"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def long_date(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")


def text_of(response) -> str:
    """The page's text with its tags and runs of white space gone (as a reader sees it)."""
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(autouse=True)
def club_bank(settings):
    settings.PADDOCK_BANK_IBAN = IBAN
    settings.PADDOCK_BANK_BIC = "COBADEFFXXX"
    settings.PADDOCK_BANK_ACCOUNT_HOLDER = "1M Register e.V."
    settings.PADDOCK_CURRENCY = "EUR"
    settings.PADDOCK_RENEWAL_NOTICE_DAYS = 30
    settings.PADDOCK_RENEWAL_GRACE_DAYS = 30
    settings.PADDOCK_INVOICE_DUE_DAYS = 14


@pytest.fixture
def levels(db):
    return SimpleNamespace(
        full=Level.objects.create(
            name="Full member", slug="full", fee_cents=6000, is_default=True, position=1
        ),
        associate=Level.objects.create(
            name="Associate", slug="associate", fee_cents=3000, allows_cars=False, position=2
        ),
        household=Level.objects.create(
            name="Household", slug="household", fee_cents=9000, seats=2, position=3
        ),
        life=Level.objects.create(
            name="Lifetime",
            slug="lifetime",
            fee_cents=50000,
            period=Level.Period.LIFE,
            open_to_applicants=False,
            position=4,
        ),
        honorary=Level.objects.create(
            name="Honorary", slug="honorary", fee_cents=0, open_to_applicants=False, position=5
        ),
    )


def member_in(
    level: Level | None,
    *,
    valid_until: datetime.date | None,
    status: str = User.Status.ACTIVE,
    membership: Membership | None = None,
    payer: bool = True,
    lapsed_on: datetime.date | None = None,
    **fields,
) -> User:
    """An approved member in a membership of `level` whose term ends on `valid_until`."""
    member = MemberFactory(**fields)
    # Approval gave them the default membership and its first invoice: start afresh.
    first = Membership.objects.get(seats__member=member)
    Invoice.objects.filter(member=member).delete()
    Seat.objects.filter(member=member).delete()
    first.delete()
    if membership is None:
        membership = Membership.objects.create(
            level=level, started_on=days(-400), valid_until=valid_until, lapsed_on=lapsed_on
        )
    Seat.objects.create(membership=membership, member=member, is_payer=payer)
    User.objects.filter(pk=member.pk).update(membership_status=status, renewal_date=valid_until)
    member.refresh_from_db()
    return member


def dues_for(member: User, *, issued: datetime.date, due: datetime.date) -> Invoice:
    """The dues invoice for the member's next term (from their renewal date)."""
    membership = member.seat.membership
    return dues_invoice_issue(
        membership=membership, start=membership.valid_until, today=issued, due_on=due
    )


# --- In a real browser -------------------------------------------------------------------


def log_in(page, live_server, user: User) -> None:
    """The browser logged in as `user`, without the form."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def csp_violations(page) -> list[str]:
    """The Content-Security-Policy violations the browser reports from now on."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found
