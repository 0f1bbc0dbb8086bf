"""What management commands share. Imports no app."""

import datetime

from django.core.management.base import CommandError


def day(text: str) -> datetime.date:
    """A --date option's value: a day as YYYY-MM-DD, or a clear error."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date wants a day as YYYY-MM-DD, not {text!r}.") from None


def add_date_option(parser) -> None:
    """--date: a daily cron command run as if today were another day (to try it)."""
    parser.add_argument(
        "--date",
        type=day,
        default=None,
        help="Run it as if today were this day (YYYY-MM-DD); default: today.",
    )
