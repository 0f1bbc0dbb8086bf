"""What a server does once Django is set up, before it answers anybody."""

from django.core.checks import ERROR, run_checks
from django.core.management.base import SystemCheckError


def refuse_to_start_with_errors() -> None:
    """Run the system checks, as `runserver` does, and stop on any error.

    gunicorn runs none by itself: without this, a server with a wrong PADDOCK_SITE_URL would
    start and hand out QR codes that open nothing. Warnings are left to `check --deploy`.
    """
    errors = [
        message
        for message in run_checks(include_deployment_checks=False)
        if message.level >= ERROR and not message.is_silenced()
    ]
    if errors:
        raise SystemCheckError(
            "Paddock will not start with these settings:\n"
            + "\n".join(f"  {error}" for error in errors)
        )
