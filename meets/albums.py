"""Meet albums: who may add and see photos, and the writes (add, decide, delete).

- Adding: from the meet's start until PADDOCK_ALBUM_DAYS days after its end, by its
  organisers (and staff) and by members with a going RSVP (checked in or not: going is
  enough, as a car that came without being scanned still came). At most
  PADDOCK_ALBUM_PER_MEMBER photos per member per meet, counted under the meet's lock.
- Moderation: an attendee's photo waits for the organisers; an organiser's own is in the
  album at once. Rejected photos stay visible to their uploader (who may delete them) and
  count towards their limit, so rejection is not a way round it.
- Seeing: approved photos, by whoever may see the meet's page; a members-only meet's
  album by members only. Pending and rejected ones: their uploader and the organisers.
- A photo may name a car of the register by its plaque: once approved it shows on that
  car's page ("Seen at meets") and counts as evidence the car was seen on the meet's day.
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from config.lib.images import clean_image
from meets import services
from meets.access import is_organiser
from meets.album_models import ALBUM_FOLDER, AlbumPhoto
from meets.cache import meets_cache
from meets.models import RSVP, Meet
from register.lastseen import note_evidence
from register.models import Car

PHOTO_SIDE = 1600
THUMB_SIDE = 480
# The album page's grid and the car page's strip show at most this many photos.
ALBUM_SHOWN = 500
CAR_STRIP_SHOWN = 12
TEASER_SHOWN = 4


class AlbumError(Exception):
    """An album rule was broken; the message is for the member."""


# --- Who may do what ----------------------------------------------------------------------


def closes_at(meet: Meet) -> datetime.datetime:
    return meet.ends_at + datetime.timedelta(days=settings.PADDOCK_ALBUM_DAYS)


def is_attendee(user, meet: Meet) -> bool:
    return (
        user.is_authenticated
        and RSVP.objects.filter(meet=meet, member=user, status=RSVP.Status.GOING).exists()
    )


def may_see_album(user, meet: Meet, *, organiser: bool) -> bool:
    """Whoever may see the meet's page; a members-only meet's album: members only."""
    if not meet.members_only or organiser:
        return True
    return bool(getattr(user, "is_active_member", False))


def may_add(user, meet: Meet, *, organiser: bool) -> bool:
    """Its organisers (and staff) and its attendees: the role, whatever the date."""
    return organiser or is_attendee(user, meet)


def why_closed(meet: Meet, now: datetime.datetime | None = None) -> str | None:
    """Why photos cannot be added now (the dates), or None while the album is open."""
    now = now or timezone.now()
    if meet.status == Meet.Status.CANCELLED:
        return _("This meet was cancelled: it has no album.")
    if meet.status != Meet.Status.PUBLISHED:
        return _("Photos can be added once the meet is published and has started.")
    if now < meet.starts_at:
        return _("The album opens when the meet starts.")
    if now > closes_at(meet):
        return _("The album closed %(days)s days after the meet.") % {
            "days": settings.PADDOCK_ALBUM_DAYS
        }
    return None


def may_manage(user, photo: AlbumPhoto, *, organiser: bool) -> bool:
    """Its uploader and the meet's organisers may see a photo that is not in the album."""
    return organiser or (user.is_authenticated and photo.uploaded_by_id == user.pk)


# --- Tagging a car ------------------------------------------------------------------------


def car_by_plaque(text: str) -> Car | None:
    """The public car with plaque `text` ("12", "No. 12", "#12"), or None."""
    number = text.strip().lstrip("#").removeprefix("No.").removeprefix("no.").strip()
    if not number.isdecimal() or len(number) > 9:
        return None
    return Car.objects.public().filter(plaque_number=int(number)).first()


def cars_at(meet: Meet) -> list[Car]:
    """The cars going to `meet` (those checked in first): offered first when tagging."""
    return list(
        Car.objects.public()
        .filter(rsvps__meet=meet, rsvps__status=RSVP.Status.GOING, plaque_number__isnull=False)
        .select_related("model_line", "colour")
        .distinct()
        .order_by("plaque_number")
    )


