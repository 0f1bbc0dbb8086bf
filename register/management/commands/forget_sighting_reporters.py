import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from register.models import Sighting


class Command(BaseCommand):
    help = (
        "Forget who reported a sighting (name, e-mail address, account, address hash) once the "
        "registrar decided it PADDOCK_SIGHTING_REPORTER_DAYS ago (90), or a lead is a year old. "
        "The sighting stays with its car."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        decided = now - datetime.timedelta(days=settings.PADDOCK_SIGHTING_REPORTER_DAYS)
        stale_lead = now - datetime.timedelta(days=365)
        old = Sighting.objects.filter(
            Q(state__in=[Sighting.State.ACCEPTED, Sighting.State.REJECTED], decided_at__lt=decided)
            | Q(state=Sighting.State.LEAD, created_at__lt=stale_lead)
        )
        remembered = ~Q(reporter_name="") | ~Q(reporter_email="") | ~Q(ip_hash="")
        forgotten = old.filter(remembered | Q(reporter__isnull=False)).update(
            reporter=None, reporter_name="", reporter_email="", ip_hash=""
        )
        self.stdout.write(f"Forgot the reporters of {forgotten} sighting(s).")
