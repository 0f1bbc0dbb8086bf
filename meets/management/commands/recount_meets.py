from django.core.management.base import BaseCommand

from meets.counts import recount_meets


class Command(BaseCommand):
    help = "Recount every meet's going, waiting and held counters from its RSVPs (a repair)."

    def handle(self, *args, **options):
        wrong = recount_meets()
        self.stdout.write(f"recount_meets: {wrong} meet(s) had a wrong counter, now right")
