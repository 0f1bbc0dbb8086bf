"""Bank statements in the office: upload, read a statement, match the lines left waiting.

Staff only: anonymous visitors are sent to log in, members who are not staff get 403.
The counterparty's name and account come from the bank and are shown here only.
"""

import re
from collections import defaultdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from membership.access import require_staff
from membership.models import Invoice, Statement, StatementLine
from membership.money import find_creditor_references, format_cents
from membership.services import invoice_balance_cents
from membership.statements import (
    INVOICE_NUMBER,
    MAX_BYTES,
    StatementError,
    statement_import,
    statement_line_ignore,
    statement_line_match,
    too_large_message,
)

STATEMENTS_PER_PAGE = 25
LINES_PER_PAGE = 100
UNMATCHED_PER_PAGE = 25
SUGGESTIONS_PER_LINE = 5


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Statement file"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xml,.sta,.mt940,.940,.txt,text/xml,application/xml,text/plain"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "CAMT.053 (XML) or MT940, as your online banking exports it; up to %(size)s MB."
        ) % {"size": MAX_BYTES // 1024 // 1024}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(too_large_message(upload.size))
        return upload


class LineMatchForm(forms.Form):
    invoice = forms.CharField(label=gettext_lazy("Invoice number"), max_length=20)

    def clean_invoice(self) -> Invoice:
        number = self.cleaned_data["invoice"].strip()
        invoice = Invoice.objects.filter(number=number).first()
        if invoice is None:
            raise forms.ValidationError(
                _("There is no invoice %(number)s.") % {"number": number[:20]}
            )
        return invoice


def _page_number(request) -> str:
    """The list page to go back to (digits only: it goes into a URL)."""
    page = request.GET.get("page", "")
    return page if page.isdigit() else ""


# --- Upload and the list of statements ---------------------------------------------------


def _result_message(result) -> str:
    parts = [
        ngettext(
            "%(count)s new line: %(matched)s matched and paid, %(unmatched)s waiting to be "
            "matched, %(ignored)s set aside as not dues.",
            "%(count)s new lines: %(matched)s matched and paid, %(unmatched)s waiting to be "
            "matched, %(ignored)s set aside as not dues.",
            result.new,
        )
        % {
            "count": result.new,
            "matched": result.matched,
            "unmatched": result.unmatched,
            "ignored": result.ignored,
        }
    ]
    if result.duplicates:
        parts.append(
            ngettext(
                "%(count)s line was imported before from another statement and was skipped.",
                "%(count)s lines were imported before from another statement and were skipped.",
                result.duplicates,
            )
            % {"count": result.duplicates}
        )
    return " ".join(parts)


@login_required
@require_http_methods(["GET", "POST"])
def statements(request):
    require_staff(request)
    if request.method == "POST":
        form = StatementUploadForm(request.POST, request.FILES)
    else:
        form = StatementUploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        upload.seek(0)
        try:
            result = statement_import(
                data=upload.read(), filename=upload.name or "", uploaded_by=request.user
            )
        except StatementError as error:
            form.add_error("file", str(error))
        else:
            url = reverse("office:statement", args=[result.statement.pk])
            if result.already_imported:
                messages.info(
                    request,
                    _("This statement was imported already, on %(date)s; nothing changed.")
                    % {"date": result.statement.uploaded_at.date().isoformat()},
                )
            else:
                messages.success(request, _result_message(result))
            return redirect(url)
    # Queries: the page of statements with their lines counted by status (one query with
    # the uploader joined), and the paginator's count.
    listed = (
        Statement.objects.select_related("uploaded_by")
        .annotate(
            line_count=Count("lines"),
            matched_count=Count("lines", filter=Q(lines__status=StatementLine.Status.MATCHED)),
            unmatched_count=Count("lines", filter=Q(lines__status=StatementLine.Status.UNMATCHED)),
            ignored_count=Count("lines", filter=Q(lines__status=StatementLine.Status.IGNORED)),
        )
        .order_by("-uploaded_at", "-pk")
    )  # Meta.ordering does not apply to a GROUP BY
    page = Paginator(listed, STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    waiting = StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED).count()
    return render(
        request,
        "membership/office/statements.html",
        {"form": form, "page": page, "statements": page.object_list, "waiting": waiting},
    )


# --- One statement ----------------------------------------------------------------------------


def _with_amounts(lines) -> list[StatementLine]:
    lines = list(lines)
    for line in lines:
        line.amount_display = format_cents(line.amount_cents, line.currency)
    return lines


@login_required
def statement(request, pk: int):
    require_staff(request)
    statement_ = get_object_or_404(Statement.objects.select_related("uploaded_by"), pk=pk)
    counts = dict(statement_.lines.order_by().values_list("status").annotate(count=Count("pk")))
    lines = statement_.lines.select_related("invoice", "matched_by").order_by("booked_on", "pk")
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "membership/office/statement.html",
        {
            "statement": statement_,
            "page": page,
            "lines": _with_amounts(page.object_list),
            "matched": counts.get(StatementLine.Status.MATCHED, 0),
            "unmatched": counts.get(StatementLine.Status.UNMATCHED, 0),
            "ignored": counts.get(StatementLine.Status.IGNORED, 0),
        },
    )


# --- The lines waiting -------------------------------------------------------------------------


