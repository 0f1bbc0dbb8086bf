"""The register's writes: registration, claims, verification, transfers, photos."""

import datetime
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import sequence_next
from config.lib.email import send_templated
from config.lib.images import clean_image
from register import fact_services
from register.lastseen import note_evidence
from register.models import (
    FACT_FIELDS,
    Car,
    CarChangeRequest,
    CarFact,
    CarPhoto,
    Claim,
    MileageReading,
    Ownership,
    TimelineEntry,
    Transfer,
    attach_diffs,
    car_fact,
    fact_json,
    overlap_message,
)
from register.timeline import system_entry

PHOTO_SIDE = 1600
THUMB_SIDE = 480
PLAQUE_SEQUENCE = "plaque-number"
# The most of each that one car can hold (README "Limits"): enough for any real car's
# record, few enough that no one can fill the disk or a car's page with them.
PHOTOS_PER_CAR = 30
TIMELINE_ENTRIES_PER_CAR = 200
MILEAGE_READINGS_PER_CAR = 200


class RegisterError(Exception):
    """A rule of the register was broken; the message is for the user."""


def _car_url(car: Car) -> str:
    return car.get_absolute_url()


def car_register(*, member: User, car: Car, started_on: datetime.date | None = None) -> Car:
    """A member registers a new car: it waits for staff, owned by them meanwhile."""
    with transaction.atomic():
        car.review_status = Car.Review.PENDING
        car.registered_by = member
        car.full_clean()
        car.save()
        Ownership.objects.create(
            car=car, member=member, started_on=started_on, country=member.country
        )
        fact_services.facts_record_car(
            car=car, source=CarFact.Source.OWNER, confidence=CarFact.Confidence.LIKELY, user=member
        )
    return car


def car_approve(*, car: Car, staff: User | None) -> Car:
    """Verify a car: it gets the next plaque number, for good, and the owner is told."""
    with transaction.atomic():
        car = Car.objects.select_for_update().get(pk=car.pk)
        if car.review_status == Car.Review.VERIFIED:
            return car
        if car.plaque_number is None:
            car.plaque_number = sequence_next(name=PLAQUE_SEQUENCE)
        car.review_status = Car.Review.VERIFIED
        car.rejection_reason = ""
        car.verified_at = timezone.now()
        car.reviewed_by = staff
        car.save(
            update_fields=[
                "plaque_number",
                "review_status",
                "rejection_reason",
                "verified_at",
                "reviewed_by",
            ]
        )
        fact_services.facts_record_car(
            car=car,
            source=CarFact.Source.INSPECTION,
            confidence=CarFact.Confidence.CONFIRMED,
            user=staff,
        )
        owner = car.current_owner
        if owner and owner.member_id:
            member = owner.member
            send_templated(
                to=[member.email],
                language=member.language,
                subject=format_lazy(
                    gettext_lazy("Your car is verified: plaque No. {plaque}"),
                    plaque=car.plaque_number,
                ),
                template="register/email/car_approved.txt",
                context={"car": car, "member": member},
            )
    return car


def car_reject(*, car: Car, staff: User | None, reason: str) -> Car:
    if not reason.strip():
        raise RegisterError(_("Please give the owner a reason."))
    with transaction.atomic():
        car = Car.objects.select_for_update().get(pk=car.pk)
        if car.review_status != Car.Review.PENDING:
            raise RegisterError(_("Only a car waiting for staff can be rejected."))
        car.review_status = Car.Review.REJECTED
        car.rejection_reason = reason.strip()
        car.reviewed_by = staff
        car.save(update_fields=["review_status", "rejection_reason", "reviewed_by"])
        owner = car.current_owner
        if owner and owner.member_id:
            member = owner.member
            send_templated(
                to=[member.email],
                language=member.language,
                subject=gettext_lazy("Your car registration was not accepted"),
                template="register/email/car_rejected.txt",
                context={"car": car, "member": member, "reason": car.rejection_reason},
            )
    return car


