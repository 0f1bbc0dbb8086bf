"""Plain-text e-mails rendered from templates. Imports no app."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from config.lib.site import site_url


def send_templated(
    *,
    to: list[str],
    subject: str,
    template: str,
    context: dict,
    attachments=(),
    language: str | None = None,
) -> None:
    """Render `template` with the club's name and address in the context and send it.

    "Send" means queue: the mail is saved in the outbox in the current transaction, so it
    goes out only if that commits, and is delivered by the task worker with retries
    (accounts/outbox.py). It never fails because the mail server does.

    Subject and body are rendered in `language`, the recipient's (the site's default when
    not given), whatever language the request that sends it is in: a subject built with
    `format_lazy`/`gettext_lazy` is translated here, not by the caller.
    """
    to = [address for address in to if address and not address.endswith("@invalid")]
    if not to:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = str(subject)
        body = render_to_string(
            template,
            {"club_name": settings.PADDOCK_CLUB_NAME, "site_url": site_url(), **context},
        )
    message = EmailMessage(subject=subject, body=body, to=to)
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    message.send()
