import random

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils.module_loading import import_string

from accounts.demo import DEMO_MEMBER_EMAIL, DEMO_ORGANISER_EMAIL, DEMO_PASSWORD, DEMO_STAFF_EMAIL


class Command(BaseCommand):
    help = "Load the demo club (invented people, cars and meets). Running it twice changes nothing."

    def handle(self, *args, **options):
        rng = random.Random(1_2011)  # fixed seed: the same demo club every time
        self.stdout.write("Loading the demo club…")
        for config in apps.get_app_configs():
            try:
                seed = import_string(f"{config.name}.demo.seed")
            except ImportError:
                continue
            seed(self.stdout, rng)
        # The address `make run` serves on (it sets PADDOCK_SITE_URL), as its e-mails link to.
        site = settings.PADDOCK_SITE_URL.rstrip("/")
        admin = f"{site}{reverse('admin:index')}"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo club ready at {site}/. Log in with any of these (password: "
                f"{DEMO_PASSWORD}):\n"
                f"  staff      {DEMO_STAFF_EMAIL}   (Django admin at {admin})\n"
                f"  organiser  {DEMO_ORGANISER_EMAIL}\n"
                f"  member     {DEMO_MEMBER_EMAIL}"
            )
        )
