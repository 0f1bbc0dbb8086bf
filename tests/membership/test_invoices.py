"""Invoices: gapless numbers per year, pro rata first terms, credit notes, refunds."""

import datetime
import threading

import pytest
from django.db import connection, transaction

from accounts.models import User
from membership import methods
from membership.models import Invoice, Level, Payment
from membership.money import is_creditor_reference
from membership.services import (
    credit_note_issue,
    invoice_balance_cents,
    payment_record,
    term_for,
)
from tests.factories import MemberFactory
from tests.membership.factories import LevelFactory, invoice_for, member_joined, membership_of

D = datetime.date
pytestmark = pytest.mark.django_db


def numbers() -> list[str]:
    return sorted(Invoice.objects.values_list("number", flat=True))


# --- Numbers --------------------------------------------------------------------------------


def test_it_numbers_invoices_without_gaps_and_starts_again_each_year(member):
    for day in [D(2026, 3, 1), D(2026, 5, 1), D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 2)]:
        invoice_for(member, on=day)

    assert numbers() == ["2026-0001", "2026-0002", "2026-0003", "2027-0001", "2027-0002"]
    # Each has its own payment reference, valid ISO 11649, with the year and serial in it.
    references = list(Invoice.objects.values_list("reference", flat=True))
    assert len(set(references)) == 5
    assert all(is_creditor_reference(reference) for reference in references)
    assert Invoice.objects.get(number="2027-0002").reference.endswith("PDK202700002")


def test_a_rolled_back_invoice_gives_its_number_back(member):
    invoice_for(member, on=D(2026, 3, 1))

    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_for(member, on=D(2026, 3, 2))
        raise RuntimeError("the page failed after issuing")

    invoice_for(member, on=D(2026, 3, 3))
    assert numbers() == ["2026-0001", "2026-0002"]


@pytest.mark.django_db(transaction=True)
def test_eight_invoices_issued_at_the_same_moment_get_numbers_one_to_eight():
    members = [MemberFactory() for _ in range(8)]
    start = threading.Barrier(len(members))
    errors = []

    def issue(member: User) -> None:
        try:
            start.wait(timeout=10)
            invoice_for(member, on=D(2026, 6, 1))
        except Exception as error:  # reported below, with the thread's own traceback lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(Invoice.objects.values_list("serial", flat=True)) == list(range(1, 9))
    assert numbers() == [f"2026-{n:04d}" for n in range(1, 9)]
    # Each member got exactly one of them.
    assert sorted(Invoice.objects.values_list("member_id", flat=True)) == sorted(
        m.pk for m in members
    )


# --- Terms and fees -------------------------------------------------------------------------


def test_a_member_joining_in_october_pays_a_quarter_of_the_calendar_year():
    level = LevelFactory(fee_cents=6000, period=Level.Period.CALENDAR)

    member = member_joined(level=level, on=D(2026, 10, 5))

    (invoice,) = Invoice.objects.filter(member=member)
    assert invoice.total_cents == 1500
    assert (invoice.period_start, invoice.period_end) == (D(2026, 10, 5), D(2027, 1, 1))
    assert invoice.due_on == D(2026, 10, 19)  # PADDOCK_INVOICE_DUE_DAYS after joining
    assert membership_of(member).valid_until == D(2027, 1, 1)
    assert User.objects.get(pk=member.pk).renewal_date == D(2027, 1, 1)


@pytest.mark.parametrize(
    ("joined", "fee"),
    [(D(2026, 1, 1), 6000), (D(2026, 1, 31), 6000), (D(2026, 7, 15), 3000), (D(2026, 12, 1), 500)],
)
def test_the_calendar_year_is_charged_by_the_months_left(joined, fee):
    level = Level(fee_cents=6000, period=Level.Period.CALENDAR)

    assert term_for(level=level, start=joined) == (D(joined.year + 1, 1, 1), fee)


def test_a_rolling_level_runs_twelve_months_for_the_full_fee():
    level = Level(fee_cents=4500, period=Level.Period.ROLLING)

    assert term_for(level=level, start=D(2026, 4, 20)) == (D(2027, 4, 20), 4500)
    assert term_for(level=level, start=D(2028, 2, 29)) == (D(2029, 2, 28), 4500)


