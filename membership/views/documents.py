"""A member's invoices and receipts: a printable page and PDFs. Staff may open anyone's."""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, register_converter
from django.views.decorators.http import require_GET

from membership import methods
from membership.access import get_invoice_for_member
from membership.models import Invoice, Payment
from membership.money import format_cents, grouped
from membership.pdf import bank_details, invoice_pdf, receipt_pdf
from membership.services import invoice_balance_cents


class InvoiceNumberConverter:
    """An invoice number as issued, "2026-0042": anything else is no invoice (404)."""

    regex = r"[0-9]{4}-[0-9]{1,9}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(InvoiceNumberConverter, "invoice_number")


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    # inline: the browser shows it, and its own save button keeps the name.
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def invoice(request, number: str):
    document = get_invoice_for_member(request, number)
    currency = document.currency
    payments = list(document.payments.order_by("received_on", "pk"))
    for payment in payments:
        payment.method_label = methods.label_of(payment.method)
        payment.amount = format_cents(payment.amount_cents, currency)
    credit_notes = list(document.credit_notes.order_by("year", "serial"))
    for note in credit_notes:
        note.amount = format_cents(note.total_cents, currency)
    is_invoice = document.kind == Invoice.Kind.INVOICE
    balance = invoice_balance_cents(document) if is_invoice else 0
    return render(
        request,
        "membership/invoice.html",
        {
            "invoice": document,
            "total": format_cents(document.total_cents, currency),
            "payments": payments,
            "credit_notes": credit_notes,
            "balance_cents": balance,
            "balance": format_cents(balance, currency),
            "bank": bank_details(),
            "club_address": settings.PADDOCK_CLUB_ADDRESS,
            "invoice_note": settings.PADDOCK_INVOICE_NOTE,
            "reference": grouped(document.reference),
            "period_last_day": document.period_end - datetime.timedelta(days=1)
            if document.period_end
            else None,
        },
    )


@login_required
@require_GET
def invoice_pdf_view(request, number: str):
    document = get_invoice_for_member(request, number)
    return _pdf_response(invoice_pdf(document), f"invoice-{document.number}.pdf")


@login_required
@require_GET
def receipt_pdf_view(request, pk: int):
    payments = Payment.objects.select_related("invoice__member", "invoice__credit_for")
    if request.user.is_staff:
        payment = get_object_or_404(payments, pk=pk)
    else:
        payment = get_object_or_404(payments, pk=pk, invoice__member=request.user)
    if payment.invoice.kind != Invoice.Kind.INVOICE:
        raise Http404
    return _pdf_response(receipt_pdf(payment), f"receipt-{payment.invoice.number}-{payment.pk}.pdf")


# (name, view) routes of this part of the office; membership/urls.py gathers them.
member_urls: list = [
    path("invoices/<invoice_number:number>/", invoice, name="invoice"),
    path("invoices/<invoice_number:number>.pdf", invoice_pdf_view, name="invoice_pdf"),
    path("receipts/<int:pk>.pdf", receipt_pdf_view, name="receipt_pdf"),
]
office_urls: list = []
