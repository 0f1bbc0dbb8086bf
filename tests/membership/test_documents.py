"""Invoices and receipts as PDFs and as a printable page, and who may open them."""

import contextlib
import datetime
import re
import zlib

import pytest
from django.test import Client
from django.urls import reverse

from membership import methods
from membership.models import Invoice
from membership.pdf import invoice_pdf, pdf_text, receipt_pdf
from membership.services import credit_note_issue, payment_record
from tests.factories import MemberFactory
from tests.membership.factories import LevelFactory, invoice_for, member_joined

pytestmark = pytest.mark.django_db
D = datetime.date


def pdf_texts(content: bytes) -> str:
    """The text drawn on the pages: each (compressed) content stream's string operands."""
    assert content.startswith(b"%PDF-")
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.DOTALL)
    drawn = []
    for stream in streams:
        with contextlib.suppress(zlib.error):
            stream = zlib.decompress(stream)
        for text in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", stream, re.DOTALL):
            drawn.append(text.replace(rb"\(", b"(").replace(rb"\)", b")").decode("cp1252"))
    return " ".join(drawn)


@pytest.fixture
def bank(settings):
    settings.PADDOCK_BANK_IBAN = "DE89370400440532013000"
    settings.PADDOCK_BANK_BIC = "COBADEFFXXX"
    settings.PADDOCK_BANK_ACCOUNT_HOLDER = "1M Register e.V."
    settings.PADDOCK_CLUB_ADDRESS = ["Musterstraße 1", "80331 München"]
    settings.PADDOCK_INVOICE_NOTE = "Dues carry no VAT (§ 4 Nr. 22 UStG). Fee 60 €."


@pytest.fixture
def owner(db):
    return MemberFactory(display_name="Greta Grünwald")


@pytest.fixture
def invoice(owner):
    return invoice_for(owner, total_cents=6000, on=D(2026, 12, 2), description="Dues 2027")


# --- The PDFs -------------------------------------------------------------------------------


def test_an_invoice_pdf_says_who_owes_what_and_how_to_pay_it(invoice, bank):
    text = pdf_texts(invoice_pdf(invoice))

    for expected in [
        "BMW 1 Series M Register",
        "Musterstraße 1",
        "Invoice 2026-0001",
        "Greta Grünwald",
        "Dues 2027",
        "60.00 EUR",
        "DE89 3704 0044 0532 0130 00",
        "COBADEFFXXX",
        "1M Register e.V.",
        "RF",
        "Fee 60 €.",
    ]:
        assert expected in text, expected
    reference = " ".join(re.findall(".{1,4}", invoice.reference))
    assert reference in text
    assert "PAID" not in text


def test_a_paid_invoice_pdf_is_marked_paid_and_asks_for_nothing(invoice, bank):
    payment_record(invoice=invoice, amount_cents=6000, method=methods.CASH, notify=False)
    invoice.refresh_from_db()

    text = pdf_texts(invoice_pdf(invoice))

    assert "PAID" in text
    assert "How to pay" not in text


def test_a_credit_note_pdf_names_the_invoice_it_credits(invoice):
    note = credit_note_issue(invoice=invoice, reason="Joined by mistake")

    text = pdf_texts(invoice_pdf(note))

    assert f"Credit note {note.number}" in text
    assert "Credit note for invoice 2026-0001" in text
    assert "-60.00 EUR" in text
    assert "How to pay" not in text


def test_a_pdf_is_written_in_the_language_of_the_invoice(bank):
    member = MemberFactory(language="de")
    invoice = invoice_for(member, total_cents=6050, on=D(2026, 10, 5))

    text = pdf_texts(invoice_pdf(invoice))

    assert "5. Oktober 2026" in text  # Django's German month names and date format
    assert "60,50 EUR" in text  # and its German decimal comma


def test_names_in_any_script_never_break_a_pdf(bank):
    member = MemberFactory(display_name="Łukasz Żółć 李 Ωmega Дмитрий ẞtraße")
    invoice = invoice_for(member, total_cents=6000, on=D(2026, 10, 5))
    payment = payment_record(invoice=invoice, amount_cents=6000, method="cash", notify=False)

    text = pdf_texts(invoice_pdf(invoice)) + pdf_texts(receipt_pdf(payment))

    assert "Lukasz Zólc ? Omega Dmitriy SStraße" in text  # ó is in Windows-1252


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("Grünwald Straße € „quoted“ – …", "Grünwald Straße € „quoted“ – …"),
        ("Łódź Dvořák Ørsted Ğ", "Lódz Dvorák Ørsted G"),
        ("Дмитрий Щукин", "Dmitriy Shchukin"),
        ("Σωκράτης", "Sokratis"),
        ("李小龍", "???"),
        ("tab\tnew\nline", "tab new line"),
        ("1\u202f234,50\u00a0EUR", "1 234,50\u00a0EUR"),
    ],
)
def test_text_is_spelled_in_the_pdf_fonts_characters(written, printed):
    assert pdf_text(written) == printed
    printed.encode("cp1252")  # what the PDF's font can draw


def test_a_receipt_pdf_says_what_was_received_when_and_how(invoice):
    payment = payment_record(
        invoice=invoice,
        amount_cents=6000,
        method=methods.TRANSFER,
        received_on=D(2026, 12, 20),
        notify=False,
    )

    text = pdf_texts(receipt_pdf(payment))

    for expected in ["Receipt", "Greta Grünwald", "60.00 EUR", "20 Dec 2026", "Bank transfer"]:
        assert expected in text, expected
    assert "2026-0001" in text


