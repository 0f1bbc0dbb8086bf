"""The office's pages for staff: members due, in grace and lapsed; invoices and what staff
record against them (payments, credit notes, refunds); the yearly dues report; their CSVs.

The concurrency tests at the end run over real HTTP; run them on both databases:

    .venv/bin/pytest -q tests/membership/test_office.py
    tests/with_postgres.sh .venv/bin/pytest -q tests/membership/test_office.py
"""

import csv
import datetime
import io
import re
import threading
import time
from html import unescape

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import FormSubmission, User
from membership import services
from membership.models import Invoice, Level, Payment
from tests.factories import MemberFactory

TODAY = timezone.localdate


# --- Helpers (test_inbox.py uses them too) ----------------------------------------------------


def full_level() -> Level:
    """The level new members get: free, so that no test member gets an invoice unasked."""
    return Level.objects.get_or_create(
        slug="full", defaults={"name": "Full member", "fee_cents": 0, "is_default": True}
    )[0]


def level_named(name: str, *, position: int = 0) -> Level:
    return Level.objects.get_or_create(
        slug=re.sub(r"\W+", "-", name.lower()),
        defaults={"name": name, "fee_cents": 6000, "position": position},
    )[0]


def dues_invoice(
    member: User,
    *,
    due_in: int = 14,
    total: int = 6000,
    level: Level | None = None,
    issued_on: datetime.date | None = None,
) -> Invoice:
    """An open dues invoice of the member's membership, due `due_in` days from today."""
    membership = member.seat.membership
    today = TODAY()
    due_on = today + datetime.timedelta(days=due_in)
    issued_on = issued_on or min(today, due_on)
    start = membership.valid_until or today
    return services.invoice_issue(
        member=member,
        membership=membership,
        level=level or membership.level,
        description="Membership dues",
        total_cents=total,
        period_start=start,
        period_end=start + datetime.timedelta(days=365),
        issued_on=issued_on,
        due_on=due_on,
    )


def member_due(name: str = "Dora Due", **kwargs) -> tuple[User, Invoice]:
    member = MemberFactory(display_name=name)
    return member, dues_invoice(member, **kwargs)


def member_in_grace(name: str = "Greta Grace", **kwargs) -> tuple[User, Invoice]:
    return member_due(name, due_in=-5, **kwargs)


def member_lapsed(name: str = "Lars Lapsed") -> User:
    member = MemberFactory(display_name=name)
    member.seat.membership.__class__.objects.filter(pk=member.seat.membership.pk).update(
        lapsed_on=TODAY() - datetime.timedelta(days=3)
    )
    User.objects.filter(pk=member.pk).update(membership_status=User.Status.LAPSED)
    member.refresh_from_db()
    return member


def pay(invoice: Invoice, cents: int | None = None, **kwargs) -> Payment:
    return services.payment_record(
        invoice=invoice,
        amount_cents=invoice.total_cents if cents is None else cents,
        method="cash",
        notify=False,
        **kwargs,
    )