def _open_invoices():
    """Open invoices with what is still owed on each (`owed_cents`), in one query."""
    return (
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN)
        .annotate(paid_cents=Coalesce(Sum("payments__amount_cents"), Value(0)))
        .annotate(owed_cents=F("total_cents") - F("paid_cents"))
    )


def _named_in(text: str) -> tuple[list[str], list[str]]:
    references = find_creditor_references(text)
    numbers = [f"{year}-{serial}" for year, serial in INVOICE_NUMBER.findall(text)]
    return references, numbers


def _attach_suggestions(lines: list[StatementLine]) -> None:
    """Each line's `suggestions`: the invoices its text names, then open invoices that owe
    exactly its amount (those whose billed name shares a word with the payer's first).

    Two queries for the whole page, however many lines it has.
    """
    named_references, named_numbers = set(), set()
    for line in lines:
        line.named = _named_in(line.remittance)
        named_references.update(line.named[0])
        named_numbers.update(line.named[1])
    amounts = {line.amount_cents for line in lines if line.amount_cents > 0}
    named = []
    if named_references or named_numbers:
        named = list(
            Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
            .filter(Q(reference__in=named_references) | Q(number__in=named_numbers))
            .annotate(paid_cents=Coalesce(Sum("payments__amount_cents"), Value(0)))
            .annotate(owed_cents=F("total_cents") - F("paid_cents"))
        )
    by_amount = defaultdict(list)
    if amounts:
        for invoice in _open_invoices().filter(owed_cents__in=amounts).order_by("due_on", "pk"):
            by_amount[invoice.owed_cents].append(invoice)
    for line in lines:
        references, numbers = line.named
        found = [i for i in named if i.reference in references or i.number in numbers]
        payer_words = set(re.findall(r"\w{3,}", line.counterparty_name.lower()))
        same_amount = sorted(
            (i for i in by_amount.get(line.amount_cents, []) if i not in found),
            key=lambda i: not (payer_words & set(re.findall(r"\w{3,}", i.billed_name.lower()))),
        )
        line.suggestions = (found + same_amount)[:SUGGESTIONS_PER_LINE]
        for invoice in line.suggestions:
            invoice.owed_display = format_cents(invoice.owed_cents, invoice.currency)
            invoice.is_named = invoice in found


@login_required
def unmatched(request):
    require_staff(request)
    # Queries: the paginator's count; the page of lines with their statement; the invoices
    # the lines name; the open invoices owing the lines' amounts.
    waiting = (
        StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED)
        .select_related("statement")
        .order_by("-booked_on", "-pk")
    )
    page = Paginator(waiting, UNMATCHED_PER_PAGE).get_page(request.GET.get("page"))
    lines = _with_amounts(page.object_list)
    _attach_suggestions(lines)
    return render(
        request,
        "membership/office/unmatched.html",
        {"page": page, "lines": lines, "page_number": page.number},
    )


def _back_to_unmatched(request, line: StatementLine | None = None):
    url = reverse("office:unmatched")
    page = _page_number(request)
    if page:
        url += f"?page={page}"
    return redirect(url + (f"#line-{line.pk}" if line else ""))


def _match_message(invoice: Invoice) -> str:
    owed = invoice_balance_cents(invoice)
    values = {"number": invoice.number, "amount": format_cents(abs(owed), invoice.currency)}
    if owed > 0:
        return _("Recorded against invoice %(number)s: %(amount)s is still open.") % values
    if owed < 0:
        return (
            _("Recorded against invoice %(number)s, which is now overpaid by %(amount)s.") % values
        )
    return _("Recorded against invoice %(number)s, which is paid.") % values


@login_required
@require_POST
def line_match(request, pk: int):
    require_staff(request)
    line = get_object_or_404(StatementLine, pk=pk)
    form = LineMatchForm(request.POST)
    if not form.is_valid():
        errors = form.errors.get("invoice") or [_("Please give an invoice number.")]
        messages.error(request, errors[0])
        return _back_to_unmatched(request, line)
    invoice = form.cleaned_data["invoice"]
    try:
        statement_line_match(line=line, invoice=invoice, matched_by=request.user)
    except StatementError as error:
        messages.error(request, str(error))
    except IntegrityError:
        messages.error(request, _("This line was matched already; nothing was recorded twice."))
    else:
        invoice.refresh_from_db()
        messages.success(request, _match_message(invoice))
    return _back_to_unmatched(request)


@login_required
@require_POST
def line_ignore(request, pk: int):
    require_staff(request)
    line = get_object_or_404(StatementLine, pk=pk)
    try:
        statement_line_ignore(line=line, ignored_by=request.user)
    except StatementError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Set aside as not dues: %(amount)s of %(date)s.")
            % {
                "amount": format_cents(line.amount_cents, line.currency),
                "date": line.booked_on.isoformat(),
            },
        )
    return _back_to_unmatched(request)


# (name, view) routes of this part of the office; membership/urls_office.py gathers them.
member_urls: list = []
office_urls: list = [
    path("statements/", statements, name="statements"),
    path("statements/<int:pk>/", statement, name="statement"),
    path("statements/unmatched/", unmatched, name="unmatched"),
    path("statements/lines/<int:pk>/match/", line_match, name="line_match"),
    path("statements/lines/<int:pk>/ignore/", line_ignore, name="line_ignore"),
]