# --- Writes -------------------------------------------------------------------------------


def album_photos_add(
    *, meet: Meet, member: User, uploads: list, caption: str = "", car: Car | None = None
) -> list[AlbumPhoto]:
    """Store cleaned copies of `uploads` in `meet`'s album, all or none.

    Every file is cleaned first (a bad one raises ValidationError and nothing is
    stored); the limit per member is counted under the meet's lock, so uploads sent at
    once cannot pass it together. Files written before a refusal are deleted again.
    """
    organiser = is_organiser(member, meet)
    reason = why_closed(meet)
    if reason:
        raise AlbumError(reason)
    if not uploads:
        raise AlbumError(_("Choose at least one photo."))
    most = settings.PADDOCK_ALBUM_PER_MEMBER
    if len(uploads) > most:
        raise AlbumError(_too_many(most, 0))
    cleaned = [
        (clean_image(u, max_side=PHOTO_SIDE), clean_image(u, max_side=THUMB_SIDE, quality=80))
        for u in uploads
    ]
    storage = AlbumPhoto._meta.get_field("image").storage
    folder = f"{ALBUM_FOLDER}{meet.pk}/"
    written: list[str] = []
    try:
        for image, thumb in cleaned:
            written.append(storage.save(folder + image.name, image))
            written.append(storage.save(folder + "thumb-" + thumb.name, thumb))
        photos = _album_photos_create(
            meet=meet,
            member=member,
            names=list(zip(written[::2], written[1::2], strict=True)),
            sizes=[_size(image) for image, _thumb in cleaned],
            caption=caption,
            car=car,
            organiser=organiser,
        )
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    return photos


def _size(image: ContentFile) -> tuple[int, int]:
    from PIL import Image

    image.seek(0)
    with Image.open(image) as opened:
        return opened.size


def _too_many(most: int, have: int) -> str:
    left = max(most - have, 0)
    return ngettext(
        "You can add at most %(most)s photos to this album; you have room for %(left)s more.",
        "You can add at most %(most)s photos to this album; you have room for %(left)s more.",
        left,
    ) % {"most": most, "left": left}


def _album_photos_create(
    *, meet, member, names, sizes, caption, car, organiser
) -> list[AlbumPhoto]:
    now = timezone.now()
    state = AlbumPhoto.State.APPROVED if organiser else AlbumPhoto.State.PENDING
    try:
        with services._meet_transaction():
            services._lock_meet(meet.pk)
            have = AlbumPhoto.objects.filter(meet=meet, uploaded_by=member).count()
            most = settings.PADDOCK_ALBUM_PER_MEMBER
            if have + len(names) > most:
                raise AlbumError(_too_many(most, have))
            photos = AlbumPhoto.objects.bulk_create(
                [
                    AlbumPhoto(
                        meet=meet,
                        uploaded_by=member,
                        image=image,
                        thumbnail=thumb,
                        width=width,
                        height=height,
                        caption=caption,
                        car=car,
                        state=state,
                        created_at=now,
                        decided_by=member if organiser else None,
                        decided_at=now if organiser else None,
                    )
                    for (image, thumb), (width, height) in zip(names, sizes, strict=True)
                ]
            )
            if organiser and car is not None:
                note_evidence(car.pk, meet.local_start.date(), Car.Evidence.PHOTO)
            meets_cache.bump_on_commit()  # bulk_create sends no signals
    except services.RSVPError as exc:  # the meet's lock was busy for too long
        raise AlbumError(str(exc)) from exc
    return photos


