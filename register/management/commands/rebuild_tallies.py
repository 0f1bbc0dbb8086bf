from django.core.management.base import BaseCommand

from register.tallies import rebuild_tallies


class Command(BaseCommand):
    help = (
        "Count the register's tallies (register/tallies.py) again from the cars: a repair "
        "after a bulk change made outside the site."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args, **options):
        rows = rebuild_tallies(using=options["database"])
        self.stdout.write(self.style.SUCCESS(f"rebuild_tallies: {rows} rows"))
