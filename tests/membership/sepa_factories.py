"""Members who pay by direct debit, for the SEPA tests.

level = dues_level()                    # the default level, 60.00 a year
member = MemberFactory()                # approved: a membership and its first invoice
mandate = mandate_for(member)           # an active mandate (a German account)
invoice = open_invoice(member)          # the member's open dues invoice
"""

import datetime

from django.conf import settings
from django.utils import timezone

from membership import sepa, services
from membership.models import Invoice, Level, Mandate

IBANS = {
    "DE": "DE89370400440532013000",
    "NL": "NL91ABNA0417164300",
    "FR": "FR1420041010050500013M02606",
}


def dues_level(fee_cents: int = 6000) -> Level:
    """The default level with a fee: every member approved after this gets an invoice."""
    return Level.objects.update_or_create(
        slug="full",
        defaults={"name": "Full member", "fee_cents": fee_cents, "is_default": True},
    )[0]


def mandate_for(member, *, country: str = "DE", holder: str | None = None) -> Mandate:
    return sepa.mandate_create(
        member=member,
        account_holder=holder or member.display_name or "Account Holder",
        iban=IBANS[country],
    )


def open_invoice(member) -> Invoice:
    return Invoice.objects.get(member=member, kind="invoice", status="open")


def next_term_invoice(member) -> Invoice:
    """The dues invoice for the member's next term, due now."""
    membership = member.seat.membership
    today = timezone.localdate()
    return services.dues_invoice_issue(
        membership=membership,
        start=membership.valid_until,
        today=today,
        due_on=today + datetime.timedelta(days=settings.PADDOCK_INVOICE_DUE_DAYS),
    )


def collection_day(after: datetime.date | None = None) -> datetime.date:
    """A date a collection may be made on: the earliest, or the first after `after`."""
    day = sepa.earliest_collection_date()
    if after is not None and day <= after:
        day = after + datetime.timedelta(days=1)
        while not sepa.is_business_day(day):
            day += datetime.timedelta(days=1)
    return day