def album_photos_decide(*, meet: Meet, photo_ids: list[int], approve: bool, by: User) -> int:
    """Approve or reject photos of `meet` (any not yet in that state). Returns how many.

    An approved photo of a tagged car is evidence the car was seen on the meet's day.
    """
    target = AlbumPhoto.State.APPROVED if approve else AlbumPhoto.State.REJECTED
    with transaction.atomic():
        photos = list(
            AlbumPhoto.objects.select_for_update()
            .filter(meet=meet, pk__in=photo_ids)
            .exclude(state=target)
            .order_by("pk")
        )
        if not photos:
            return 0
        AlbumPhoto.objects.filter(pk__in=[p.pk for p in photos]).update(
            state=target, decided_by=by, decided_at=timezone.now()
        )
        if approve:
            day = meet.local_start.date()
            for car_id in sorted({p.car_id for p in photos if p.car_id}):
                note_evidence(car_id, day, Car.Evidence.PHOTO)
        meets_cache.bump_on_commit()  # update() sends no signals
    return len(photos)


def album_photo_delete(*, photo: AlbumPhoto) -> None:
    """Delete a photo and, once that commits, its files."""
    files = [photo.image.name, photo.thumbnail.name]
    storage = photo.image.storage
    with transaction.atomic():
        photo.delete()  # the meets' cache follows (signal)
        transaction.on_commit(lambda: [storage.delete(name) for name in files if name])


def album_photo_retag(*, photo: AlbumPhoto, caption: str, car: Car | None) -> AlbumPhoto:
    """Change a photo's caption and the car it names."""
    with transaction.atomic():
        photo.caption = caption
        if photo.car_id and photo.car_id != getattr(car, "pk", None):
            # The car it named no longer shows it (the signal bumps the new one's).
            meets_cache.bump_on_commit(scopes=(f"car:{photo.car_id}",))
        photo.car = car
        photo.save(update_fields=["caption", "car"])  # the meets' cache follows (signal)
        if car is not None and photo.is_approved:
            note_evidence(car.pk, photo.meet.local_start.date(), Car.Evidence.PHOTO)
    return photo


# --- A member's data ----------------------------------------------------------------------


def member_albums_data(*, member: User) -> list[dict[str, Any]]:
    """The member's album photos, for their data export."""
    return [
        {
            "meet": p.meet.title,
            "starts_at": p.meet.starts_at,
            "caption": p.caption,
            "car_plaque": p.car.plaque_number if p.car else None,
            "state": p.state,
            "added_at": p.created_at,
            "file": p.image.name,
        }
        for p in AlbumPhoto.objects.filter(uploaded_by=member).select_related("meet", "car")
    ]


def member_albums_anonymise(*, member: User) -> None:
    """A member who leaves: their photos in albums stay, without their name; the ones
    no organiser accepted (waiting or rejected) go, files and all."""
    going = AlbumPhoto.objects.filter(uploaded_by=member).exclude(state=AlbumPhoto.State.APPROVED)
    files = [n for pair in going.values_list("image", "thumbnail") for n in pair if n]
    going.delete()
    AlbumPhoto.objects.filter(uploaded_by=member).update(uploaded_by=None)
    AlbumPhoto.objects.filter(decided_by=member).update(decided_by=None)
    storage = AlbumPhoto._meta.get_field("image").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    meets_cache.bump_on_commit()


# --- Reading ------------------------------------------------------------------------------


def album_of(meet: Meet):
    return (
        AlbumPhoto.objects.approved()
        .filter(meet=meet)
        .select_related("car", "uploaded_by", "meet")
        .order_by("created_at", "id")
    )


def seen_at_meets(car: Car) -> list[AlbumPhoto]:
    """Approved photos naming `car`, from meets whose albums anyone may see, newest first."""
    return list(
        AlbumPhoto.objects.approved()
        .filter(car=car, meet__members_only=False)
        .filter(Q(meet__status=Meet.Status.PUBLISHED) | Q(meet__status=Meet.Status.CANCELLED))
        .select_related("meet")
        .order_by("-meet__starts_at", "created_at", "id")[:CAR_STRIP_SHOWN]
    )
