from django.apps import AppConfig
from django.utils.translation import pgettext_lazy

# A transfer the buyer has not answered for this long shows in the staff inbox.
TRANSFER_STUCK_DAYS = 14


class RegisterConfig(AppConfig):
    name = "register"
    # The admin says "<name> administration" and "Models in the <name> application".
    verbose_name = pgettext_lazy("app name", "The register")

    def ready(self) -> None:
        # Cache invalidation only: no business logic hangs on these signals.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_init, post_save

        from register import invalidation
        from register.cache import on_change
        from register.models import (
            Car,
            CarFact,
            CarPhoto,
            Colour,
            MileageReading,
            ModelLine,
            Ownership,
            ProductionFigure,
            TimelineEntry,
        )
        from register.models_sale import Listing

        # Everything a car's page or the lists show; owners' names come from members.
        # Each change bumps only the scopes that show it (register/invalidation.py).
        post_save.connect(_member_saved, sender=get_user_model(), dispatch_uid="register-member")
        post_init.connect(invalidation.remember_car, sender=Car, dispatch_uid="register-init-car")
        post_init.connect(
            invalidation.remember_photo, sender=CarPhoto, dispatch_uid="register-init-photo"
        )
        per_model = {
            CarPhoto: invalidation.photo_changed,
            Ownership: invalidation.car_part_changed,
            TimelineEntry: invalidation.car_part_changed,
            MileageReading: invalidation.car_part_changed,
            CarFact: invalidation.fact_changed,
            Listing: invalidation.listing_changed,
            # Rare edits whose reach is not worth working out: every register page.
            Colour: on_change,
            ModelLine: on_change,
            ProductionFigure: on_change,
        }
        post_save.connect(invalidation.car_saved, sender=Car, dispatch_uid="register-cache-car")
        post_delete.connect(invalidation.car_deleted, sender=Car, dispatch_uid="register-cache-dc")
        for model, receiver in per_model.items():
            post_save.connect(receiver, sender=model, dispatch_uid=f"register-cache-{model}")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"register-cache-d{model}")

        # The register's counts (register/tallies.py): moved with every car saved or deleted.
        from django.db.models.signals import pre_delete, pre_save

        from register import tallies

        pre_save.connect(tallies.car_pre_save, sender=Car, dispatch_uid="register-tally-pre")
        post_save.connect(tallies.car_post_save, sender=Car, dispatch_uid="register-tally-post")
        pre_delete.connect(tallies.car_pre_delete, sender=Car, dispatch_uid="register-tally-pd")
        post_delete.connect(tallies.car_post_delete, sender=Car, dispatch_uid="register-tally-d")

    def personal_data(self, member) -> dict:
        from register.sale import member_sale_data
        from register.services import member_register_data
        from register.sightings import member_sighting_data

        return {
            **member_register_data(member=member),
            **member_sale_data(member=member),
            **member_sighting_data(member=member),
        }

    def anonymise_member(self, member) -> None:
        from register.sale import member_sale_anonymise
        from register.services import member_register_anonymise
        from register.sightings import member_sighting_anonymise

        member_register_anonymise(member=member)
        member_sale_anonymise(member=member)
        member_sighting_anonymise(member=member)

    def car_changed_hands(self, *, car, previous_owner) -> list[str]:
        """A car changed hands on the register: its listing for sale ends as sold."""
        from register.sale import listing_end_on_hand_over

        return listing_end_on_hand_over(car=car, previous_owner=previous_owner)

    def inbox_items(self) -> list[dict]:
        """The staff inbox (in the club office): what waits for the registrar."""
        import datetime

        from django.urls import reverse
        from django.utils import timezone
        from django.utils.translation import gettext_lazy as _

        from register.models import Car, CarChangeRequest, Claim, Transfer

        review = reverse("register:review")
        stuck_since = timezone.now() - datetime.timedelta(days=TRANSFER_STUCK_DAYS)
        return [
            {
                "key": "cars_to_verify",
                "label": _("Cars to verify"),
                "count": Car.objects.filter(review_status=Car.Review.PENDING),
                "url": f"{review}#cars",
                "help": _("New cars members registered, waiting for the registrar."),
            },
            {
                "key": "claims",
                "label": _("Claims"),
                "count": Claim.objects.filter(state=Claim.State.PENDING),
                "url": f"{review}#claims",
                "help": _("Members who say a car in the register is theirs, with evidence."),
            },
            {
                "key": "proposed_changes",
                "label": _("Proposed changes"),
                "count": CarChangeRequest.objects.filter(state=CarChangeRequest.State.PENDING),
                "url": f"{review}#changes",
                "help": _("Owners' corrections to the factory facts of verified cars."),
            },
            {
                "key": "facts_disputed",
                "label": _("Facts in dispute"),
                "count": Car.objects.filter(disputed_fields__gt=""),
                "url": reverse("register:facts_disputed"),
                "help": _("Cars whose sources disagree on a factory fact: settle which one wins."),
            },
            {
                "key": "transfers_stuck",
                "label": _("Transfers stuck"),
                "count": Transfer.objects.filter(
                    state=Transfer.State.PENDING, created_at__lt=stuck_since
                ),
                "url": reverse("admin:register_transfer_changelist") + "?state__exact=pending",
                "help": _(
                    "Cars handed to another member who has not answered for two weeks: "
                    "remind the buyer, or cancel the transfer."
                ),
            },
            *_sighting_items(),
            {
                "key": "import",
                "label": _("Import a spreadsheet"),
                "count": None,
                "url": reverse("register:import"),
                "help": _("Bring the club's old register in from an Excel workbook or a CSV file."),
            },
        ]


def _sighting_items() -> list[dict]:
    """Sightings waiting for the registrar: of known cars, and leads (no car matched)."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from register.models import Sighting

    queue = reverse("register:sighting_review")
    return [
        {
            "key": "sightings",
            "label": _("Sightings to review"),
            "count": Sighting.objects.filter(state=Sighting.State.PENDING),
            "url": f"{queue}#pending",
            "help": _("People who saw a car of the register: accept to add it to its timeline."),
        },
        {
            "key": "sighting_leads",
            "label": _("Leads"),
            "count": Sighting.objects.filter(state=Sighting.State.LEAD),
            "url": f"{queue}#leads",
            "help": _("Sightings of cars not on the register, or not found by what was typed."),
        },
    ]


def _member_saved(sender, update_fields=None, using=None, **kwargs) -> None:
    from config.lib.versioned_cache import member_change_matters
    from register.cache import register_cache

    if member_change_matters(update_fields):
        register_cache.bump_on_commit(using)
