"""Writes of the club's office: memberships, invoices, payments (keyword-only, atomic)."""

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from accounts.models import User
from accounts.services import sequence_next
from membership import mail
from membership.models import Invoice, Level, Membership, Payment, Seat
from membership.money import creditor_reference


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise ValueError(day)


def level_default() -> Level:
    level = Level.objects.filter(is_default=True).first() or Level.objects.first()
    if level is None:
        level = Level.objects.create(name="Full member", slug="full", fee_cents=0, is_default=True)
    return level


def term_for(*, level: Level, start: datetime.date) -> tuple[datetime.date | None, int]:
    """The end (exclusive) of a term that starts on `start`, and its fee in cents.

    Rolling: 12 months from `start`. Calendar year: until 1 January next, and a term that
    starts after January pays for the months left, the month it starts in included
    (joining in October pays 3/12). For life: no end, and the fee once.
    """
    if level.period == Level.Period.LIFE:
        return None, level.fee_cents
    if level.period == Level.Period.CALENDAR:
        end = datetime.date(start.year + 1, 1, 1)
        months = 13 - start.month
        # Integer arithmetic, half up: never a float near money.
        fee = (level.fee_cents * months * 2 + 12) // 24
        return end, fee
    return add_months(start, 12), level.fee_cents


def _sync_members(membership: Membership) -> None:
    """Every account in the membership shows its renewal date.

    By primary key, and only the rows that differ: an UPDATE through a join on the seats
    made PostgreSQL scan every member row (and every version of it a long transaction
    left behind), which made seeding the demo inside one transaction take minutes.
    """
    ids = list(Seat.objects.filter(membership=membership).values_list("member_id", flat=True))
    members = User.objects.filter(pk__in=ids)
    if membership.valid_until is None:
        members = members.filter(renewal_date__isnull=False)
    else:
        members = members.exclude(renewal_date=membership.valid_until)
    members.update(renewal_date=membership.valid_until)


def payer_of(membership: Membership) -> User:
    seat = membership.seats.select_related("member").filter(is_payer=True).first()
    if seat is None:
        seat = membership.seats.select_related("member").first()
    return seat.member


def invoice_issue(
    *,
    member: User,
    description: str,
    total_cents: int,
    membership: Membership | None = None,
    level: Level | None = None,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    issued_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
    kind: str = Invoice.Kind.INVOICE,
    credit_for: Invoice | None = None,
) -> Invoice:
    """Issue an invoice (or credit note) with the year's next number.

    The number comes from a counter row updated in this transaction: a rollback gives the
    number back, and a second issuer waits for the first to commit, so numbers have no gaps.
    """
    issued_on = issued_on or timezone.localdate()
    due_on = due_on or issued_on + datetime.timedelta(days=settings.PADDOCK_INVOICE_DUE_DAYS)
    with transaction.atomic():
        serial = sequence_next(name=f"invoice-{issued_on.year}")
        number = f"{issued_on.year}-{serial:04d}"
        return Invoice.objects.create(
            number=number,
            year=issued_on.year,
            serial=serial,
            kind=kind,
            status=Invoice.Status.OPEN if kind == Invoice.Kind.INVOICE else Invoice.Status.PAID,
            membership=membership,
            member=member,
            level=level,
            billed_name=member.display_name or member.email,
            billed_email=member.email,
            description=description[:300],
            period_start=period_start,
            period_end=period_end,
            total_cents=total_cents,
            currency=settings.PADDOCK_CURRENCY,
            issued_on=issued_on,
            due_on=max(due_on, issued_on),
            reference=creditor_reference(
                f"{settings.PADDOCK_INVOICE_PREFIX}{issued_on.year}{serial:05d}"
            ),
            credit_for=credit_for,
            language=member.language,
        )


def dues_description(
    *, level: Level, start: datetime.date, end: datetime.date | None, language: str
) -> str:
    with override(language):
        if end is None:
            return str(_("Membership dues: %(level)s, for life") % {"level": level.name})
        last = end - datetime.timedelta(days=1)
        return str(
            _("Membership dues: %(level)s, %(start)s to %(end)s")
            % {"level": level.name, "start": start.isoformat(), "end": last.isoformat()}
        )


def dues_invoice_issue(
    *,
    membership: Membership,
    start: datetime.date,
    today: datetime.date,
    due_on: datetime.date,
    level: Level | None = None,
) -> Invoice | None:
    """The dues invoice for the term that starts on `start` (none if the level is free).

    `level`: another level for that term (the member chose it); it takes effect when the
    invoice is paid (`membership_paid`).
    """
    level = level or membership.level
    end, fee = term_for(level=level, start=start)
    if fee <= 0:
        return None
    payer = payer_of(membership)
    return invoice_issue(
        member=payer,
        membership=membership,
        level=level,
        description=dues_description(level=level, start=start, end=end, language=payer.language),
        total_cents=fee,
        period_start=start,
        period_end=end,
        issued_on=today,
        due_on=due_on,
    )


