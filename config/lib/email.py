"""Plain-text e-mails rendered from templates. Imports no app."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string


def send_templated(
    *, to: list[str], subject: str, template: str, context: dict, attachments=()
) -> None:
    """Render `template` with the club's name in the context and send it."""
    to = [address for address in to if address and not address.endswith("@invalid")]
    if not to:
        return
    body = render_to_string(template, {"club_name": settings.PADDOCK_CLUB_NAME, **context})
    message = EmailMessage(subject=subject, body=body, to=to)
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    message.send()


def send_templated_on_commit(**kwargs) -> None:
    """`send_templated` once the current transaction commits (never for a rolled-back write)."""
    transaction.on_commit(lambda: send_templated(**kwargs))