def text_of(response) -> str:
    """The page as a person reads it: no tags, one space between words."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def read_csv(response) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))


def csv_header(response) -> list[str]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return next(csv.reader(io.StringIO(content)))


@pytest.fixture(autouse=True)
def _free_default_level(db):
    full_level()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def manage_url(invoice: Invoice) -> str:
    return reverse("office:invoice_manage", args=[invoice.number])


def post_url(name: str, invoice: Invoice) -> str:
    return reverse(f"office:{name}", args=[invoice.number])


# --- Who may open the office ---------------------------------------------------------------

PAGES = [
    ("office:members", {}),
    ("office:members_csv", {}),
    ("office:invoices", {}),
    ("office:invoice_manage", "invoice"),
    ("office:dues", {}),
    ("office:dues_csv", "year"),
]


def page_url(name, kwargs, invoice) -> str:
    if kwargs == "invoice":
        return reverse(name, args=[invoice.number])
    if kwargs == "year":
        return reverse(name, args=[invoice.year])
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_it_sends_anonymous_visitors_to_log_in(client, name, kwargs):
    _member, invoice = member_due()
    response = client.get(page_url(name, kwargs, invoice))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_it_refuses_members_even_on_their_own_invoice(client, name, kwargs):
    member, invoice = member_due()
    client.force_login(member)

    assert client.get(page_url(name, kwargs, invoice)).status_code == 403


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_it_shows_staff_every_page(staff_client, name, kwargs):
    _member, invoice = member_due()

    assert staff_client.get(page_url(name, kwargs, invoice)).status_code == 200


@pytest.mark.parametrize("action", ["payment_add", "credit_note_add", "refund_add"])
def test_members_cannot_record_anything(client, action):
    member, invoice = member_due()
    client.force_login(member)

    response = client.post(
        post_url(action, invoice), {"payment-amount": "60", "payment-method": "cash"}
    )

    assert response.status_code == 403
    assert not Payment.objects.exists()
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    "action", ["invoice_manage", "payment_add", "credit_note_add", "refund_add"]
)
def test_a_tampered_invoice_number_is_not_found(staff_client, action):
    _member, invoice = member_due()
    url = reverse(f"office:{action}", args=[invoice.number + "9"])

    response = staff_client.post(url) if action != "invoice_manage" else staff_client.get(url)

    assert response.status_code == 404
    assert not Payment.objects.exists()


# --- Members due, in grace, lapsed ----------------------------------------------------------


def test_it_sorts_members_into_due_grace_and_lapsed_with_counts_on_the_tabs(staff_client):
    due, due_invoice = member_due("Dora Due")
    grace, grace_invoice = member_in_grace("Greta Grace")
    lapsed = member_lapsed("Lars Lapsed")
    past_grace, _ = member_due("Paula Pastgrace", due_in=-(settings.PADDOCK_RENEWAL_GRACE_DAYS + 1))
    paid, paid_invoice = member_due("Petra Paid")
    pay(paid_invoice)

    due_page = staff_client.get(reverse("office:members"))
    grace_page = staff_client.get(reverse("office:members") + "?state=grace")
    lapsed_page = staff_client.get(reverse("office:members") + "?state=lapsed")

    tabs = re.findall(
        r'data-tab="(\w+)">\w[\w ]*<span[^>]*>(\d+)</span>', due_page.content.decode()
    )
    assert dict(tabs) == {"due": "1", "grace": "1", "lapsed": "1"}
    due_text = text_of(due_page)
    assert "Dora Due" in due_text
    assert due_invoice.number in due_text
    assert "60.00 EUR" in due_text
    assert due_invoice.due_on.strftime("%d/%m/%Y") in due_text
    assert "Greta Grace" not in due_text
    assert "Petra Paid" not in due_text
    assert "Greta Grace" in text_of(grace_page) and grace_invoice.number in text_of(grace_page)
    assert "Paula Pastgrace" not in text_of(grace_page)
    assert "Lars Lapsed" in text_of(lapsed_page)
    assert f'href="{reverse("admin:accounts_user_change", args=[due.pk])}"' in (
        due_page.content.decode()
    )
    assert f"No. {due.membership_number}" in due_text
    assert grace.pk and lapsed.pk and past_grace.pk


def test_a_member_row_shows_the_last_reminder(staff_client):
    _member, invoice = member_in_grace()
    Invoice.objects.filter(pk=invoice.pk).update(
        reminders_sent=2, last_reminded_on=datetime.date(2026, 3, 4)
    )

    text = text_of(staff_client.get(reverse("office:members") + "?state=grace"))

    assert "04/03/2026 (2 reminders)" in text


def test_a_tampered_state_shows_the_due_tab(staff_client):
    member_due("Dora Due")

    response = staff_client.get(reverse("office:members") + "?state=<script>")

    assert response.status_code == 200
    assert "Dora Due" in text_of(response)


@pytest.mark.parametrize("count", [2, 50])
def test_the_members_list_takes_the_same_queries_for_2_and_50(
    staff_client, count, django_assert_num_queries
):
    for n in range(count):
        member_due(f"Member {n:02d}")

    # 1. the session, 2. the logged-in user, 3. the three tabs' counts (one aggregate),
    # 4. COUNT(*) of the tab, for the paginator, 5. the page of members with their level,
    # term and open invoice (annotated), 6. the office's total for the navigation bar
    # (then cached for a minute)
    with django_assert_num_queries(6):
        response = staff_client.get(reverse("office:members"))

    assert response.content.decode().count("data-member=") == min(count, 50)


def test_the_members_csv_has_the_tab_with_exact_amounts_and_defused_names(staff_client):
    member, invoice = member_due("=HYPERLINK(1)", total=4550)
    member_in_grace("Greta Grace")

    response = staff_client.get(reverse("office:members_csv") + "?state=due")
    rows = read_csv(response)

    assert response["Content-Type"].startswith("text/csv")
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "'=HYPERLINK(1)"
    assert row["membership_number"] == str(member.membership_number)
    assert row["email"] == member.email
    assert row["invoice"] == invoice.number
    assert row["amount"] == "45.50"
    assert row["due_on"] == invoice.due_on.isoformat()
    assert row["level"] == "Full member"


def test_the_members_csv_has_its_header(staff_client):
    response = staff_client.get(reverse("office:members_csv") + "?state=lapsed")

    assert csv_header(response) == [
        "membership_number",
        "name",
        "email",
        "level",
        "valid_until",
        "lapsed_on",
        "invoice",
        "amount",
        "due_on",
        "reminders_sent",
        "last_reminded_on",
    ]


# --- The invoice list ----------------------------------------------------------------------


def test_it_filters_invoices_and_totals_what_it_found(staff_client):
    _a, due = member_due("Anna Able", total=6000)
    _b, overdue = member_in_grace("Bert Behind", total=3000)
    _c, paid = member_due("Carl Cleared", total=2500)
    pay(paid)
    url = reverse("office:invoices")

    everything = staff_client.get(url)
    open_only = staff_client.get(url + "?status=open")
    overdue_only = staff_client.get(url + "?overdue=1")
    by_name = staff_client.get(url + "?q=bert")
    by_number = staff_client.get(url + f"?q={paid.number}")

    def numbers(response):
        return re.findall(r'data-invoice="([\d-]+)"', response.content.decode())

    assert set(numbers(everything)) == {due.number, overdue.number, paid.number}
    assert set(numbers(open_only)) == {due.number, overdue.number}
    assert numbers(overdue_only) == [overdue.number]
    assert numbers(by_name) == [overdue.number]
    assert numbers(by_number) == [paid.number]
    html = open_only.content.decode()
    assert re.search(r'data-total="count">2<', html)
    assert re.search(r'data-total="total">90.00 EUR<', html)
    assert re.search(r'data-total="balance">90.00 EUR<', html)
    assert re.search(r'data-total="paid">25.00 EUR<', everything.content.decode())
    assert "Overdue" in text_of(overdue_only)


def test_it_filters_by_kind_and_year(staff_client):
    _m, invoice = member_due()
    note = services.credit_note_issue(invoice=invoice, reason="Joined by mistake")
    url = reverse("office:invoices")

    credit_notes = staff_client.get(url + "?kind=credit").content.decode()
    other_year = staff_client.get(url + f"?year={invoice.year - 1}").content.decode()

    assert re.findall(r'data-invoice="([\d-]+)"', credit_notes) == [note.number]
    assert "No invoice matches these filters." in other_year


@pytest.mark.parametrize("query", ["?year=abc", "?status=nonsense", "?q=" + "x" * 500])
def test_a_tampered_filter_is_ignored_not_an_error(staff_client, query):
    _m, invoice = member_due()

    response = staff_client.get(reverse("office:invoices") + query)

    assert response.status_code == 200


def test_a_nul_byte_in_the_search_is_a_bad_request(staff_client):
    # Refused before the view (config.middleware.RefuseNulQueryMiddleware).
    assert staff_client.get(reverse("office:invoices") + "?q=%00").status_code == 400


@pytest.mark.parametrize("count", [2, 50])
def test_the_invoice_list_takes_the_same_queries_for_2_and_50(
    staff_client, count, django_assert_num_queries
):
    for n in range(count):
        _member, invoice = member_due(f"Member {n:02d}")
        if n % 2:
            pay(invoice, 1000)

    # 1. the session, 2. the logged-in user, 3. the totals of the invoices found (one
    # aggregate over the annotated sums), 4. COUNT(*) for the paginator, 5. the page of
    # invoices with member, level and their sums (annotated), 6. the office's total for
    # the navigation bar (then cached for a minute)
    with django_assert_num_queries(6):
        response = staff_client.get(reverse("office:invoices"))

    assert response.content.decode().count("data-invoice=") == min(count, 50)


# --- Recording a payment -------------------------------------------------------------------


def payment_data(amount: str, **extra) -> dict:
    return {
        "payment-method": "cash",
        "payment-amount": amount,
        "payment-received_on": TODAY().isoformat(),
        "payment-note": "At the summer meet",
        **extra,
    }


def test_the_payment_form_offers_the_staff_methods_and_the_balance(staff_client):
    _m, invoice = member_due(total=6000)
    pay(invoice, 1500)

    html = staff_client.get(manage_url(invoice)).content.decode()

    assert 'value="45.00"' in html
    for label in ("Cash", "Card at the gate", "Bank transfer", "Other"):
        assert f">{label}</option>" in html
    assert ">SEPA direct debit</option>" not in html


@pytest.mark.parametrize("typed", ["60", "60.00", "60,00", " 60,00 "])
def test_staff_record_a_cash_payment_typed_as_people_type_it(
    staff_client, staff, typed, django_capture_on_commit_callbacks
):
    member, invoice = member_due(total=6000)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(post_url("payment_add", invoice), payment_data(typed))

    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.amount_cents == 6000
    assert payment.method == "cash"
    assert payment.recorded_by == staff
    assert payment.note == "At the summer meet"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert [m.to for m in mail.outbox] == [[member.email]]  # the receipt
    page = text_of(staff_client.get(response["Location"]))
    assert "Payment of 60.00 EUR recorded." in page
    assert "Nothing owed" in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("sixty", "Please type an amount such as 60, 60.00 or 60,00."),
        ("60.0.0", "Please type an amount such as 60, 60.00 or 60,00."),
        ("1e5", "Please type an amount such as 60, 60.00 or 60,00."),
        ("9" * 30, "Ensure this value has at most 20 characters"),
        ("-5", "The amount must be more than zero."),
        ("0", "The amount must be more than zero."),
        ("0,00", "The amount must be more than zero."),
        ("", "This field is required."),
    ],
)
def test_a_bad_amount_is_an_error_on_the_page_and_records_nothing(staff_client, typed, message):
    _m, invoice = member_due()

    response = staff_client.post(post_url("payment_add", invoice), payment_data(typed))

    assert response.status_code == 200
    assert message in text_of(response)
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("payment-method", "sepa_dd", "Select a valid choice."),
        ("payment-received_on", "not a date", "Enter a valid date."),
        ("payment-received_on", "2099-01-01", "more than a year from today"),
        ("payment-note", "n" * 201, "Ensure this value has at most 200 characters"),
    ],
)
def test_other_bad_input_is_an_error_on_the_page(staff_client, field, value, message):
    _m, invoice = member_due()

    response = staff_client.post(
        post_url("payment_add", invoice), payment_data("60", **{field: value})
    )

    assert response.status_code == 200
    assert message in text_of(response)
    assert not Payment.objects.exists()


def test_no_payment_is_recorded_on_a_cancelled_invoice(staff_client):
    _m, invoice = member_due()
    services.credit_note_issue(invoice=invoice, reason="Joined by mistake")

    response = staff_client.post(post_url("payment_add", invoice), payment_data("60"))

    assert response.status_code == 200
    assert "This invoice was cancelled: no payment can be recorded." in text_of(response)
    assert not Payment.objects.exists()


def test_no_payment_is_recorded_on_a_credit_note(staff_client):
    _m, invoice = member_due()
    note = services.credit_note_issue(invoice=invoice, reason="Joined by mistake")

    response = staff_client.post(post_url("payment_add", note), payment_data("60"))

    assert response.status_code == 200
    assert "A credit note is not paid" in text_of(response)
    assert not Payment.objects.exists()


def test_a_payment_sent_twice_is_recorded_once(staff_client):
    _m, invoice = member_due()
    page = staff_client.get(manage_url(invoice)).content.decode()
    token = re.search(
        r'action="'
        + re.escape(post_url("payment_add", invoice))
        + r'".*?name="form_once" value="(\w+)"',
        page,
        re.S,
    ).group(1)
    data = payment_data("60", form_once=token)

    first = staff_client.post(post_url("payment_add", invoice), data)
    second = staff_client.post(post_url("payment_add", invoice), data)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Payment.objects.count() == 1


def test_an_overpayment_shows_and_asks_for_a_refund(staff_client):
    _m, invoice = member_due(total=6000)
    pay(invoice)

    response = staff_client.post(post_url("payment_add", invoice), payment_data("10"), follow=True)

    text = text_of(response)
    assert "The invoice is now overpaid by 10.00 EUR: record a refund." in text
    assert "Overpaid: -10.00 EUR" in text


# --- Credit notes --------------------------------------------------------------------------


def test_a_full_credit_note_cancels_the_open_invoice(staff_client):
    _m, invoice = member_due(total=6000)

    response = staff_client.post(
        post_url("credit_note_add", invoice),
        {"credit-amount": "", "credit-reason": "Joined by mistake"},
    )

    assert response.status_code == 302
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.total_cents == -6000
    assert note.credit_for == invoice
    assert "Joined by mistake" in note.description
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    page = text_of(staff_client.get(response["Location"]))
    assert f"Credit note {note.number} issued for 60.00 EUR." in page


def test_a_partial_credit_note_keeps_the_invoice_open_and_lowers_the_balance(staff_client):
    _m, invoice = member_due(total=6000)

    staff_client.post(
        post_url("credit_note_add", invoice),
        {"credit-amount": "20,00", "credit-reason": "Joined in the autumn"},
    )

    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.total_cents == -2000
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    html = staff_client.get(manage_url(invoice)).content.decode()
    assert re.search(r'data-amount="credited">20.00 EUR<', html)
    assert "40.00 EUR owed" in text_of(staff_client.get(manage_url(invoice)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"credit-amount": "70", "credit-reason": "Too much"},
            "At most 60.00 EUR is left to credit.",
        ),
        (
            {"credit-amount": "-5", "credit-reason": "Negative"},
            "The amount must be more than zero.",
        ),
        ({"credit-amount": "20", "credit-reason": ""}, "This field is required."),
        ({"credit-amount": "20", "credit-reason": "r" * 201}, "at most 200 characters"),
    ],
)
def test_a_bad_credit_note_is_an_error_on_the_page(staff_client, data, message):
    _m, invoice = member_due(total=6000)

    response = staff_client.post(post_url("credit_note_add", invoice), data)

    assert response.status_code == 200
    assert message in text_of(response)
    assert Invoice.objects.count() == 1


def test_a_cancelled_invoice_cannot_be_credited_again(staff_client):
    _m, invoice = member_due()
    services.credit_note_issue(invoice=invoice, reason="Joined by mistake")

    response = staff_client.post(
        post_url("credit_note_add", invoice), {"credit-amount": "", "credit-reason": "Again"}
    )

    assert response.status_code == 200
    assert "Nothing is left to credit on this invoice." in text_of(response)
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1


def test_a_credit_note_cannot_be_credited(staff_client):
    _m, invoice = member_due()
    note = services.credit_note_issue(invoice=invoice, reason="Joined by mistake")

    response = staff_client.post(
        post_url("credit_note_add", note), {"credit-amount": "", "credit-reason": "Again"}
    )

    assert response.status_code == 200
    assert "A credit note cannot be credited." in text_of(response)
    assert Invoice.objects.count() == 2


# --- Refunds -------------------------------------------------------------------------------


def refund_data(amount: str) -> dict:
    return {
        "refund-method": "transfer",
        "refund-amount": amount,
        "refund-received_on": TODAY().isoformat(),
        "refund-note": "Paid twice",
    }


def test_a_refund_gives_money_back_without_a_receipt(
    staff_client, staff, django_capture_on_commit_callbacks
):
    _m, invoice = member_due(total=6000)
    pay(invoice)
    pay(invoice, 6000)  # paid twice
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(post_url("refund_add", invoice), refund_data("60"))

    assert response.status_code == 302
    refund = Payment.objects.get(kind=Payment.Kind.REFUND)
    assert refund.amount_cents == -6000
    assert refund.recorded_by == staff
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert mail.outbox == []
    text = text_of(staff_client.get(manage_url(invoice)))
    assert "Nothing owed" in text
    assert "Refund of 60.00 EUR recorded." in text


def test_a_refund_of_more_than_was_paid_is_refused(staff_client):
    _m, invoice = member_due(total=6000)
    pay(invoice, 2000)

    response = staff_client.post(post_url("refund_add", invoice), refund_data("20.01"))

    assert response.status_code == 200
    assert "At most 20.00 EUR was paid, so no more can be refunded." in text_of(response)
    assert not Payment.objects.filter(kind=Payment.Kind.REFUND).exists()


def test_nothing_paid_means_no_refund(staff_client):
    _m, invoice = member_due()

    page = text_of(staff_client.get(manage_url(invoice)))
    response = staff_client.post(post_url("refund_add", invoice), refund_data("1"))

    assert "Record a refund" not in page
    assert response.status_code == 200
    assert "no more can be refunded" in text_of(response)
    assert not Payment.objects.exists()


def test_the_invoice_page_lists_its_payments_and_credit_notes(staff_client, staff):
    _m, invoice = member_due(total=6000)
    pay(invoice, 2000, recorded_by=staff, note="Half at the gate")
    note = services.credit_note_issue(invoice=invoice, reason="Discount", amount_cents=1000)

    text = text_of(staff_client.get(manage_url(invoice)))

    assert "Cash" in text and "20.00 EUR" in text and "Half at the gate" in text
    assert "Stella Staff" in text
    assert note.number in text and "-10.00 EUR" in text
    assert "30.00 EUR owed" in text


# --- The yearly dues report ---------------------------------------------------------------


def test_the_dues_report_sums_each_level(staff_client):
    household = level_named("Household", position=2)
    full = full_level()
    _a, paid = member_due("Anna Able", total=6000, level=full)
    pay(paid)
    _b, partly = member_in_grace("Bert Behind", total=6000, level=full)
    pay(partly, 2500)
    _c, credited = member_due("Carl Credit", total=9000, level=household)
    services.credit_note_issue(invoice=credited, reason="Moved away")
    _d, refunded = member_due("Dana Double", total=9000, level=household)
    pay(refunded)
    pay(refunded, 9000)
    pay(refunded, -9000, kind=Payment.Kind.REFUND)

    response = staff_client.get(reverse("office:dues") + f"?year={paid.year}")
    html = response.content.decode()

    def row(level):
        match = re.search(rf'data-level="{level}">(.*?)</tr>', html, re.S)
        return re.findall(r">([^<>]+)</td>", match.group(1))

    # invoices, invoiced, credited, paid, refunded, outstanding
    assert row("Full member") == ["2", "120.00", "0.00", "85.00", "0.00", "35.00"]
    assert row("Household") == ["2", "180.00", "90.00", "180.00", "90.00", "0.00"]
    assert row("total") == ["4", "300.00", "90.00", "265.00", "90.00", "35.00"]
    assert "1 invoice of" in text_of(response) and "35.00 EUR still owed" in text_of(response)


def test_the_dues_report_of_a_year_without_invoices_says_so(staff_client):
    response = staff_client.get(reverse("office:dues") + "?year=2001")

    assert "No invoice was issued in 2001." in text_of(response)
    assert "No invoice of 2001 is overdue." in text_of(response)


def test_a_tampered_year_shows_this_year(staff_client):
    response = staff_client.get(reverse("office:dues") + "?year=x';--")

    assert response.status_code == 200
    assert f"Dues report {TODAY().year}" in text_of(response)


def test_the_dues_csv_has_every_invoice_and_credit_note_with_exact_amounts(staff_client):
    member, invoice = member_due("=cmd|' /C calc'!A0", total=6050)
    pay(invoice, 1000)
    note = services.credit_note_issue(invoice=invoice, reason="Discount", amount_cents=2050)

    response = staff_client.get(reverse("office:dues_csv", args=[invoice.year]))
    rows = read_csv(response)

    assert response["Content-Disposition"] == f'attachment; filename="dues-{invoice.year}.csv"'
    assert [r["number"] for r in rows] == [invoice.number, note.number]
    first, second = rows
    assert first["kind"] == "Invoice"
    assert first["date"] == invoice.issued_on.isoformat()
    assert first["member_number"] == str(member.membership_number)
    assert first["billed_name"] == "'=cmd|' /C calc'!A0"
    assert first["level"] == "Full member"
    assert first["period_from"] == invoice.period_start.isoformat()
    assert first["period_until"] == (invoice.period_end - datetime.timedelta(days=1)).isoformat()
    assert (first["total"], first["paid"], first["balance"]) == ("60.50", "10.00", "30.00")
    assert first["status"] == "Open"
    assert second["kind"] == "Credit note"
    assert (second["total"], second["paid"], second["balance"]) == ("-20.50", "0.00", "0.00")
    assert second["credits_invoice"] == invoice.number


def test_the_dues_csv_has_its_header(staff_client):
    response = staff_client.get(reverse("office:dues_csv", args=[2001]))

    assert csv_header(response) == [
        "number",
        "kind",
        "date",
        "member_number",
        "billed_name",
        "level",
        "period_from",
        "period_until",
        "total",
        "paid",
        "balance",
        "status",
        "credits_invoice",
    ]


# --- Two staff at once, over real HTTP ------------------------------------------------------


class Tab:
    """A logged-in browser tab over real HTTP (as in tests/security/test_http_races.py)."""

    def __init__(self, live_server, session_id: str, csrf: str, path: str):
        import requests

        self.base = live_server.url
        self.csrf = csrf
        self.session = requests.Session()
        self.session.cookies.set(settings.SESSION_COOKIE_NAME, session_id)
        self.session.cookies.set(settings.CSRF_COOKIE_NAME, csrf)
        response = self.session.get(self.base + path, timeout=90)
        assert response.status_code == 200, response.status_code
        self.html = response.text

    def post(self, path: str, data: dict):
        try:
            return self.session.post(
                self.base + path,
                data={**data, "csrfmiddlewaretoken": self.csrf},
                headers={"Connection": "close"},
                allow_redirects=False,
                timeout=90,
            )
        finally:
            self.session.close()

    def token_for(self, path: str) -> str:
        form = re.search(
            r'action="' + re.escape(path) + r'".*?name="form_once" value="(\w+)"', self.html, re.S
        )
        return form.group(1)


def session_of(person: User) -> str:
    client = Client()
    client.force_login(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def together(calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(index):
        try:
            barrier.wait(timeout=60)
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request is stuck"
    assert errors == [], errors
    return results


def wait_for_server_threads() -> None:
    """The live server's threads close their database connections as they end."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_one_cash_payment_sent_twice_at_once_is_recorded_once(live_server):
    full_level()
    staff = MemberFactory(display_name="Stella Staff", is_staff=True)
    _m, invoice = member_due(total=6000)
    page, action = manage_url(invoice), post_url("payment_add", invoice)
    session, csrf = session_of(staff), "c" * 32
    tabs = [Tab(live_server, session, csrf, page) for _ in range(2)]
    data = {**payment_data("60"), "form_once": tabs[0].token_for(action)}

    try:
        responses = together([lambda tab=tab: tab.post(action, data) for tab in tabs])
    finally:
        wait_for_server_threads()

    assert [r.status_code for r in responses] == [302, 302]
    assert len({r.headers["Location"] for r in responses}) == 1
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert FormSubmission.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_staff_recording_the_same_payment_at_once_show_the_overpayment(live_server):
    full_level()
    first = MemberFactory(display_name="Stella Staff", is_staff=True)
    second = MemberFactory(display_name="Sam Staff", is_staff=True)
    member, invoice = member_due(total=6000)
    valid_until = member.seat.membership.valid_until
    page, action = manage_url(invoice), post_url("payment_add", invoice)
    tabs = [Tab(live_server, session_of(person), "c" * 32, page) for person in (first, second)]

    try:
        responses = together(
            [
                lambda tab=tab: tab.post(
                    action, {**payment_data("60"), "form_once": tab.token_for(action)}
                )
                for tab in tabs
            ]
        )
    finally:
        wait_for_server_threads()

    assert [r.status_code for r in responses] == [302, 302]
    assert sorted(Payment.objects.values_list("recorded_by__display_name", flat=True)) == [
        "Sam Staff",
        "Stella Staff",
    ]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    member.seat.membership.refresh_from_db()
    # The term was granted once, for the invoice's period.
    assert member.seat.membership.valid_until == invoice.period_end != valid_until
    client = Client()
    client.force_login(first)
    assert "Overpaid: -60.00 EUR" in text_of(client.get(page))