# --- The pages: who may open them ----------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def paid(invoice):
    return payment_record(invoice=invoice, amount_cents=6000, method="cash", notify=False)


@pytest.mark.parametrize("view", ["invoice", "invoice_pdf"])
def test_an_anonymous_visitor_is_sent_to_log_in(invoice, view):
    url = reverse(f"membership:{view}", args=[invoice.number])

    response = client_for(None).get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("view", ["invoice", "invoice_pdf"])
def test_another_members_invoice_does_not_exist_for_a_member(invoice, other_member, view):
    response = client_for(other_member).get(reverse(f"membership:{view}", args=[invoice.number]))

    assert response.status_code == 404


def test_another_members_receipt_does_not_exist_for_a_member(paid, other_member):
    response = client_for(other_member).get(reverse("membership:receipt_pdf", args=[paid.pk]))

    assert response.status_code == 404


def test_the_member_sees_their_invoice_with_how_to_pay_print_and_pdf(invoice, owner, bank):
    response = client_for(owner).get(reverse("membership:invoice", args=[invoice.number]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Invoice 2026-0001" in page
    assert "Greta Grünwald" in page
    assert "60.00 EUR" in page
    assert "DE89 3704 0044 0532 0130 00" in page
    assert " ".join(re.findall(".{1,4}", invoice.reference)) in page
    assert "data-print" in page and "membership/print.js" in page
    assert reverse("membership:invoice_pdf", args=[invoice.number]) in page


def test_a_paid_invoice_page_lists_the_payment_with_its_receipt(paid, owner):
    response = client_for(owner).get(reverse("membership:invoice", args=[paid.invoice.number]))

    page = response.content.decode()
    assert "Paid. Thank you!" in page
    assert "How to pay" not in page
    assert reverse("membership:receipt_pdf", args=[paid.pk]) in page


def test_a_credit_note_page_links_to_its_invoice(invoice, owner):
    note = credit_note_issue(invoice=invoice, reason="Joined by mistake")

    response = client_for(owner).get(note.get_absolute_url())

    page = response.content.decode()
    assert "Credit note for invoice" in page
    assert invoice.get_absolute_url() in page
    # And the cancelled invoice lists it.
    page = client_for(owner).get(invoice.get_absolute_url()).content.decode()
    assert "Cancelled" in page and note.number in page


def test_the_member_downloads_their_invoice_and_receipt_as_pdfs(paid, owner):
    client = client_for(owner)

    invoice = client.get(reverse("membership:invoice_pdf", args=[paid.invoice.number]))
    receipt = client.get(reverse("membership:receipt_pdf", args=[paid.pk]))

    assert invoice.status_code == receipt.status_code == 200
    assert invoice["Content-Type"] == receipt["Content-Type"] == "application/pdf"
    assert 'filename="invoice-2026-0001.pdf"' in invoice["Content-Disposition"]
    assert f'filename="receipt-2026-0001-{paid.pk}.pdf"' in receipt["Content-Disposition"]
    assert "2026-0001" in pdf_texts(invoice.content)
    assert "Receipt" in pdf_texts(receipt.content)


@pytest.mark.parametrize("view", ["invoice", "invoice_pdf"])
def test_staff_may_open_anyones_invoice(invoice, staff, view):
    response = client_for(staff).get(reverse(f"membership:{view}", args=[invoice.number]))

    assert response.status_code == 200


def test_staff_may_open_anyones_receipt(paid, staff):
    response = client_for(staff).get(reverse("membership:receipt_pdf", args=[paid.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/membership/invoices/2026-9999/",  # no such invoice
        "/membership/invoices/2026_0001/",
        "/membership/invoices/2026-0001x/",
        "/membership/invoices/RF12345/",
        "/membership/invoices/2026-0001.pdf.pdf",
        "/membership/invoices/..%2F2026-0001/",
        "/membership/receipts/abc.pdf",
        "/membership/receipts/99999.pdf",
    ],
)
def test_anything_but_an_invoice_number_is_not_found(invoice, owner, path):
    assert client_for(owner).get(path).status_code == 404


def test_a_posted_request_is_refused(invoice, owner):
    response = client_for(owner).post(reverse("membership:invoice", args=[invoice.number]))

    assert response.status_code == 405


def test_the_invoice_page_takes_the_same_queries_for_one_payment_and_many(
    owner, django_assert_num_queries
):
    """Session, user (2); the invoice with its member and level (1); its payments (1); its
    credit notes (1); what was credited and what was paid, for the balance (2)."""
    level = LevelFactory()
    member = member_joined(level=level, on=D(2026, 10, 5))
    client = client_for(member)
    invoice = Invoice.objects.get(member=member)
    payment_record(invoice=invoice, amount_cents=100, method="cash", notify=False)
    with django_assert_num_queries(7):
        assert client.get(invoice.get_absolute_url()).status_code == 200
    for _ in range(9):
        payment_record(invoice=invoice, amount_cents=100, method="cash", notify=False)
    with django_assert_num_queries(7):
        assert client.get(invoice.get_absolute_url()).status_code == 200
