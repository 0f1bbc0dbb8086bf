"""Sightings: anyone reports "I saw this car"; the registrar accepts, rejects or links.

A report names the car by its plaque number, its full VIN, the VIN's last 7 characters
(only when exactly one car has them) or its registration plate. A report that finds no
car, or more than one, is a lead for the registrar. The reporter is told the same thing
either way, so nobody learns from the form whether a car exists or who owns it.

Accepting puts "Seen in <town>, <country>" on the car's timeline, may add the photo to
the car's photos, and tells the car's member-owner, never who reported it.
"""

import datetime
import hashlib
import hmac
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.lib.email import send_templated
from config.lib.images import clean_image
from register.lastseen import note_evidence
from register.models import Car, Sighting, TimelineEntry
from register.services import (
    PHOTO_SIDE,
    TIMELINE_ENTRIES_PER_CAR,
    RegisterError,
    photo_add,
)
from register.timeline import system_entry
from register.validators import VIN_SHORT_LENGTH, normalise_vin

_PLATE_SEPARATORS = re.compile(r"[\s\-_.·]+")
PLATE_MAX_LENGTH = 15

# Rate limits (allauth's syntax: amount/period/per): reports from one address, and from one
# account or e-mail address. settings.PADDOCK_SIGHTING_RATE_LIMITS overrides them.
DEFAULT_RATE_LIMITS = {"sighting_ip": "5/h/ip", "sighting_reporter": "20/d/key"}


def normalise_plate(value: str) -> str:
    """A registration plate as stored and matched: upper case, no spaces or hyphens."""
    return _PLATE_SEPARATORS.sub("", value or "").upper()


def rate_limits() -> dict[str, str]:
    return {**DEFAULT_RATE_LIMITS, **getattr(settings, "PADDOCK_SIGHTING_RATE_LIMITS", {})}