def car_update(*, car: Car, editor: User, values: dict[str, Any]) -> CarChangeRequest | None:
    """Save an owner's edits of a car; a verified car's factory facts wait for the registrar.

    Whatever is not a factory fact (life status, story, where it lives…) is saved at once.
    The factory facts of a verified car (FACT_FIELDS) that differ from the register's become
    the car's one pending change request, which a later edit by the same owner replaces —
    or withdraws, when it sets the facts back. The car stays as verified meanwhile, and so
    do the rarity figures and colour mixes it counts in. Staff, and the owner of a car not
    yet verified, change the facts directly. Returns the pending request, if there is one.
    """
    with transaction.atomic():
        car = Car.objects.select_for_update().get(pk=car.pk)
        review = car.is_verified and not editor.is_staff
        proposed, direct = {}, []
        for name, value in values.items():
            if review and name in FACT_FIELDS:
                if (fact_json(value) or None) != car_fact(car, name):
                    proposed[name] = fact_json(value)
            else:
                setattr(car, name, value)
                direct.append(name)
        if direct:
            car.save(update_fields=[*direct, "updated_at"])
            fact_services.facts_follow_edit(car=car, names=direct, editor=editor)
        if not review:
            return None
        pending = (
            CarChangeRequest.objects.select_for_update()
            .filter(car=car, state=CarChangeRequest.State.PENDING)
            .first()
        )
        if pending is not None and pending.proposed_by_id != editor.pk:
            if proposed:
                raise RegisterError(
                    _(
                        "Another change to this car's factory facts is waiting for the "
                        "registrar. Your other changes are saved; please propose yours once "
                        "they have decided."
                    )
                )
            return pending
        if not proposed:
            if pending is not None:
                pending.state = CarChangeRequest.State.WITHDRAWN
                pending.decided_at = timezone.now()
                pending.save(update_fields=["state", "decided_at", "updated_at"])
            return None
        if pending is not None:
            pending.changes = proposed
            pending.save(update_fields=["changes", "updated_at"])
            return pending
        return CarChangeRequest.objects.create(car=car, proposed_by=editor, changes=proposed)


def _change_decided(change: CarChangeRequest) -> None:
    member = change.proposed_by
    if member is None:
        return
    send_templated(
        to=[member.email],
        language=member.language,
        subject=gettext_lazy("The registrar accepted your change")
        if change.state == CarChangeRequest.State.ACCEPTED
        else gettext_lazy("The registrar did not accept your change"),
        template="register/email/change_decided.txt",
        context={"change": change, "car": change.car, "member": member},
    )


def _lock_pending_change(change: CarChangeRequest) -> CarChangeRequest:
    change = (
        CarChangeRequest.objects.select_for_update(of=("self",))
        .select_related("car__model_line", "car__colour", "proposed_by")
        .get(pk=change.pk)
    )
    if change.state != CarChangeRequest.State.PENDING:
        raise RegisterError(_("This change has already been decided."))
    attach_diffs([change])  # for the owner's e-mail: what the car said, what they proposed
    return change


def car_change_accept(*, change: CarChangeRequest, staff: User | None) -> CarChangeRequest:
    """Apply the proposed facts to the car, which stays verified; the owner is told."""
    with transaction.atomic():
        change = _lock_pending_change(change)
        car = Car.objects.select_for_update().get(pk=change.car_id)
        for attname, value in change.proposed_values().items():
            setattr(car, attname, value)
        try:
            car.full_clean()
        except ValidationError as exc:
            raise RegisterError(" ".join(exc.messages)) from exc
        car.save(update_fields=[*change.changes, "updated_at"])
        fact_services.facts_follow_change(
            car=car, names=change.changes, proposer=change.proposed_by, staff=staff
        )
        change.state = CarChangeRequest.State.ACCEPTED
        change.decided_by = staff
        change.decided_at = timezone.now()
        change.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
        _change_decided(change)
    return change


