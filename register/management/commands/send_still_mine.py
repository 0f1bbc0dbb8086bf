import datetime

from django.core.management.base import BaseCommand, CommandError

from register.lastseen import still_mine_run


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date wants a day as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = (
        'Send the yearly "is it still yours?" e-mails (cron, daily): to each member who owns '
        "a car neither confirmed nor asked about in the last 12 months. Running it twice "
        "sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=_day,
            default=None,
            help="Run it as if today were this day (YYYY-MM-DD); default: today.",
        )

    def handle(self, *args, date: datetime.date | None, **options):
        sent = still_mine_run(today=date)
        self.stdout.write(f'"Still mine" e-mails: {sent}.')
