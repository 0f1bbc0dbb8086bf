from django.core.management.base import BaseCommand

from meets.services import reminders_send


class Command(BaseCommand):
    help = "E-mail members going to a meet that starts within a day. Safe to run from cron hourly."

    def handle(self, *args, **options):
        sent = reminders_send()
        self.stdout.write(f"{sent} reminder(s) sent.")
