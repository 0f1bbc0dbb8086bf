"""The office's pages for staff: members due, in grace and lapsed; invoices; the dues report.

Staff only: anonymous visitors are sent to log in, everyone else gets 403 (the pages name
no object a member could own, so there is nothing to hide behind a 404 but a wrong
invoice number). Every write goes through membership/services.py; a refused write comes
back as an error on the page, never as an error page.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import privacy
from config.lib.csvutil import streaming_csv_response
from membership import inbox, methods, selectors, services
from membership.access import require_staff
from membership.forms_office import (
    CreditNoteForm,
    InvoiceFilterForm,
    PaymentForm,
    RefundForm,
    YearForm,
    amount_initial,
)
from membership.models import Invoice, Payment
from membership.money import cents_to_decimal, format_cents

PAGE_SIZE = 50


def _today() -> datetime.date:
    return timezone.localdate()


def _state(request) -> str:
    state = request.GET.get("state", "")
    return state if state in selectors.STATES else selectors.DUE


# --- Members due, in grace, lapsed ------------------------------------------------------


@login_required
def members(request):
    require_staff(request)
    today, state = _today(), _state(request)
    rows = selectors.member_rows(state, today)
    counts = selectors.state_counts(today)
    labels = {
        selectors.DUE: _("Due"),
        selectors.GRACE: _("In grace"),
        selectors.LAPSED: _("Lapsed"),
    }
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "membership/office/members.html",
        {
            "state": state,
            "state_label": labels[state],
            "tabs": [(key, labels[key], counts[key]) for key in selectors.STATES],
            "page": page,
            "grace_days": settings.PADDOCK_RENEWAL_GRACE_DAYS,
        },
    )


@login_required
def members_csv(request):
    require_staff(request)
    today, state = _today(), _state(request)
    viewer = request.user
    header = [
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

    def rows():
        for member in selectors.member_rows(state, today).iterator(chunk_size=2000):
            yield [
                privacy.number_for(member, viewer),
                privacy.name_for(member, viewer),
                privacy.email_for(member, viewer),
                member.level_name,
                member.valid_until,
                member.lapsed_on,
                member.invoice_number,
                _amount(member.invoice_total_cents),
                member.invoice_due_on,
                member.invoice_reminders_sent,
                member.invoice_last_reminded_on,
            ]

    return streaming_csv_response(
        filename=f"members-{state}-{today.isoformat()}.csv", header=header, rows=rows()
    )


def _amount(cents: int | None):
    """Cents as a Decimal with two places for a CSV (never float); None stays empty."""
    return None if cents is None else cents_to_decimal(cents)


# --- Invoices ---------------------------------------------------------------------------


def _filtered_invoices(filters: dict, today: datetime.date):
    invoices = Invoice.objects.all()
    if "status" in filters:
        invoices = invoices.filter(status=filters["status"])
    if "kind" in filters:
        invoices = invoices.filter(kind=filters["kind"])
    if "year" in filters:
        invoices = invoices.filter(year=filters["year"])
    if filters.get("overdue"):
        invoices = invoices.filter(
            pk__in=selectors.invoices_in_arrears(today).order_by().values("pk")
        )
    query = " ".join(filters.get("q", "").split())
    if query:
        invoices = invoices.filter(
            Q(number__icontains=query)
            | Q(billed_name__icontains=query)
            | Q(member__display_name__icontains=query)
        )
    return selectors.with_amounts(invoices)


@login_required
def invoices(request):
    require_staff(request)
    form = InvoiceFilterForm(request.GET)
    found = _filtered_invoices(form.filters(), _today())
    totals = selectors.invoice_totals(found)
    totals["received_cents"] = totals["paid_cents"] - totals["refunded_cents"]
    page = Paginator(
        found.select_related("member", "level").order_by("-year", "-serial"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "membership/office/invoices.html",
        {"form": form, "page": page, "totals": totals, "today": _today()},
    )


def _invoice_for_staff(number: str) -> Invoice:
    """The invoice with its sums (404 for a number that does not exist)."""
    return get_object_or_404(
        selectors.with_amounts(Invoice.objects.select_related("member", "level", "credit_for")),
        number=number,
    )


def _manage_page(request, invoice: Invoice, **bound_forms):
    """The invoice's page for staff, with its forms (a bound one shows its errors)."""
    payable = invoice.kind == Invoice.Kind.INVOICE and invoice.status != Invoice.Status.CANCELLED
    creditable = invoice.total_cents - invoice.credited_cents
    refundable = invoice.paid_cents - invoice.refunded_cents
    payments = list(invoice.payments.select_related("recorded_by"))
    for payment in payments:
        payment.method_label = methods.label_of(payment.method)
    context = {
        "invoice": invoice,
        "today": _today(),
        "payments": payments,
        "credit_notes": invoice.credit_notes.order_by("serial"),
        "can_pay": payable,
        "can_credit": invoice.kind == Invoice.Kind.INVOICE and creditable > 0,
        "can_refund": invoice.kind == Invoice.Kind.INVOICE and refundable > 0,
        "creditable_cents": creditable,
        "refundable_cents": refundable,
        "payment_form": bound_forms.get("payment_form")
        or PaymentForm(prefix="payment", initial={"amount": amount_initial(invoice.balance_cents)}),
        "credit_note_form": bound_forms.get("credit_note_form") or CreditNoteForm(prefix="credit"),
        "refund_form": bound_forms.get("refund_form") or RefundForm(prefix="refund"),
        "bound_forms": list(bound_forms.values()),
    }
    return render(request, "membership/office/invoice_manage.html", context)