def membership_start(
    *, member: User, level: Level | None = None, today: datetime.date | None = None
) -> Membership:
    """A newly approved member's membership, and the invoice for its first term (if any)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        existing = Membership.objects.filter(seats__member=member).first()
        if existing is not None:
            # Staff put the applicant in a household before approving them: they share its
            # term and its invoices, and get none of their own.
            _sync_members(existing)
            member.renewal_date = existing.valid_until
            return existing
        level = level or level_default()
        end, _fee = term_for(level=level, start=today)
        membership = Membership.objects.create(level=level, started_on=today, valid_until=end)
        Seat.objects.create(membership=membership, member=member, is_payer=True)
        _sync_members(membership)
        member.renewal_date = end
        invoice = dues_invoice_issue(
            membership=membership,
            start=today,
            today=today,
            due_on=today + datetime.timedelta(days=settings.PADDOCK_INVOICE_DUE_DAYS),
        )
        if invoice is not None:
            mail.send_notice(invoice)
    return membership


def membership_reinstate(*, member: User, today: datetime.date | None = None) -> bool:
    """Staff approve a lapsed member again by hand: a new term from today, no invoice.

    Open dues left from the lapsed term are cancelled by credit notes, so the renewal
    cycle does not lapse the member again for them. False if the member has no membership.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(seats__member=member).first()
        if membership is None:
            return False
        for stale in open_dues(membership):
            credit_note_issue(invoice=stale, reason=str(_("Reinstated by the club's staff")))
        if membership.valid_until is not None and membership.valid_until <= today:
            membership.valid_until, _fee = term_for(level=membership.level, start=today)
        membership.lapsed_on = None
        membership.save(update_fields=["valid_until", "lapsed_on"])
        _sync_members(membership)
        member.renewal_date = membership.valid_until
    return True


def open_dues(membership: Membership):
    return membership.invoices.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN)


