"""The renewal cycle: notices, reminders, grace and lapse, run once a day from cron.

`manage.py run_renewals` calls `renewal_cycle_run()`. It keeps no state of its own: what has
been done lives in the database (the dues invoice for a term is unique, see the constraint
`membership_invoice_one_per_period`; an invoice counts its reminders; a lapsed member's
status says so), so running it twice on the same day, or twice at once, sends nothing twice.

For each membership whose level renews and that has a member who has not resigned:

- **Notice**: PADDOCK_RENEWAL_NOTICE_DAYS before the renewal date (`valid_until`), the
  invoice for the next term is issued, due on the renewal date, and mailed with its PDF.
  A free level gets no invoice: its next term is simply granted when the date comes.
- **Reminders**: an open dues invoice past its due date gets a reminder every
  PADDOCK_RENEWAL_REMINDER_DAYS after it (the first on due date + REMINDER_DAYS), at most
  PADDOCK_RENEWAL_REMINDERS of them.
- **Lapse**: PADDOCK_RENEWAL_GRACE_DAYS after the due date, still open, every active account
  of the membership lapses (it keeps its account and cars, and loses members-only rights
  until the invoice is paid: `services.payment_record` reactivates it) and is told so once.
"""

import datetime
import logging

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from membership import mail
from membership.models import Invoice, Level, Membership, Seat
from membership.services import _sync_members, dues_invoice_issue, open_dues, term_for

logger = logging.getLogger(__name__)

# The states of a dues invoice that is not paid (what staff see in their lists).
DUE = "due"  # open, not past its due date
GRACE = "grace"  # past its due date, not past the grace period
LAPSED = "lapsed"  # past the grace period


def dues_state(invoice: Invoice, today: datetime.date) -> str | None:
    """ "due", "grace" or "lapsed" for an open invoice; None for a paid or cancelled one."""
    if invoice.status != Invoice.Status.OPEN or invoice.kind != Invoice.Kind.INVOICE:
        return None
    if today <= invoice.due_on:
        return DUE
    if today <= invoice.due_on + datetime.timedelta(days=settings.PADDOCK_RENEWAL_GRACE_DAYS):
        return GRACE
    return LAPSED


def open_dues_in(state: str, today: datetime.date):
    """The open dues invoices in one of those states today, as a queryset (staff's lists)."""
    grace = datetime.timedelta(days=settings.PADDOCK_RENEWAL_GRACE_DAYS)
    invoices = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, membership__isnull=False
    )
    if state == DUE:
        return invoices.filter(due_on__gte=today)
    if state == GRACE:
        return invoices.filter(due_on__lt=today, due_on__gte=today - grace)
    if state == LAPSED:
        return invoices.filter(due_on__lt=today - grace)
    raise ValueError(state)


def renewing_memberships():
    """Memberships the cycle looks at: the level renews, and someone has not resigned."""
    someone_left = Seat.objects.filter(membership=OuterRef("pk")).exclude(
        member__membership_status=User.Status.RESIGNED
    )
    return Membership.objects.exclude(level__period=Level.Period.LIFE).filter(Exists(someone_left))


def renewal_cycle_run(*, today: datetime.date | None = None) -> dict[str, int]:
    """Send the day's notices, reminders and lapse mails; the counts of each.

    "lapsed" counts accounts (a household's two members lapse together, and each is told).
    """
    today = today or timezone.localdate()
    counts = {"notices": 0, "reminders": 0, "lapsed": 0}
    for pk in _candidates(today).order_by("pk").values_list("pk", flat=True):
        try:
            done = _membership_run(pk=pk, today=today)
        except OperationalError:
            # A lock held too long (or a deadlock with a payment being recorded): nothing of
            # this membership was saved, and tomorrow's run picks it up again.
            logger.exception("Renewal cycle: membership %s skipped", pk)
            continue
        for key, value in done.items():
            counts[key] += value
    return counts