@login_required
def invoice_manage(request, number: str):
    require_staff(request)
    return _manage_page(request, _invoice_for_staff(number))


def _done(request, invoice: Invoice, message: str):
    messages.success(request, message)
    inbox.forget_total()
    return redirect("office:invoice_manage", invoice.number)


@login_required
@require_POST
def payment_add(request, number: str):
    require_staff(request)
    invoice = _invoice_for_staff(number)
    form = PaymentForm(request.POST, prefix="payment")
    if form.is_valid():
        if invoice.kind != Invoice.Kind.INVOICE:
            form.add_error(None, _("A credit note is not paid: record the payment on its invoice."))
        elif invoice.status == Invoice.Status.CANCELLED:
            form.add_error(None, _("This invoice was cancelled: no payment can be recorded."))
        else:
            data = form.cleaned_data
            try:
                services.payment_record(
                    invoice=invoice,
                    amount_cents=data["amount"],
                    method=data["method"],
                    received_on=data["received_on"],
                    recorded_by=request.user,
                    note=data["note"],
                )
            except ValueError:
                # Cancelled by someone else in the meantime.
                form.add_error(None, _("This invoice was cancelled: no payment can be recorded."))
            else:
                balance = _invoice_for_staff(number).balance_cents
                if balance < 0:
                    messages.warning(
                        request,
                        _("The invoice is now overpaid by %(amount)s: record a refund.")
                        % {"amount": format_cents(-balance, invoice.currency)},
                    )
                return _done(
                    request,
                    invoice,
                    _("Payment of %(amount)s recorded.")
                    % {"amount": format_cents(data["amount"], invoice.currency)},
                )
    return _manage_page(request, invoice, payment_form=form)


@login_required
@require_POST
def credit_note_add(request, number: str):
    require_staff(request)
    invoice = _invoice_for_staff(number)
    form = CreditNoteForm(request.POST, prefix="credit")
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        left = invoice.total_cents - invoice.credited_cents
        if invoice.kind != Invoice.Kind.INVOICE:
            form.add_error(None, _("A credit note cannot be credited."))
        elif left <= 0:
            form.add_error(None, _("Nothing is left to credit on this invoice."))
        elif amount is not None and amount > left:
            form.add_error(
                "amount",
                _("At most %(amount)s is left to credit.")
                % {"amount": format_cents(left, invoice.currency)},
            )
        else:
            try:
                note = services.credit_note_issue(
                    invoice=invoice, reason=form.cleaned_data["reason"], amount_cents=amount
                )
            except ValueError:
                # Credited by someone else in the meantime.
                form.add_error(None, _("Nothing is left to credit on this invoice."))
            else:
                return _done(
                    request,
                    invoice,
                    _("Credit note %(number)s issued for %(amount)s.")
                    % {
                        "number": note.number,
                        "amount": format_cents(-note.total_cents, invoice.currency),
                    },
                )
    return _manage_page(request, invoice, credit_note_form=form)