def membership_renew(
    *, membership: Membership, today: datetime.date | None = None, level: Level | None = None
) -> Invoice | None:
    """A member renews from their profile: their open dues invoice, or the next term's.

    A lapsed member's stale invoice (for a term already over, or for the term they lost by
    lapsing) is cancelled by a credit note, and the new term starts today (or on 1 January
    for a calendar-year level). `level`: the member chose another level for the next term;
    an open, untouched invoice for that term at the old level is replaced.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("level")
            .get(pk=membership.pk)
        )
        if not membership.level.renews:
            return None
        level = level or membership.level
        for stale in open_dues(membership).filter(period_end__lte=today):
            credit_note_issue(invoice=stale, reason=str(_("Term ended unpaid")))
        if membership.valid_until and membership.valid_until >= today:
            start = membership.valid_until
        elif level.period == Level.Period.CALENDAR:
            start = datetime.date(today.year, 1, 1)
        else:
            start = today
        if membership.lapsed_on is not None:
            for stale in open_dues(membership).filter(period_start__lt=start):
                credit_note_issue(invoice=stale, reason=str(_("Membership lapsed unpaid")))
        current = open_dues(membership).order_by("period_start").first()
        if current is not None:
            untouched = not current.payments.exists() and not current.debits.exists()
            if current.level_id == level.pk or current.period_start != start or not untouched:
                return current
            credit_note_issue(invoice=current, reason=str(_("Another level chosen")))
        due = max(start, today + datetime.timedelta(days=settings.PADDOCK_INVOICE_DUE_DAYS))
        invoice = dues_invoice_issue(
            membership=membership, start=start, today=today, due_on=due, level=level
        )
        if invoice is not None:
            mail.send_notice(invoice)
        return invoice


def invoice_paid_cents(invoice: Invoice) -> int:
    return invoice.payments.aggregate(total=Sum("amount_cents"))["total"] or 0


def invoice_credited_cents(invoice: Invoice) -> int:
    """What credit notes took off the invoice (positive)."""
    return -(invoice.credit_notes.aggregate(total=Sum("total_cents"))["total"] or 0)


def invoice_balance_cents(invoice: Invoice) -> int:
    """What is still owed: the total, less credit notes, less money kept (negative: overpaid).

    The same sum as selectors.invoices_with_balance, for one invoice.
    """
    return invoice.total_cents - invoice_credited_cents(invoice) - invoice_paid_cents(invoice)


def payment_record(
    *,
    invoice: Invoice,
    amount_cents: int,
    method: str,
    received_on: datetime.date | None = None,
    kind: str = Payment.Kind.PAYMENT,
    recorded_by: User | None = None,
    note: str = "",
    statement_line=None,
    collection_item=None,
    notify: bool = True,
) -> Payment:
    """Record money in (or out) against an invoice; a fully paid dues invoice renews."""
    from membership.methods import get_method

    get_method(method)  # an unknown method is a programming error
    received_on = received_on or timezone.localdate()
    with transaction.atomic():
        # The membership first, then the invoice: the order the renewal cycle and a renewal
        # take their locks in, so a payment arriving during a cycle run waits, never deadlocks.
        if invoice.membership_id:
            Membership.objects.select_for_update().filter(pk=invoice.membership_id).first()
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.kind != Invoice.Kind.INVOICE:
            raise ValueError("Payments are made against invoices, not credit notes.")
        if invoice.status == Invoice.Status.CANCELLED and kind == Payment.Kind.PAYMENT:
            raise ValueError("This invoice was cancelled.")
        payment = Payment.objects.create(
            invoice=invoice,
            kind=kind,
            method=method,
            amount_cents=amount_cents,
            received_on=received_on,
            note=note[:200],
            recorded_by=recorded_by,
            statement_line=statement_line,
            collection_item=collection_item,
        )
        # Owed after credit notes: paying the rest of a partly credited invoice settles it.
        owed = invoice_balance_cents(invoice)
        if invoice.status == Invoice.Status.OPEN and owed <= 0:
            invoice.status = Invoice.Status.PAID
            invoice.save(update_fields=["status"])
            if invoice.membership_id:
                membership_paid(invoice=invoice, today=received_on)
        elif invoice.status == Invoice.Status.PAID and owed > 0:
            # A returned debit or a refund: the invoice is owed again.
            invoice.status = Invoice.Status.OPEN
            invoice.save(update_fields=["status"])
        if notify and kind == Payment.Kind.PAYMENT:
            mail.send_receipt(payment)
    return payment


def membership_paid(*, invoice: Invoice, today: datetime.date) -> None:
    """A dues invoice is paid: the term it covers is granted, lapsed accounts come back."""
    membership = Membership.objects.select_for_update().get(pk=invoice.membership_id)
    if invoice.period_end is None:
        membership.valid_until = None
    elif membership.valid_until is None or invoice.period_end > membership.valid_until:
        membership.valid_until = invoice.period_end
    if invoice.level_id and invoice.level_id != membership.level_id:
        membership.level_id = invoice.level_id
    membership.lapsed_on = None
    membership.save(update_fields=["valid_until", "lapsed_on", "level"])
    _sync_members(membership)
    for member in User.objects.filter(
        seat__membership=membership, membership_status=User.Status.LAPSED
    ):
        member.membership_status = User.Status.ACTIVE
        member.save(update_fields=["membership_status"])


def credit_note_issue(*, invoice: Invoice, reason: str, amount_cents: int | None = None) -> Invoice:
    """Cancel (all of) an invoice or credit part of it with a credit note of its own number.

    A full credit of an open invoice cancels it; money already paid is given back as a
    refund (`payment_record(kind=REFUND)`), not by the credit note itself.
    """
    with transaction.atomic():
        if invoice.membership_id:
            Membership.objects.select_for_update().filter(pk=invoice.membership_id).first()
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.kind != Invoice.Kind.INVOICE:
            raise ValueError("A credit note cannot be credited.")
        already = -(invoice.credit_notes.aggregate(total=Sum("total_cents"))["total"] or 0)
        amount = invoice.total_cents - already if amount_cents is None else amount_cents
        if amount <= 0 or amount + already > invoice.total_cents:
            raise ValueError("Nothing left to credit.")
        note = invoice_issue(
            member=invoice.member,
            membership=invoice.membership,
            level=invoice.level,
            description=f"{invoice.number}: {reason}"[:300],
            total_cents=-amount,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            kind=Invoice.Kind.CREDIT_NOTE,
            credit_for=invoice,
        )
        if amount + already == invoice.total_cents and invoice.status == Invoice.Status.OPEN:
            invoice.status = Invoice.Status.CANCELLED
            invoice.save(update_fields=["status"])
        elif invoice.status == Invoice.Status.OPEN and invoice_balance_cents(invoice) <= 0:
            # What was paid already covers what the credit note leaves: settled.
            invoice.status = Invoice.Status.PAID
            invoice.save(update_fields=["status"])
            if invoice.membership_id:
                membership_paid(invoice=invoice, today=timezone.localdate())
    return note


def membership_personal_data(*, member: User) -> dict[str, Any]:
    seat = Seat.objects.select_related("membership__level").filter(member=member).first()
    return {
        "level": seat.membership.level.name if seat else None,
        "valid_until": seat.membership.valid_until if seat else None,
        "invoices": [
            {
                "number": i.number,
                "kind": i.kind,
                "status": i.status,
                "description": i.description,
                "total_cents": i.total_cents,
                "issued_on": i.issued_on,
            }
            for i in Invoice.objects.filter(member=member).order_by("year", "serial")
        ],
        "mandates": [
            {
                "reference": m.reference,
                "account_holder": m.account_holder,
                "iban": m.iban,
                "signed_on": m.signed_on,
                "status": m.status,
            }
            for m in member.mandates.all()
        ],
    }