def _candidates(today: datetime.date):
    """Memberships with something to do today, perhaps: in their notice period, or with an
    open dues invoice past its due date. (Each is looked at again under its lock.)"""
    overdue = Invoice.objects.filter(
        membership=OuterRef("pk"),
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.OPEN,
        due_on__lt=today,
    )
    notice_from = today + datetime.timedelta(days=settings.PADDOCK_RENEWAL_NOTICE_DAYS)
    return renewing_memberships().filter(Q(valid_until__lte=notice_from) | Exists(overdue))


def _membership_run(*, pk: int, today: datetime.date) -> dict[str, int]:
    done = {"notices": 0, "reminders": 0, "lapsed": 0}
    with transaction.atomic():
        # The lock makes a second run at the same time wait here, then see what this one did.
        membership = (
            Membership.objects.select_for_update().select_related("level").filter(pk=pk).first()
        )
        if membership is None or not membership.level.renews:
            return done
        done["notices"] = _notice(membership, today)
        for invoice in open_dues(membership).order_by("due_on", "pk"):
            state = dues_state(invoice, today)
            if state == LAPSED:
                done["lapsed"] += _lapse(membership, invoice, today)
            elif state == GRACE:
                done["reminders"] += _remind(invoice, today)
    return done


def _notice(membership: Membership, today: datetime.date) -> int:
    """Issue and send the next term's invoice once its notice period has begun."""
    renews_on = membership.valid_until
    if renews_on is None or membership.lapsed_on is not None:
        # A lapsed membership is not billed for a further term: paying the open invoice
        # (or renewing from the membership page) comes first.
        return 0
    if today < renews_on - datetime.timedelta(days=settings.PADDOCK_RENEWAL_NOTICE_DAYS):
        return 0
    # Any invoice for that term, a cancelled one too: a term staff cancelled by a credit
    # note is not billed again behind their back (they can issue it by hand).
    if membership.invoices.filter(kind=Invoice.Kind.INVOICE, period_start=renews_on).exists():
        return 0
    invoice = dues_invoice_issue(
        membership=membership, start=renews_on, today=today, due_on=renews_on
    )
    if invoice is None:
        _grant_free_terms(membership, today)
        return 0
    mail.send_notice(invoice)
    return 1


def _grant_free_terms(membership: Membership, today: datetime.date) -> None:
    """A free level renews by itself on its renewal date (nothing to pay, nothing to send)."""
    valid_until = membership.valid_until
    while valid_until is not None and valid_until <= today:
        valid_until, _fee = term_for(level=membership.level, start=valid_until)
    if valid_until != membership.valid_until:
        membership.valid_until = valid_until
        membership.save(update_fields=["valid_until"])
        _sync_members(membership)


def _remind(invoice: Invoice, today: datetime.date) -> int:
    sent = invoice.reminders_sent
    if sent >= settings.PADDOCK_RENEWAL_REMINDERS:
        return 0
    every = datetime.timedelta(days=settings.PADDOCK_RENEWAL_REMINDER_DAYS)
    if today < invoice.due_on + every * (sent + 1):
        return 0
    # After a few days without a run, one reminder, not all the missed ones at once.
    if invoice.last_reminded_on and today < invoice.last_reminded_on + every:
        return 0
    invoice.reminders_sent = sent + 1
    invoice.last_reminded_on = today
    invoice.save(update_fields=["reminders_sent", "last_reminded_on"])
    mail.send_reminder(invoice)
    return 1


def _lapse(membership: Membership, invoice: Invoice, today: datetime.date) -> int:
    """Every active account of the membership lapses, and is told so (once: only an
    active account lapses, and it stays lapsed until the invoice is paid)."""
    members = list(
        User.objects.filter(seat__membership=membership, membership_status=User.Status.ACTIVE)
    )
    for member in members:
        member.membership_status = User.Status.LAPSED
        member.save(update_fields=["membership_status"])
        mail.send_lapsed(member=member, invoice=invoice)
    if membership.lapsed_on is None:
        membership.lapsed_on = today
        membership.save(update_fields=["lapsed_on"])
    return len(members)