@login_required
@require_POST
def refund_add(request, number: str):
    require_staff(request)
    invoice = _invoice_for_staff(number)
    form = RefundForm(request.POST, prefix="refund")
    if form.is_valid():
        if invoice.kind != Invoice.Kind.INVOICE:
            form.add_error(None, _("Refunds are recorded on the invoice, not on a credit note."))
        else:
            data = form.cleaned_data
            with transaction.atomic():
                # What was paid, counted under the invoice's lock: two refunds at once
                # never give back more than came in.
                locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
                paid = services.invoice_paid_cents(locked)
                if data["amount"] > paid:
                    form.add_error(
                        "amount",
                        _("At most %(amount)s was paid, so no more can be refunded.")
                        % {"amount": format_cents(max(paid, 0), invoice.currency)},
                    )
                else:
                    services.payment_record(
                        invoice=locked,
                        amount_cents=-data["amount"],
                        method=data["method"],
                        received_on=data["received_on"],
                        kind=Payment.Kind.REFUND,
                        recorded_by=request.user,
                        note=data["note"],
                        notify=False,
                    )
            if not form.errors:
                return _done(
                    request,
                    invoice,
                    _("Refund of %(amount)s recorded.")
                    % {"amount": format_cents(data["amount"], invoice.currency)},
                )
    return _manage_page(request, invoice, refund_form=form)


# --- The yearly dues report ---------------------------------------------------------------


@login_required
def dues(request):
    require_staff(request)
    year = YearForm(request.GET).chosen_year()
    years = sorted(
        set(Invoice.objects.order_by().values_list("year", flat=True).distinct()) | {_today().year},
        reverse=True,
    )
    return render(
        request,
        "membership/office/dues.html",
        {
            "report": selectors.dues_report(year, _today()),
            "year": year,
            "years": years,
            "currency": settings.PADDOCK_CURRENCY,
        },
    )


@login_required
def dues_csv(request, year: int):
    require_staff(request)
    viewer = request.user
    header = [
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
    # Labels in the request's language, fixed now: the rows are written after the view returns.
    kinds = {key: str(label) for key, label in Invoice.Kind.choices}
    statuses = {key: str(label) for key, label in Invoice.Status.choices}

    def rows():
        documents = selectors.dues_documents(year).select_related("credit_for")
        for invoice in documents.iterator(chunk_size=2000):
            last_day = (
                invoice.period_end - datetime.timedelta(days=1) if invoice.period_end else None
            )
            yield [
                invoice.number,
                kinds.get(invoice.kind, invoice.kind),
                invoice.issued_on,
                privacy.number_for(invoice.member, viewer),
                invoice.billed_name,
                invoice.level.name if invoice.level else "",
                invoice.period_start,
                last_day,
                _amount(invoice.total_cents),
                _amount(invoice.paid_cents - invoice.refunded_cents),
                _amount(invoice.balance_cents),
                statuses.get(invoice.status, invoice.status),
                invoice.credit_for.number if invoice.credit_for else "",
            ]

    return streaming_csv_response(filename=f"dues-{year}.csv", header=header, rows=rows())


# (name, view) routes of this part of the office; membership/urls.py gathers them.
member_urls: list = []
office_urls: list = [
    path("members/", members, name="members"),
    path("members.csv", members_csv, name="members_csv"),
    path("invoices/", invoices, name="invoices"),
    path("invoices/<str:number>/manage/", invoice_manage, name="invoice_manage"),
    path("invoices/<str:number>/payment/", payment_add, name="payment_add"),
    path("invoices/<str:number>/credit-note/", credit_note_add, name="credit_note_add"),
    path("invoices/<str:number>/refund/", refund_add, name="refund_add"),
    path("dues/", dues, name="dues"),
    path("dues/<int:year>.csv", dues_csv, name="dues_csv"),
]
