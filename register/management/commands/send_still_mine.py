import datetime

from django.core.management.base import BaseCommand

from config.lib.commands import add_date_option
from register.lastseen import still_mine_run


class Command(BaseCommand):
    help = (
        'Send the yearly "is it still yours?" e-mails (cron, daily): to each member who owns '
        "a car neither confirmed nor asked about in the last 12 months. Running it twice "
        "sends nothing twice."
    )

    def add_arguments(self, parser):
        add_date_option(parser)

    def handle(self, *args, date: datetime.date | None, **options):
        sent = still_mine_run(today=date)
        self.stdout.write(f'"Still mine" e-mails: {sent}.')