def car_change_reject(
    *, change: CarChangeRequest, staff: User | None, reason: str
) -> CarChangeRequest:
    if not reason.strip():
        raise RegisterError(_("Please give the owner a reason."))
    with transaction.atomic():
        change = _lock_pending_change(change)
        change.state = CarChangeRequest.State.REJECTED
        change.reason = reason.strip()
        change.decided_by = staff
        change.decided_at = timezone.now()
        change.save(update_fields=["state", "reason", "decided_by", "decided_at", "updated_at"])
        _change_decided(change)
    return change


def claim_create(*, car: Car, member: User, evidence: str, evidence_photo=None) -> Claim:
    with transaction.atomic():
        if car.ownerships.current().filter(member=member).exists():
            raise RegisterError(_("You are already the owner of this car."))
        if Claim.objects.filter(car=car, claimant=member, state=Claim.State.PENDING).exists():
            raise RegisterError(_("You already have a claim on this car waiting for staff."))
        claim = Claim(car=car, claimant=member, evidence=evidence)
        if evidence_photo is not None:
            claim.evidence_photo = clean_image(evidence_photo, max_side=PHOTO_SIDE)
        claim.save()
    return claim


def _hand_over(*, car: Car, to_member: User, on: datetime.date, note: str = "") -> Ownership:
    """Close the current ownership and open the next one: the caller holds the transaction.

    Periods of one car never overlap. The car's row and its ownerships are locked first, so
    two handovers of one car (a claim approved while a transfer is accepted) take turns on
    SQLite and PostgreSQL alike; PostgreSQL's exclusion constraint stands behind this check.
    """
    Car.objects.select_for_update().filter(pk=car.pk).first()
    periods = list(Ownership.objects.select_for_update().filter(car=car))
    current = next((o for o in periods if o.ended_on is None), None)
    if current is not None:
        if current.started_on and on < current.started_on:
            raise RegisterError(
                _(
                    "The car's current owner has had it since %(date)s: it cannot change "
                    "hands before that."
                )
                % {"date": date_format(current.started_on)}
            )
        current.ended_on = on
        current.save(update_fields=["ended_on"])
    clash = Ownership.objects.overlapping(car_id=car.pk, started_on=on, ended_on=None).first()
    if clash is not None:
        raise RegisterError(overlap_message(clash))
    return Ownership.objects.create(
        car=car, member=to_member, started_on=on, country=to_member.country, note=note
    )


def _release_car(*, car: Car, previous_owner: User) -> list[str]:
    """The car changed hands: other apps let go of what its previous owner held with it.

    The register knows no meets: an app that keeps something per car and member (the meets'
    RSVPs) offers a `car_changed_hands(car=, previous_owner=)` method on its AppConfig and
    answers with a line per thing it released, for the previous owner's e-mail.
    """
    released = []
    for config in django_apps.get_app_configs():
        hook = getattr(config, "car_changed_hands", None)
        if hook is not None:
            released += hook(car=car, previous_owner=previous_owner)
    return released


