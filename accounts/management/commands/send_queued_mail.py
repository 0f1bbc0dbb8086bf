from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.outbox import outgoing_mail_purge, outgoing_mail_send_due


class Command(BaseCommand):
    help = (
        "Send every e-mail in the outbox that is due (a retry, or one whose task was lost), "
        "and delete sent e-mails older than PADDOCK_MAIL_RETENTION_DAYS. Safe beside the "
        "worker and when run twice at once: no e-mail is sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.PADDOCK_MAIL_RETENTION_DAYS,
            help="Delete sent e-mails older than this many days (default: %(default)s).",
        )

    def handle(self, *args, days: int, **options):
        counts = outgoing_mail_send_due()
        purged = outgoing_mail_purge(older_than_days=days)
        self.stdout.write(
            f"Sent {counts['sent']} e-mail(s); {counts['not_sent']} failed again and wait "
            f"for their next attempt or staff. Deleted {purged} sent e-mail(s) older than "
            f"{days} days."
        )
