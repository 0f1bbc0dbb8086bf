import datetime

from django.apps import AppConfig
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

# How long after a meet its organisers and helpers still see its cars' plates.
PLATES_AFTER_A_MEET = datetime.timedelta(days=7)


class MeetsConfig(AppConfig):
    name = "meets"
    verbose_name = _("Meets")

    def ready(self) -> None:
        # Cache invalidation only: no business logic hangs on these signals.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        # Each change bumps only the scopes that show it (meets/invalidation.py).
        from meets import invalidation
        from meets.models import RSVP, AlbumPhoto, Meet
        from register.models import Car, CarPhoto

        for model, receiver in (
            (Meet, invalidation.meet_changed),
            (RSVP, invalidation.rsvp_changed),
            (Car, invalidation.car_changed),
            (CarPhoto, invalidation.car_photo_changed),
            (AlbumPhoto, invalidation.album_photo_changed),
        ):
            post_save.connect(receiver, sender=model, dispatch_uid=f"meets-{model}")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"meets-d{model}")
        # A question or a check-in device (its name shows as who checked a car in).
        from meets.models_gate import GateDevice
        from meets.questions import Question

        for model in (Question, GateDevice):
            post_save.connect(
                invalidation.meet_part_changed, sender=model, dispatch_uid=f"meets-{model}"
            )
            post_delete.connect(
                invalidation.meet_part_changed, sender=model, dispatch_uid=f"meets-d{model}"
            )
        post_save.connect(_member_saved, sender=get_user_model(), dispatch_uid="meets-member")
        # A colour or model line renamed: every card and colour mix that names it (rare).
        from register.models import Colour, ModelLine

        for model in (Colour, ModelLine):
            for signal in (post_save, post_delete):
                signal.connect(_names_changed, sender=model, dispatch_uid=f"meets-names-{model}")

    def personal_data(self, member) -> dict:
        from meets.albums import member_albums_data
        from meets.services import member_meets_data

        return {
            **member_meets_data(member=member),
            "album_photos": member_albums_data(member=member),
        }

    def anonymise_member(self, member) -> None:
        from meets.albums import member_albums_anonymise
        from meets.services import member_meets_anonymise

        member_meets_anonymise(member=member)
        member_albums_anonymise(member=member)

    def car_changed_hands(self, *, car, previous_owner) -> list[str]:
        """The register's call when a car changes hands: its previous owner's RSVPs with
        it for meets to come are cancelled. One line per meet, for their e-mail."""
        from meets.services import rsvps_release_car

        released = rsvps_release_car(car=car, member=previous_owner)
        return [
            f"{rsvp.meet.title} ({date_format(rsvp.meet.local_start, 'DATE_FORMAT')})"
            for rsvp in released
        ]

    def may_check_cards(self, user) -> bool:
        """The club office's question at the gate: may `user` check membership cards?
        Yes for a check-in helper or an organiser of any meet."""
        return user.helped_meets.exists() or user.organised_meets.exists()

    def car_page_version(self, car=None) -> str:
        """Changes whenever the section below may change for `car`: cached car pages follow
        it. Without a car, the whole namespace's version (any change may matter)."""
        from meets.cache import meets_cache

        if car is None:
            return str(meets_cache.version())
        return ".".join(str(v) for v in meets_cache.versions([None, f"car:{car.pk}"]))

    def car_page_section(self, request, car) -> str:
        """The meets a car attended, and album photos of it, for the register's car page."""
        from meets.cache import meets_cache
        from meets.views.albums import car_album_section
        from meets.views.public import car_meets_section

        # The same for every viewer (the album strip shows public albums only).
        return meets_cache.cached(
            f"car:{car.pk}:section",
            lambda: car_meets_section(request, car) + car_album_section(request, car),
            scopes=(f"car:{car.pk}",),
        )

    def plate_gate_cars(self, *, viewer=None, meet=None):
        """For the register's plate rule (register/plates.py): the ids of the cars with a
        live RSVP at `meet`, or at any meet `viewer` organises or helps at."""
        from django.db.models import Q
        from django.utils import timezone

        from meets.models import RSVP, Meet

        # A gate is open until a week after its meet: then its plates are nobody's business.
        since = timezone.now() - PLATES_AFTER_A_MEET
        if meet is not None:
            return (
                RSVP.objects.filter(meet=meet, meet__ends_at__gte=since)
                .live()
                .values_list("car_id", flat=True)
            )
        if viewer is None or not getattr(viewer, "is_authenticated", False):
            return None
        runs = Meet.objects.filter(
            Q(organisers=viewer) | Q(checkin_helpers=viewer), ends_at__gte=since
        )
        return RSVP.objects.filter(meet__in=runs).live().values_list("car_id", flat=True)


def _names_changed(sender, using=None, **kwargs) -> None:
    from meets.cache import meets_cache

    meets_cache.bump_on_commit(using)


def _member_saved(sender, update_fields=None, using=None, **kwargs) -> None:
    from config.lib.versioned_cache import member_change_matters
    from meets.cache import meets_cache

    if member_change_matters(update_fields):
        meets_cache.bump_on_commit(using)