def claim_approve(*, claim: Claim, staff: User | None) -> Claim:
    """The claimant owns the car from today; the owner they replace is told, in the same
    transaction, and their RSVPs with the car for meets to come are cancelled."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("car", "claimant").get(pk=claim.pk)
        if claim.state != Claim.State.PENDING:
            raise RegisterError(_("This claim has already been decided."))
        car = claim.car
        previous = car.ownerships.current().select_related("member").first()
        _hand_over(car=car, to_member=claim.claimant, on=timezone.localdate(), note="Claim")
        claim.state = Claim.State.APPROVED
        claim.decided_by = staff
        claim.decided_at = timezone.now()
        claim.save(update_fields=["state", "decided_by", "decided_at"])
        send_templated(
            to=[claim.claimant.email],
            language=claim.claimant.language,
            subject=gettext_lazy("Your claim was approved"),
            template="register/email/claim_decided.txt",
            context={"claim": claim, "car": car, "approved": True},
        )
        displaced = previous.member if previous is not None else None
        if displaced is not None and displaced.pk != claim.claimant_id:
            released = _release_car(car=car, previous_owner=displaced)
            send_templated(
                to=[displaced.email],
                language=displaced.language,
                subject=gettext_lazy("Your car has a new owner on the register"),
                template="register/email/claim_displaced.txt",
                context={"car": car, "member": displaced, "released": released},
            )
    return claim


def claim_reject(*, claim: Claim, staff: User | None, reason: str) -> Claim:
    if not reason.strip():
        raise RegisterError(_("Please give the member a reason."))
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("car", "claimant").get(pk=claim.pk)
        if claim.state != Claim.State.PENDING:
            raise RegisterError(_("This claim has already been decided."))
        claim.state = Claim.State.REJECTED
        claim.reason = reason.strip()
        claim.decided_by = staff
        claim.decided_at = timezone.now()
        claim.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        send_templated(
            to=[claim.claimant.email],
            language=claim.claimant.language,
            subject=gettext_lazy("Your claim was not accepted"),
            template="register/email/claim_decided.txt",
            context={"claim": claim, "car": claim.car, "approved": False},
        )
    return claim


def transfer_start(
    *, car: Car, from_member: User, to_member: User, on: datetime.date, note: str = ""
) -> Transfer:
    with transaction.atomic():
        if not car.ownerships.current().filter(member=from_member).exists():
            raise RegisterError(_("Only the car's current owner can transfer it."))
        if to_member.pk == from_member.pk:
            raise RegisterError(_("You cannot transfer a car to yourself."))
        if Transfer.objects.filter(car=car, state=Transfer.State.PENDING).exists():
            raise RegisterError(_("This car already has a transfer waiting. Cancel it first."))
        transfer = Transfer.objects.create(
            car=car, from_member=from_member, to_member=to_member, transfer_date=on, note=note
        )
        send_templated(
            to=[to_member.email],
            language=to_member.language,
            subject=gettext_lazy("A car is being transferred to you"),
            template="register/email/transfer_started.txt",
            context={"transfer": transfer, "car": car},
        )
    return transfer


def _already_closed(transfer: Transfer) -> str:
    # The state's label in lower case: "accepted", "declined" or "cancelled".
    return _("This transfer is already %(state)s.") % {
        "state": transfer.get_state_display().lower()
    }


def transfer_accept(*, transfer: Transfer, member: User) -> Transfer:
    """The buyer accepts: one ownership closes and the next opens, exactly once."""
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update()
            .select_related("car", "from_member", "to_member")
            .get(pk=transfer.pk)
        )
        if transfer.to_member_id != member.pk:
            raise RegisterError(_("This transfer is not addressed to you."))
        if transfer.state != Transfer.State.PENDING:
            raise RegisterError(_already_closed(transfer))
        car = Car.objects.select_for_update().get(pk=transfer.car_id)
        if not car.ownerships.current().filter(member=transfer.from_member).exists():
            raise RegisterError(_("The seller no longer owns this car."))
        _hand_over(car=car, to_member=member, on=transfer.transfer_date, note="Transfer")
        released = _release_car(car=car, previous_owner=transfer.from_member)
        system_entry(
            car, "transfer_club", transfer.transfer_date, kind=TimelineEntry.Kind.SOLD
        ).save()
        note_evidence(car.pk, transfer.transfer_date, Car.Evidence.TIMELINE)
        transfer.state = Transfer.State.ACCEPTED
        transfer.decided_at = timezone.now()
        transfer.save(update_fields=["state", "decided_at"])
        seller = transfer.from_member
        send_templated(
            to=[seller.email],
            language=seller.language,
            subject=gettext_lazy("Your car's transfer was accepted"),
            template="register/email/transfer_decided.txt",
            context={"transfer": transfer, "car": car, "released": released},
        )
    return transfer


def transfer_close(*, transfer: Transfer, member: User) -> Transfer:
    """The buyer declines, or the seller cancels, a pending transfer."""
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.state != Transfer.State.PENDING:
            raise RegisterError(_already_closed(transfer))
        if member.pk == transfer.to_member_id:
            transfer.state = Transfer.State.DECLINED
        elif member.pk == transfer.from_member_id:
            transfer.state = Transfer.State.CANCELLED
        else:
            raise RegisterError(_("This transfer is not yours."))
        transfer.decided_at = timezone.now()
        transfer.save(update_fields=["state", "decided_at"])
        if transfer.state == Transfer.State.DECLINED:
            # The seller is waiting for the buyer: tell them. (A seller who cancels knows.)
            send_templated(
                to=[transfer.from_member.email],
                language=transfer.from_member.language,
                subject=gettext_lazy("Your car's transfer was declined"),
                template="register/email/transfer_decided.txt",
                context={"transfer": transfer, "car": transfer.car},
            )
    return transfer


def photo_add(
    *,
    car: Car,
    upload,
    member: User | None,
    caption: str = "",
    make_cover: bool = False,
    seen_today: bool = True,
) -> CarPhoto:
    """Store a cleaned photo and its thumbnail; the first photo becomes the cover."""
    _refuse_when_full(car, car.photos.count(), PHOTOS_PER_CAR, _photos_full)  # before the work
    image = clean_image(upload, max_side=PHOTO_SIDE)
    thumb = clean_image(upload, max_side=THUMB_SIDE, quality=80)
    with transaction.atomic():
        _lock_car(car)
        _refuse_when_full(car, car.photos.count(), PHOTOS_PER_CAR, _photos_full)
        first = not car.photos.exists()
        if make_cover and not first:
            car.photos.filter(is_cover=True).update(is_cover=False)
        photo = CarPhoto(car=car, caption=caption, uploaded_by=member, is_cover=first or make_cover)
        photo.image.save(image.name, image, save=False)
        photo.thumbnail.save("thumb-" + thumb.name, thumb, save=False)
        photo.save()
        if seen_today:  # a photo taken on another day (a sighting's) is its own evidence
            note_evidence(car.pk, timezone.localdate(), Car.Evidence.PHOTO)
    return photo


def _lock_car(car: Car) -> None:
    """Take the car's row lock: two requests adding to one car at once count in turn.

    (On SQLite the IMMEDIATE transaction already holds the database's write lock.)
    """
    Car.objects.select_for_update().filter(pk=car.pk).first()


def _refuse_when_full(car: Car, count: int, most: int, message) -> None:
    if count >= most:
        raise RegisterError(message(most))


def _photos_full(most: int) -> str:
    return _("This car has %(count)s photos, the most it can have. Delete one to add another.") % {
        "count": most
    }


def _timeline_full(most: int) -> str:
    return _("This car's timeline has %(count)s entries, the most it can hold.") % {"count": most}


def _mileage_full(most: int) -> str:
    return _("This car has %(count)s mileage readings, the most it can hold.") % {"count": most}


def timeline_entry_add(
    *,
    car: Car,
    author: User,
    kind: str,
    happened_on: datetime.date,
    title: str,
    body: str = "",
) -> TimelineEntry:
    """The owner adds an entry to the car's timeline, up to TIMELINE_ENTRIES_PER_CAR."""
    with transaction.atomic():
        _lock_car(car)
        count = TimelineEntry.objects.filter(car=car).count()
        _refuse_when_full(car, count, TIMELINE_ENTRIES_PER_CAR, _timeline_full)
        entry = TimelineEntry.objects.create(
            car=car, author=author, kind=kind, happened_on=happened_on, title=title, body=body
        )
        note_evidence(car.pk, happened_on, Car.Evidence.TIMELINE)
        return entry


def mileage_reading_add(
    *, car: Car, member: User, read_on: datetime.date, kilometres: int, flagged: bool = False
) -> MileageReading:
    """The owner records an odometer reading, up to MILEAGE_READINGS_PER_CAR.

    `flagged`: the reading goes backwards and the owner confirmed it (MileageForm).
    """
    with transaction.atomic():
        _lock_car(car)
        count = MileageReading.objects.filter(car=car).count()
        _refuse_when_full(car, count, MILEAGE_READINGS_PER_CAR, _mileage_full)
        reading = MileageReading.objects.create(
            car=car, recorded_by=member, read_on=read_on, kilometres=kilometres, flagged=flagged
        )
        note_evidence(car.pk, read_on, Car.Evidence.MILEAGE)
        return reading


def photo_make_cover(*, photo: CarPhoto) -> None:
    # save(), not update(): cached pages that show the cover listen for saved photos.
    with transaction.atomic():
        for old in CarPhoto.objects.filter(car=photo.car_id, is_cover=True).exclude(pk=photo.pk):
            old.is_cover = False
            old.save(update_fields=["is_cover"])
        photo.is_cover = True
        photo.save(update_fields=["is_cover"])


def photo_delete(*, photo: CarPhoto) -> None:
    with transaction.atomic():
        was_cover = photo.is_cover
        car_id = photo.car_id
        files = [photo.image.name, photo.thumbnail.name]
        storage = photo.image.storage
        photo.delete()
        if was_cover:
            successor = CarPhoto.objects.filter(car=car_id).order_by("created_at", "id").first()
            if successor:
                successor.is_cover = True
                successor.save(update_fields=["is_cover"])
        transaction.on_commit(lambda: [storage.delete(name) for name in files if name])


def member_register_data(*, member: User) -> dict[str, Any]:
    """The member's part of the register, for their data export."""
    ownerships = Ownership.objects.filter(member=member).select_related("car", "car__colour")
    return {
        "ownerships": [
            {
                "vin": o.car.vin,
                "car": str(o.car),
                "colour": str(o.car.colour or ""),
                "plaque_number": o.car.plaque_number,
                # The plate is the current owner's: a car sold on may carry another's.
                "registration_plate": o.car.registration_plate if o.ended_on is None else "",
                "plate_visibility": o.car.plate_visibility if o.ended_on is None else "",
                "started_on": o.started_on,
                "ended_on": o.ended_on,
            }
            for o in ownerships
        ],
        "claims": [
            {"vin": c.car.vin, "evidence": c.evidence, "state": c.state, "created_at": c.created_at}
            for c in Claim.objects.filter(claimant=member).select_related("car")
        ],
        "transfers": [
            {
                "vin": t.car.vin,
                "direction": "out" if t.from_member_id == member.pk else "in",
                "state": t.state,
                "date": t.transfer_date,
            }
            for t in Transfer.objects.filter(from_member=member).select_related("car")
            | Transfer.objects.filter(to_member=member).select_related("car")
        ],
        "timeline_entries": list(
            TimelineEntry.objects.filter(author=member).values("car__vin", "happened_on", "title")
        ),
    }


def member_register_anonymise(*, member: User) -> None:
    """Keep every car's history, without the member's name or evidence."""
    Ownership.objects.filter(member=member).update(
        owner_name="", name_visibility=Ownership.Visibility.NOBODY
    )
    Transfer.objects.filter(state=Transfer.State.PENDING).filter(from_member=member).update(
        state=Transfer.State.CANCELLED, decided_at=timezone.now()
    )
    Transfer.objects.filter(state=Transfer.State.PENDING, to_member=member).update(
        state=Transfer.State.DECLINED, decided_at=timezone.now()
    )
    photos = []
    for claim in Claim.objects.filter(claimant=member):
        if claim.evidence_photo:
            photos.append(claim.evidence_photo.name)
    Claim.objects.filter(claimant=member, state=Claim.State.PENDING).update(
        state=Claim.State.WITHDRAWN
    )
    Claim.objects.filter(claimant=member).update(evidence="", evidence_photo="")
    storage = Claim._meta.get_field("evidence_photo").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in photos])
