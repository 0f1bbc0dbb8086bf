"""Cron, daily: e-mail the staff inbox to the staff who asked for it (once a day)."""

from django.core.management.base import BaseCommand

from membership.inbox import staff_digest_send


class Command(BaseCommand):
    help = "E-mail what waits in the staff inbox to the staff who asked for the daily digest."

    def handle(self, *args, **options):
        sent = staff_digest_send()
        self.stdout.write(f"{sent} staff digest(s) queued.")
