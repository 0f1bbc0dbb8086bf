"""The outbox: every e-mail the site sends waits in the database until it is delivered.

EMAIL_BACKEND is `QueuedEmailBackend` in every setting: `send_mail`, `EmailMessage.send()`,
allauth's confirmations and password resets all store their message as an `OutgoingMail` row
in the transaction of the change that causes it (a rolled-back change sends nothing), and
enqueue `outgoing_mail_send` with it. The task hands the message to the real transport,
PADDOCK_EMAIL_TRANSPORT (SMTP, or what the EMAIL_BACKEND environment variable names).

A transport that fails (the mail server down, a timeout) never reaches the page that sent
the mail: the error is recorded on the row and the mail is tried again after a pause that
grows (BACKOFF); after the last attempt it stays as failed, for staff to see and send again
from the admin. With PADDOCK_TASKS=immediate the first attempt is made as the request's
transaction commits, and a failure is recorded the same way; the retries are then made by
`manage.py send_queued_mail` (cron), which also sends any mail whose task was lost.

A row is sent at most once: whoever delivers it first claims it (queued → sending) in one
UPDATE, so two workers, or a worker and cron, never both send it. Only a worker that dies
in the middle of a send leaves a row in "sending"; `send_queued_mail` puts it back in the
queue after STALE_SENDING, and that mail may then arrive twice.
"""

import base64
import datetime
import json
import logging
from email.mime.base import MIMEBase
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from accounts.models import OutgoingMail
from config.lib.tasks import enqueue_with_transaction

logger = logging.getLogger(__name__)

# The pause after each failed attempt; after the last, the mail is marked failed (about 15 h
# after it was queued, time enough for a mail server to come back).
BACKOFF = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A send takes EMAIL_TIMEOUT (20 s) at most: a row "sending" for longer was left by a worker
# that died during the send.
STALE_SENDING = datetime.timedelta(minutes=10)
# A queued mail this far past its time is reported as overdue by /healthz.
OVERDUE = datetime.timedelta(minutes=15)
MAX_ERROR_LENGTH = 2000


class QueuedEmailBackend(BaseEmailBackend):
    """Store each message in the outbox; the task worker delivers it (never the caller)."""

    def send_messages(self, email_messages) -> int:
        queued = 0
        for message in email_messages:
            if message.recipients():
                outgoing_mail_queue(message=message)
                queued += 1
        return queued


def outgoing_mail_queue(*, message: EmailMessage) -> OutgoingMail:
    """Store `message` and enqueue its delivery, in the current transaction."""
    with transaction.atomic():
        mail = OutgoingMail.objects.create(**_fields_of(message))
        enqueue_with_transaction(outgoing_mail_send, mail.pk)
    return mail


@task()
def outgoing_mail_send(mail_id: int) -> None:
    outgoing_mail_deliver(mail_id=mail_id)


