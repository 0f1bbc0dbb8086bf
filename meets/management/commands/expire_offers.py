import datetime

from django.core.management.base import BaseCommand, CommandError

from meets.offers import offers_expire


def moment(text: str) -> datetime.datetime:
    """--now: an aware date and time (ISO 8601, with its offset), or a clear error."""
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--now wants a time like 2027-06-01T09:00+02:00, not {text!r}."
        ) from None
    if value.tzinfo is None:
        raise CommandError(f"--now needs a time zone offset, e.g. {text}+00:00.")
    return value


class Command(BaseCommand):
    help = (
        "End waiting-list offers past their time and offer the places to the next in line. "
        "Safe to run from cron every few minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=moment,
            default=None,
            help="Run it as if it were this moment (ISO 8601 with offset); default: now.",
        )

    def handle(self, *args, **options):
        expired = offers_expire(now=options["now"])
        self.stdout.write(f"{expired} offer(s) expired.")
