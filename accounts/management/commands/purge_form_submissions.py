import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import FormSubmission


class Command(BaseCommand):
    help = (
        "Forget the one-time form tokens older than a day (a double submit comes within seconds)."
    )

    def handle(self, *args, **options):
        cutoff = timezone.now() - datetime.timedelta(days=1)
        deleted, _ = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"Forgot {deleted} form token(s) older than a day.")