def test_a_free_level_issues_no_invoice():
    level = LevelFactory(fee_cents=0)

    member = member_joined(level=level, on=D(2026, 10, 5))

    assert not Invoice.objects.filter(member=member).exists()
    assert membership_of(member).valid_until == D(2027, 1, 1)


# --- Credit notes ---------------------------------------------------------------------------


def test_a_full_credit_note_cancels_an_open_invoice(member):
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 3, 1))

    note = credit_note_issue(invoice=invoice, reason="Joined by mistake")

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    assert note.kind == Invoice.Kind.CREDIT_NOTE
    assert note.credit_for == invoice
    assert note.total_cents == -6000
    assert note.number == f"{note.year}-{note.serial:04d}"
    assert "Joined by mistake" in note.description
    assert invoice.number in note.description


def test_a_partial_credit_note_leaves_the_rest_to_pay(member):
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 3, 1))

    credit_note_issue(invoice=invoice, reason="Discount", amount_cents=2000)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.credit_notes.get().total_cents == -2000
    # The rest can be credited too, and then the invoice is cancelled.
    credit_note_issue(invoice=invoice, reason="Waived", amount_cents=4000)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED


def test_paying_what_a_partial_credit_note_leaves_settles_the_invoice(member):
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 3, 1))
    credit_note_issue(invoice=invoice, reason="Joined late", amount_cents=2000)
    assert invoice_balance_cents(invoice) == 4000

    payment_record(invoice=invoice, amount_cents=4000, method=methods.CASH, notify=False)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice_balance_cents(invoice) == 0


def test_a_credit_note_for_what_is_still_owed_after_a_part_payment_settles_it(member):
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 3, 1))
    payment_record(invoice=invoice, amount_cents=4500, method=methods.CASH, notify=False)

    credit_note_issue(invoice=invoice, reason="Hardship", amount_cents=1500)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


@pytest.mark.parametrize("amount", [5001, 0, -100])
def test_a_credit_note_for_more_than_is_left_is_refused_and_nothing_is_saved(member, amount):
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 3, 1))
    credit_note_issue(invoice=invoice, reason="Discount", amount_cents=1000)  # 5000 left
    before = numbers()

    with pytest.raises(ValueError):
        credit_note_issue(invoice=invoice, reason="Too much", amount_cents=amount)

    assert numbers() == before
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN


def test_a_credit_note_cannot_be_credited_or_paid(member):
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 3, 1))
    note = credit_note_issue(invoice=invoice, reason="Cancelled")

    with pytest.raises(ValueError):
        credit_note_issue(invoice=note, reason="Again")
    with pytest.raises(ValueError):
        payment_record(invoice=note, amount_cents=100, method=methods.CASH)


# --- Payments, refunds and returned debits --------------------------------------------------


def test_a_full_payment_marks_the_invoice_paid_and_a_partial_one_does_not(member):
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 3, 1))

    payment_record(invoice=invoice, amount_cents=2500, method=methods.CASH, notify=False)
    invoice.refresh_from_db()
    assert (invoice.status, invoice_balance_cents(invoice)) == (Invoice.Status.OPEN, 3500)

    payment_record(invoice=invoice, amount_cents=3500, method=methods.TRANSFER, notify=False)
    invoice.refresh_from_db()
    assert (invoice.status, invoice_balance_cents(invoice)) == (Invoice.Status.PAID, 0)


@pytest.mark.parametrize(
    ("kind", "method"),
    [(Payment.Kind.RETURNED, methods.DIRECT_DEBIT), (Payment.Kind.REFUND, methods.TRANSFER)],
)
def test_a_returned_debit_or_a_refund_opens_the_invoice_again(member, kind, method):
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 3, 1))
    payment_record(invoice=invoice, amount_cents=6000, method=method, notify=False)

    payment_record(invoice=invoice, amount_cents=-6000, method=method, kind=kind, notify=False)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert invoice_balance_cents(invoice) == 6000
    assert list(invoice.payments.values_list("kind", "amount_cents").order_by("pk")) == [
        (Payment.Kind.PAYMENT, 6000),
        (kind, -6000),
    ]


def test_paying_a_cancelled_invoice_is_refused(member):
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 3, 1))
    credit_note_issue(invoice=invoice, reason="Cancelled")

    with pytest.raises(ValueError):
        payment_record(invoice=invoice, amount_cents=6000, method=methods.CASH)

    assert not Payment.objects.exists()
