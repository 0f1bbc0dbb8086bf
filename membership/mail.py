"""The office's e-mails, each in the member's language (queued in the outbox)."""

from django.utils.translation import gettext, override

from config.lib.email import send_templated


def _subject(member, text: str, **values) -> str:
    """The subject in the member's language (a lazy string with % would take the request's)."""
    with override(member.language):
        return gettext(text) % values if values else gettext(text)


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
    _send(
        member=invoice.member,
        subject=_subject(
            invoice.member, "Your membership dues: invoice %(number)s", number=invoice.number
        ),
        template="membership/email/notice.txt",
        context={"invoice": invoice},
    )


def send_reminder(invoice) -> None:
    _send(
        member=invoice.member,
        subject=_subject(
            invoice.member, "Reminder: invoice %(number)s is open", number=invoice.number
        ),
        template="membership/email/reminder.txt",
        context={"invoice": invoice},
    )


def send_lapsed(*, member, invoice) -> None:
    _send(
        member=member,
        subject=_subject(member, "Your membership has lapsed"),
        template="membership/email/lapsed.txt",
        context={"invoice": invoice},
    )


def send_receipt(payment) -> None:
    invoice = payment.invoice
    _send(
        member=invoice.member,
        subject=_subject(invoice.member, "Receipt for invoice %(number)s", number=invoice.number),
        template="membership/email/receipt.txt",
        context={"invoice": invoice, "payment": payment},
    )
