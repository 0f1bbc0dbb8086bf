from django.core.management.base import BaseCommand

from config.lib.commands import add_date_option
from meets.series import AHEAD_MONTHS, series_extend_all


class Command(BaseCommand):
    help = (
        f"Make the dates of every series of meets for the next {AHEAD_MONTHS} months. "
        "Run it daily from cron; a second run (or two at once) makes no date twice."
    )

    def add_arguments(self, parser):
        add_date_option(parser)

    def handle(self, *args, date=None, **options):
        made = series_extend_all(today=date)
        self.stdout.write(f"{made} date(s) of series made.")
