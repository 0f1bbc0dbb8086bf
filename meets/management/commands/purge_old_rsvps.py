from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meets.services import rsvps_purge_personal_data


class Command(BaseCommand):
    help = (
        "Remove personal data (member, answers, who checked them in) from the RSVPs of meets "
        "that ended longer ago than the retention period; attendance counts stay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention period in days (default: PADDOCK_RSVP_RETENTION_DAYS).",
        )

    def handle(self, *args, days: int | None, **options):
        days = days if days is not None else settings.PADDOCK_RSVP_RETENTION_DAYS
        if days < 0:
            raise CommandError("The retention period cannot be negative.")
        purged = rsvps_purge_personal_data(older_than_days=days)
        self.stdout.write(
            f"Purged personal data from {purged} RSVP(s) of meets over {days} days old."
        )
