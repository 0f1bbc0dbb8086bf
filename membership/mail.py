"""The office's e-mails, each in the member's language (queued in the outbox).

Every mail says what is owed or paid and how to pay, and links to the member's membership
page; the notice and the reminders carry the invoice as a PDF, a receipt mail the receipt.
Amounts and dates are formatted here and in the templates with the member's language
active (send_templated renders in it), so a German member reads "60,00 EUR" and
"1. Januar 2027".
"""

import datetime

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, override

from config.lib.email import send_templated
from config.lib.site import absolute_url
from membership.money import format_cents

PDF = "application/pdf"


def _subject(member, text: str, **values) -> str:
    """The subject in the member's language (a lazy string with % would take the request's)."""
    with override(member.language):
        return gettext(text) % values if values else gettext(text)


def membership_page_url() -> str:
    """The member's membership page, or their profile where that page does not exist."""
    try:
        path = reverse("membership:home")
    except NoReverseMatch:
        path = reverse("accounts:profile")
    return absolute_url(path)


def _invoice_context(invoice, language: str) -> dict:
    from membership.models import Mandate
    from membership.money import grouped
    from membership.pdf import bank_details

    last_day = invoice.period_end - datetime.timedelta(days=1) if invoice.period_end else None
    membership = invoice.membership
    with override(language):
        return {
            "invoice": invoice,
            "period_last_day": last_day,
            "first_term": bool(membership and invoice.period_start == membership.started_on),
            "amount": format_cents(invoice.total_cents, invoice.currency),
            "reference": grouped(invoice.reference),
            "bank": bank_details(),
            "invoice_url": absolute_url(invoice.get_absolute_url()),
            "membership_url": membership_page_url(),
            "mandate": Mandate.objects.filter(
                member=invoice.member, status=Mandate.Status.ACTIVE
            ).first(),
        }


def _invoice_attachment(invoice) -> tuple[str, bytes, str]:
    from membership.pdf import invoice_pdf

    return (f"invoice-{invoice.number}.pdf", invoice_pdf(invoice), PDF)


def _send(*, member, subject, template: str, context: dict, attachments=()) -> None:
    send_templated(
        to=[member.email],
        subject=subject,
        template=template,
        context={"member": member, **context},
        attachments=attachments,
        language=member.language,
    )


def send_notice(invoice) -> None:
    """The renewal notice (or a new member's first invoice), with the invoice as a PDF."""
    member = invoice.member
    _send(
        member=member,
        subject=_subject(member, "Your membership dues: invoice %(number)s", number=invoice.number),
        template="membership/email/notice.txt",
        context=_invoice_context(invoice, member.language),
        attachments=[_invoice_attachment(invoice)],
    )


def send_reminder(invoice) -> None:
    """A reminder of an open invoice past its due date, with the invoice again."""
    member = invoice.member
    _send(
        member=member,
        subject=_subject(member, "Reminder: invoice %(number)s is open", number=invoice.number),
        template="membership/email/reminder.txt",
        context={
            **_invoice_context(invoice, member.language),
            "lapses_on": invoice.due_on
            + datetime.timedelta(days=settings.PADDOCK_RENEWAL_GRACE_DAYS + 1),
        },
        attachments=[_invoice_attachment(invoice)],
    )


def send_lapsed(*, member, invoice) -> None:
    """The membership has lapsed: what the member loses, what stays, how to come back.

    Sent to every account of the membership (a household's second member too), so the
    invoice may be billed to someone else.
    """
    _send(
        member=member,
        subject=_subject(member, "Your membership has lapsed"),
        template="membership/email/lapsed.txt",
        context={
            **_invoice_context(invoice, member.language),
            "is_payer": invoice.member_id == member.pk,
        },
    )


def send_receipt(payment) -> None:
    """A receipt for a payment, with the receipt as a PDF."""
    from membership.methods import label_of
    from membership.pdf import receipt_pdf
    from membership.services import invoice_balance_cents

    invoice = payment.invoice
    member = invoice.member
    membership = invoice.membership
    with override(member.language):
        context = {
            **_invoice_context(invoice, member.language),
            "payment": payment,
            "paid": format_cents(payment.amount_cents, invoice.currency),
            "method": label_of(payment.method),
            "valid_until": membership.valid_until if membership else None,
            "for_life": bool(membership and membership.valid_until is None),
            "balance": format_cents(invoice_balance_cents(invoice), invoice.currency),
        }
    _send(
        member=member,
        subject=_subject(member, "Receipt for invoice %(number)s", number=invoice.number),
        template="membership/email/receipt.txt",
        context=context,
        attachments=[(f"receipt-{invoice.number}-{payment.pk}.pdf", receipt_pdf(payment), PDF)],
    )
