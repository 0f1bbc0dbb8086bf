"""Cron: end the listings for sale whose time is up (pages treat them as ended already)."""

from django.core.management.base import BaseCommand

from register.sale import listings_expire


class Command(BaseCommand):
    help = "End the listings for sale past their expiry date."

    def handle(self, *args, **options):
        ended = listings_expire()
        self.stdout.write(f"{ended} listing(s) expired.")
