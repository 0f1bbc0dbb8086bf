"""The office's reads: who is due, in grace, lapsed; invoices in arrears; the dues report.

Every figure is annotated in the query (subqueries for sums, so a join never multiplies
a total): a page of fifty rows costs the same queries as a page of two.

- due: an active member whose membership has an open dues invoice not yet past its due date;
- in grace: an open dues invoice past its due date, by at most PADDOCK_RENEWAL_GRACE_DAYS;
- lapsed: the member's status says so (the renewal command sets it after the grace period);
- arrears: any open invoice past its due date.
"""

import datetime

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import User
from membership.models import Invoice, Payment

DUE, GRACE, LAPSED = "due", "grace", "lapsed"
STATES = (DUE, GRACE, LAPSED)


def grace_start(today: datetime.date) -> datetime.date:
    """The earliest due date still in grace today."""
    return today - datetime.timedelta(days=settings.PADDOCK_RENEWAL_GRACE_DAYS)


def open_dues() -> QuerySet[Invoice]:
    """Open invoices for a membership's dues (not credit notes, not one-off invoices)."""
    return Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, membership__isnull=False
    )


def _dues_in_state(state: str, today: datetime.date) -> QuerySet[Invoice]:
    if state == DUE:
        return open_dues().filter(due_on__gte=today)
    if state == GRACE:
        return open_dues().filter(due_on__lt=today, due_on__gte=grace_start(today))
    return open_dues()  # lapsed: whatever is still open


def _state_filter(state: str, today: datetime.date):
    if state == LAPSED:
        return Q(membership_status=User.Status.LAPSED)
    dues = _dues_in_state(state, today).filter(membership=OuterRef("seat__membership"))
    return Q(membership_status=User.Status.ACTIVE) & Q(Exists(dues))


def members_in_state(state: str, today: datetime.date) -> QuerySet[User]:
    """The members in `state` (due, grace, lapsed), for counting."""
    if state not in STATES:
        raise ValueError(state)
    return User.objects.filter(_state_filter(state, today))


def members_due(today: datetime.date) -> QuerySet[User]:
    return members_in_state(DUE, today)


def members_in_grace(today: datetime.date) -> QuerySet[User]:
    return members_in_state(GRACE, today)


def members_lapsed() -> QuerySet[User]:
    return User.objects.filter(membership_status=User.Status.LAPSED)


def membership_states(today: datetime.date) -> dict[str, QuerySet[User]]:
    return {state: members_in_state(state, today) for state in STATES}


def state_counts(today: datetime.date) -> dict[str, int]:
    """How many members are due, in grace and lapsed: one query."""
    return User.objects.aggregate(
        **{state: Count("pk", filter=_state_filter(state, today)) for state in STATES}
    )


def member_rows(state: str, today: datetime.date) -> QuerySet[User]:
    """The members in `state` with their level, term and the open invoice that puts them
    there (its number, amount, due date and last reminder), ready for a page or a CSV."""
    invoice = (
        _dues_in_state(state, today)
        .filter(membership=OuterRef("seat__membership"))
        .order_by("due_on", "pk")
    )
    rows = members_in_state(state, today).annotate(
        level_name=F("seat__membership__level__name"),
        valid_until=F("seat__membership__valid_until"),
        lapsed_on=F("seat__membership__lapsed_on"),
        invoice_number=Subquery(invoice.values("number")[:1]),
        invoice_total_cents=Subquery(invoice.values("total_cents")[:1]),
        invoice_due_on=Subquery(invoice.values("due_on")[:1]),
        invoice_reminders_sent=Subquery(invoice.values("reminders_sent")[:1]),
        invoice_last_reminded_on=Subquery(invoice.values("last_reminded_on")[:1]),
    )
    if state == LAPSED:
        return rows.order_by(F("lapsed_on").desc(nulls_last=True), "display_name", "pk")
    return rows.order_by("invoice_due_on", "display_name", "pk")


# --- Invoices ------------------------------------------------------------------------------


