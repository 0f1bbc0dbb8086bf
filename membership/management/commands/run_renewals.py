import datetime

from django.core.management.base import BaseCommand, CommandError

from membership.cycle import renewal_cycle_run


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date wants a day as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = (
        "Run the day's renewal cycle (cron, daily): renewal notices with their invoices, "
        "reminders of open invoices, and lapses after the grace period. Running it twice "
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
        counts = renewal_cycle_run(today=date)
        self.stdout.write(
            f"Renewal notices: {counts['notices']}, reminders: {counts['reminders']}, "
            f"lapsed: {counts['lapsed']}."
        )