def outgoing_mail_deliver(*, mail_id: int) -> bool:
    """Send one mail if it is queued and due; True if it went out.

    Never raises for a failed send: the error is recorded and the next attempt scheduled.
    """
    now = timezone.now()
    claimed = OutgoingMail.objects.filter(
        pk=mail_id, status=OutgoingMail.Status.QUEUED, next_attempt_at__lte=now
    ).update(status=OutgoingMail.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return False  # sent, failed, cancelled, not due yet, or another worker has it
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        transport = get_connection(settings.PADDOCK_EMAIL_TRANSPORT, fail_silently=False)
        if isinstance(transport, QueuedEmailBackend):
            raise ImproperlyConfigured("PADDOCK_EMAIL_TRANSPORT must not be the outbox itself.")
        transport.send_messages([_message_of(mail)])
    except Exception as error:
        _record_failure(mail, error)
        return False
    OutgoingMail.objects.filter(pk=mail.pk, status=OutgoingMail.Status.SENDING).update(
        status=OutgoingMail.Status.SENT, sent_at=timezone.now(), next_attempt_at=None
    )
    return True


def _record_failure(mail: OutgoingMail, error: Exception) -> None:
    now = timezone.now()
    text = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    logger.warning(
        "E-mail %s, attempt %s of %s, failed: %s", mail.pk, mail.attempts, MAX_ATTEMPTS, text
    )
    # Still ours ("sending"): not deleted with its member's account meanwhile.
    ours = OutgoingMail.objects.filter(pk=mail.pk, status=OutgoingMail.Status.SENDING)
    with transaction.atomic():
        if mail.attempts >= MAX_ATTEMPTS:
            ours.update(status=OutgoingMail.Status.FAILED, next_attempt_at=None, last_error=text)
            logger.error("E-mail %s failed for good after %s attempts", mail.pk, mail.attempts)
            return
        due = now + BACKOFF[mail.attempts - 1]
        if ours.update(status=OutgoingMail.Status.QUEUED, next_attempt_at=due, last_error=text):
            _schedule(mail.pk, due)


def _schedule(mail_id: int, due: datetime.datetime) -> None:
    """Enqueue the next attempt for `due`, where the backend can wait (the database's).

    One that runs tasks at once cannot: the mail waits for send_queued_mail (cron).
    """
    if outgoing_mail_send.get_backend().supports_defer:
        enqueue_with_transaction(outgoing_mail_send.using(run_after=due), mail_id)


def outgoing_mail_send_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send every mail that is due, whatever became of its task (for cron).

    First puts back in the queue the mails left "sending" by a worker that died. Safe to
    run beside the worker and twice at once: each mail is claimed before it is sent.
    """
    now = now or timezone.now()
    OutgoingMail.objects.filter(
        status=OutgoingMail.Status.SENDING, last_attempt_at__lt=now - STALE_SENDING
    ).update(status=OutgoingMail.Status.QUEUED, next_attempt_at=now)
    due = OutgoingMail.objects.filter(
        status=OutgoingMail.Status.QUEUED, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    sent = tried = 0
    for mail_id in list(due.values_list("pk", flat=True)):
        tried += 1
        sent += outgoing_mail_deliver(mail_id=mail_id)
    return {"sent": sent, "not_sent": tried - sent}


def outgoing_mail_retry(*, mails: QuerySet) -> int:
    """Staff send mails again now (failed, cancelled or waiting), with a fresh set of tries."""
    with transaction.atomic():
        ids = list(
            mails.filter(
                status__in=[
                    OutgoingMail.Status.QUEUED,
                    OutgoingMail.Status.FAILED,
                    OutgoingMail.Status.CANCELLED,
                ]
            )
            .select_for_update()
            .values_list("pk", flat=True)
        )
        OutgoingMail.objects.filter(pk__in=ids).update(
            status=OutgoingMail.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        for mail_id in ids:
            enqueue_with_transaction(outgoing_mail_send, mail_id)
    return len(ids)


def outgoing_mail_cancel(*, mails: QuerySet) -> int:
    """Staff give up on mails not sent yet (queued or failed): they stay, as cancelled."""
    return mails.filter(status__in=[OutgoingMail.Status.QUEUED, OutgoingMail.Status.FAILED]).update(
        status=OutgoingMail.Status.CANCELLED, next_attempt_at=None
    )


def outgoing_mail_purge(*, older_than_days: int, now: datetime.datetime | None = None) -> int:
    """Delete mails sent (or cancelled) longer ago than that: they hold members' addresses."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=older_than_days)
    deleted, _ = OutgoingMail.objects.filter(
        Q(status=OutgoingMail.Status.SENT, sent_at__lt=cutoff)
        | Q(status=OutgoingMail.Status.CANCELLED, created_at__lt=cutoff)
    ).delete()
    return deleted


def outgoing_mail_forget(*, addresses: list[str]) -> int:
    """Delete every e-mail to these addresses, sent or not (a member deletes their account)."""
    wanted = {address.lower() for address in addresses if address}
    doomed = []
    for address in wanted:
        # A rough match in the database, the exact one here (JSON lists, on any database).
        # SQLite keeps JSON with non-ASCII letters escaped (an address at münchen.de).
        rough = Q()
        for text in {address, json.dumps(address)[1:-1]}:
            rough |= Q(to__icontains=text) | Q(cc__icontains=text) | Q(bcc__icontains=text)
        for pk, *lists in OutgoingMail.objects.filter(rough).values_list("pk", "to", "cc", "bcc"):
            if wanted & {a.lower() for recipients in lists for a in recipients}:
                doomed.append(pk)
    deleted, _ = OutgoingMail.objects.filter(pk__in=doomed).delete()
    return deleted


def check_outbox() -> dict[str, int | bool]:
    """For /healthz: how many mails wait, how many are overdue or failed (no addresses)."""
    now = timezone.now()
    counts = OutgoingMail.objects.aggregate(
        queued=Count("pk", filter=Q(status=OutgoingMail.Status.QUEUED)),
        overdue=Count(
            "pk",
            filter=Q(status=OutgoingMail.Status.QUEUED, next_attempt_at__lt=now - OVERDUE)
            | Q(status=OutgoingMail.Status.SENDING, last_attempt_at__lt=now - STALE_SENDING),
        ),
        failed=Count("pk", filter=Q(status=OutgoingMail.Status.FAILED)),
    )
    return {**counts, "warning": bool(counts["overdue"] or counts["failed"])}


# --- A message as a row, and back ------------------------------------------------------------


def _fields_of(message: EmailMessage) -> dict:
    headers = {name: str(value) for name, value in message.extra_headers.items()}
    if not any(name.lower() == "message-id" for name in headers):
        # Fixed now, not at each attempt: a mail tried twice (one attempt timed out after the
        # server took it) is one message to the recipient's mail program.
        domain = urlsplit(settings.PADDOCK_SITE_URL).hostname or str(DNS_NAME)
        headers["Message-ID"] = make_msgid(domain=domain)
    return {
        "from_email": message.from_email or settings.DEFAULT_FROM_EMAIL,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "subject": str(message.subject),
        "body": str(message.body),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        "attachments": [_attachment_as_json(attachment) for attachment in message.attachments],
        "headers": headers,
    }


def _attachment_as_json(attachment) -> dict:
    if isinstance(attachment, MIMEBase):
        return {
            "filename": attachment.get_filename() or "",
            "mimetype": attachment.get_content_type(),
            "content": base64.b64encode(attachment.get_payload(decode=True) or b"").decode(),
            "text": False,
        }
    filename, content, mimetype = attachment
    is_text = isinstance(content, str)
    data = content.encode() if is_text else bytes(content)
    return {
        "filename": filename or "",
        "mimetype": mimetype or "",
        "content": base64.b64encode(data).decode(),
        "text": is_text,
    }


def _message_of(mail: OutgoingMail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body,
        from_email=mail.from_email,
        to=mail.to,
        cc=mail.cc,
        bcc=mail.bcc,
        reply_to=mail.reply_to,
        headers=mail.headers,
        alternatives=[tuple(alternative) for alternative in mail.alternatives],
    )
    for attachment in mail.attachments:
        content = base64.b64decode(attachment["content"])
        message.attach(
            attachment["filename"] or None,
            content.decode() if attachment["text"] else content,
            attachment["mimetype"] or None,
        )
    return message