def _sum_of(queryset: QuerySet, field: str):
    """A correlated subquery: SUM(field) of the rows of `queryset` (0 when none)."""
    total = queryset.order_by().values("invoice").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def with_amounts(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each invoice with what was paid, refunded and credited, and what is still owed.

    paid_cents: payments received less returned direct debits; refunded_cents: money given
    back (positive); credited_cents: the credit notes against it (positive); balance_cents:
    total - credited - paid + refunded (negative when overpaid). A credit note settles
    part of its invoice and owes nothing itself: its balance is 0.
    """
    payments = Payment.objects.filter(invoice=OuterRef("pk"))
    credit_notes = Invoice.objects.filter(credit_for=OuterRef("pk"))
    credited = (
        credit_notes.order_by()
        .values("credit_for")
        .annotate(total=Sum("total_cents"))
        .values("total")
    )
    return invoices.annotate(
        paid_cents=_sum_of(payments.exclude(kind=Payment.Kind.REFUND), "amount_cents"),
        refunded_cents=-_sum_of(payments.filter(kind=Payment.Kind.REFUND), "amount_cents"),
        credited_cents=-Coalesce(Subquery(credited, output_field=IntegerField()), Value(0)),
    ).annotate(
        balance_cents=Case(
            When(kind=Invoice.Kind.CREDIT_NOTE, then=Value(0)),
            default=F("total_cents") - F("credited_cents") - F("paid_cents") + F("refunded_cents"),
            output_field=IntegerField(),
        )
    )


def invoices_in_arrears(today: datetime.date) -> QuerySet[Invoice]:
    """Open invoices past their due date, the oldest first."""
    return Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, due_on__lt=today
    ).order_by("due_on", "pk")


def invoice_totals(invoices: QuerySet[Invoice]) -> dict[str, int]:
    """Count and sums of an annotated (`with_amounts`) set of invoices: one query.

    The aggregates take names of their own: one named like a field it sums over
    ("total_cents") makes Django wrap the query and lose the annotated sums.
    """
    fields = ("total_cents", "credited_cents", "paid_cents", "refunded_cents", "balance_cents")
    totals = invoices.order_by().aggregate(
        n=Count("pk"), **{f"sum_{field}": Sum(field) for field in fields}
    )
    return {"count": totals["n"], **{field: totals[f"sum_{field}"] or 0 for field in fields}}


# --- The yearly dues report ------------------------------------------------------------


def dues_report(year: int, today: datetime.date) -> dict:
    """Per level, the invoices issued in `year`: how many, their total, what was credited,
    paid, refunded, and what is still outstanding (open invoices only). Two queries."""
    invoices = with_amounts(Invoice.objects.filter(year=year, kind=Invoice.Kind.INVOICE))
    open_ = Q(status=Invoice.Status.OPEN)
    levels = (
        invoices.order_by()
        .values("level_id")
        .annotate(
            level_name=F("level__name"),
            level_position=F("level__position"),
            n=Count("pk"),
            sum_issued=Sum("total_cents"),
            sum_credited=Sum("credited_cents"),
            sum_paid=Sum("paid_cents"),
            sum_refunded=Sum("refunded_cents"),
            sum_outstanding=Sum("balance_cents", filter=open_),
        )
        .order_by(F("level_position").asc(nulls_last=True), "level_name")
    )
    # Named apart from the annotations they sum (see invoice_totals), renamed here.
    rows = [
        {
            "level_name": row["level_name"],
            "issued": row["n"],
            "issued_cents": row["sum_issued"] or 0,
            "credited_cents": row["sum_credited"] or 0,
            "paid_cents": row["sum_paid"] or 0,
            "refunded_cents": row["sum_refunded"] or 0,
            "outstanding_cents": row["sum_outstanding"] or 0,
        }
        for row in levels
    ]
    keys = (
        "issued",
        "issued_cents",
        "credited_cents",
        "paid_cents",
        "refunded_cents",
        "outstanding_cents",
    )
    totals = {key: sum(row[key] for row in rows) for key in keys}
    arrears = with_amounts(invoices_in_arrears(today).filter(year=year)).aggregate(
        n=Count("pk"), owed=Sum("balance_cents")
    )
    return {
        "year": year,
        "levels": rows,
        "totals": totals,
        "arrears": {"count": arrears["n"], "balance_cents": arrears["owed"] or 0},
    }


def dues_documents(year: int) -> QuerySet[Invoice]:
    """Every invoice and credit note numbered in `year`, in number order, for the CSV."""
    return (
        with_amounts(Invoice.objects.filter(year=year))
        .select_related("member", "level")
        .order_by("serial")
    )
