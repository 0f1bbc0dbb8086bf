import datetime

from django.core.management.base import BaseCommand

from config.lib.commands import add_date_option
from membership.cycle import renewal_cycle_run


class Command(BaseCommand):
    help = (
        "Run the day's renewal cycle (cron, daily): renewal notices with their invoices, "
        "reminders of open invoices, and lapses after the grace period. Running it twice "
        "sends nothing twice."
    )

    def add_arguments(self, parser):
        add_date_option(parser)

    def handle(self, *args, date: datetime.date | None, **options):
        counts = renewal_cycle_run(today=date)
        self.stdout.write(
            f"Renewal notices: {counts['notices']}, reminders: {counts['reminders']}, "
            f"lapsed: {counts['lapsed']}."
        )