def ip_hash(address: str) -> str:
    """A keyed hash of the reporter's address: enough to spot a flood, never the address."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"sighting:{address}".encode(), hashlib.sha256).hexdigest()


def match_car(kind: str, identifier: str) -> Car | None:
    """The one public car a reported identifier names, or None (no car, or several).

    Only the public register: a record still waiting for the registrar (or rejected) is
    its owner's and staff's, and a sighting must not reach it.
    """
    cars = Car.objects.public()
    if kind == Sighting.Identifier.PLAQUE:
        cars = cars.filter(plaque_number=int(identifier))
    elif kind == Sighting.Identifier.VIN:
        cars = cars.filter(vin=identifier)
    elif kind == Sighting.Identifier.LAST7:
        cars = cars.filter(vin_tail=identifier[-VIN_SHORT_LENGTH:])
    elif kind == Sighting.Identifier.PLATE:
        cars = cars.filter(registration_plate=identifier)
    else:
        return None
    found = list(cars.order_by("pk")[:2])
    return found[0] if len(found) == 1 else None


def find_car(text: str) -> Car | None:
    """The car a registrar names by plaque number or VIN (or a unique last 7)."""
    text = (text or "").strip().lstrip("#").removeprefix("No.").strip()
    if text.isdecimal():
        return match_car(Sighting.Identifier.PLAQUE, text)
    vin = normalise_vin(text)
    if len(vin) == VIN_SHORT_LENGTH:
        return match_car(Sighting.Identifier.LAST7, vin)
    return match_car(Sighting.Identifier.VIN, vin)


def sighting_report(
    *,
    identifier_kind: str,
    identifier: str,
    town: str,
    country: str,
    seen_on: datetime.date,
    photo=None,
    note: str = "",
    reporter=None,
    reporter_name: str = "",
    reporter_email: str = "",
    address: str = "",
) -> Sighting:
    """Store a report: matched to its car (pending) or, with no single match, a lead."""
    car = match_car(identifier_kind, identifier)
    sighting = Sighting(
        identifier_kind=identifier_kind,
        identifier=identifier,
        car=car,
        town=town,
        country=country,
        seen_on=seen_on,
        note=note,
        reporter=reporter if getattr(reporter, "is_authenticated", False) else None,
        reporter_name="" if getattr(reporter, "is_authenticated", False) else reporter_name,
        reporter_email="" if getattr(reporter, "is_authenticated", False) else reporter_email,
        state=Sighting.State.PENDING if car is not None else Sighting.State.LEAD,
        ip_hash=ip_hash(address) if address else "",
    )
    cleaned = clean_image(photo, max_side=PHOTO_SIDE) if photo is not None else None
    with transaction.atomic():
        if cleaned is not None:
            sighting.photo.save(cleaned.name, cleaned, save=False)
        sighting.save()
    return sighting


def _lock_open(sighting: Sighting) -> Sighting:
    sighting = Sighting.objects.select_for_update().get(pk=sighting.pk)
    if not sighting.is_open:
        raise RegisterError(
            _("This sighting has already been decided: it is now “%(state)s”.")
            % {"state": sighting.get_state_display()}
        )
    return sighting


def sighting_accept(
    *,
    sighting: Sighting,
    staff,
    car: Car | None = None,
    add_photo: bool = False,
    notify: bool = True,
) -> Sighting:
    """Accept a sighting (of `car`, when the registrar links a lead): exactly once.

    The sighting's row is locked first, so the same decision sent twice makes one
    timeline entry and one e-mail.
    """
    with transaction.atomic():
        sighting = _lock_open(sighting)
        if car is not None:
            sighting.car = car
        if sighting.car_id is None:
            raise RegisterError(_("Choose the car this sighting is of first."))
        car = Car.objects.select_for_update().get(pk=sighting.car_id)
        if TimelineEntry.objects.filter(car=car).count() >= TIMELINE_ENTRIES_PER_CAR:
            raise RegisterError(
                _("This car's timeline has %(count)s entries, the most it can hold.")
                % {"count": TIMELINE_ENTRIES_PER_CAR}
            )
        system_entry(
            car,
            "sighting",
            sighting.seen_on,
            kind=TimelineEntry.Kind.SIGHTING,
            town=sighting.town,
            country=str(sighting.country),
        ).save()
        note_evidence(car.pk, sighting.seen_on, Car.Evidence.SIGHTING)
        photo_added = False
        if add_photo and sighting.photo:
            with sighting.photo.open("rb") as upload:
                photo_add(car=car, upload=upload, member=None, caption="", seen_today=False)
            photo_added = True
        sighting.state = Sighting.State.ACCEPTED
        sighting.decided_by = staff
        sighting.decided_at = timezone.now()
        sighting.save(update_fields=["car", "state", "decided_by", "decided_at"])
        owner = car.ownerships.current().select_related("member").first()
        member = owner.member if owner is not None else None
        if member is not None and notify:
            # The town, the country and the date: never who reported it, nor their note.
            send_templated(
                to=[member.email],
                language=member.language,
                subject=gettext_lazy("Your car was seen"),
                template="register/email/sighting_accepted.txt",
                context={
                    "member": member,
                    "car": car,
                    "town": sighting.town,
                    "country": sighting.country,
                    "seen_on": sighting.seen_on,
                    "photo_added": photo_added,
                },
            )
    return sighting


def sighting_reject(*, sighting: Sighting, staff, reason: str) -> Sighting:
    if not reason.strip():
        raise RegisterError(_("Please give a reason, for the register's records."))
    with transaction.atomic():
        sighting = _lock_open(sighting)
        sighting.state = Sighting.State.REJECTED
        sighting.reason = reason.strip()
        sighting.decided_by = staff
        sighting.decided_at = timezone.now()
        sighting.save(update_fields=["state", "reason", "decided_by", "decided_at"])
    return sighting


# --- Demo ----------------------------------------------------------------------------


def seed_sightings(*, rng=None) -> None:
    """The demo club's sightings: accepted ones on a few cars (one with a photo), two
    waiting for the registrar and one lead. Called once from register/demo.py."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    cars = list(Car.objects.filter(review_status=Car.Review.VERIFIED).order_by("plaque_number")[:6])
    if len(cars) < 5:
        return
    today = timezone.localdate()
    staff = None
    from accounts.models import User

    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    accepted = [
        (cars[0], "Nürburg", "DE", 40, True),
        (cars[1], "Spa", "BE", 400, False),
        (cars[2], "Zandvoort", "NL", 900, False),
    ]
    for car, town, country, days, with_photo in accepted:
        photo = None
        if with_photo:
            out = io.BytesIO()
            Image.new("RGB", (640, 400), car.colour.swatch if car.colour else "#888888").save(
                out, format="JPEG"
            )
            photo = SimpleUploadedFile("sighting.jpg", out.getvalue(), "image/jpeg")
        sighting = sighting_report(
            identifier_kind=Sighting.Identifier.PLAQUE,
            identifier=str(car.plaque_number),
            town=town,
            country=country,
            seen_on=today - datetime.timedelta(days=days),
            photo=photo,
            reporter_name="A visitor",
            reporter_email="visitor@example.org",
        )
        sighting_accept(sighting=sighting, staff=staff, add_photo=with_photo, notify=False)
    sighting_report(
        identifier_kind=Sighting.Identifier.LAST7,
        identifier=cars[3].vin_short,
        town="Adenau",
        country="DE",
        seen_on=today - datetime.timedelta(days=3),
        note="Parked outside the bakery, looked very clean.",
        reporter_email="spotter@example.org",
    )
    sighting_report(
        identifier_kind=Sighting.Identifier.PLAQUE,
        identifier=str(cars[4].plaque_number),
        town="Cologne",
        country="DE",
        seen_on=today - datetime.timedelta(days=9),
        reporter_email="fan@example.org",
    )
    sighting_report(
        identifier_kind=Sighting.Identifier.PLATE,
        identifier="NLXZ123",
        town="Utrecht",
        country="NL",
        seen_on=today - datetime.timedelta(days=20),
        note="An orange 1M with a Dutch plate, no club plaque that I could see.",
        reporter_email="spotter@example.org",
    )


def member_sighting_data(*, member) -> dict:
    """The sightings a member reported, for their data export."""
    return {
        "sightings_reported": list(
            Sighting.objects.filter(reporter=member)
            .order_by("created_at")
            .values(
                "identifier_kind",
                "identifier",
                "town",
                "country",
                "seen_on",
                "note",
                "state",
                "created_at",
            )
        )
    }


def member_sighting_anonymise(*, member) -> None:
    """A member leaves: their sightings stay with the cars, without them or their words."""
    Sighting.objects.filter(reporter=member).update(
        reporter=None, reporter_name="", reporter_email="", note="", ip_hash=""
    )
