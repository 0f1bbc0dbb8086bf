"""The demo's album: photos of the 2023 Nürburgring meet, drawn at seed time.

Eight photos in the album (most of them naming the car in them by its plaque) and two
waiting for the organisers. Small pictures drawn with Pillow, so seeding stays fast.
Idempotent: a meet whose album has photos is left as it is.
"""

import datetime
import io
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw

from meets.album_models import ALBUM_FOLDER, AlbumPhoto
from meets.cache import meets_cache
from meets.models import RSVP, Meet
from register.lastseen import note_evidence
from register.models import Car

PAST_SLUG = "nurburgring-2023"
CAPTIONS = [
    ("Morning queue at the paddock gate", True),
    ("In the line-up before the parade", True),
    ("The group photo on the Grand-Prix track", False),
    ("Parade lap, turn one", True),
    ("In the afternoon sun", True),
    ("By the pit wall", True),
    ("Lunch break at the Devil's Diner", False),
    ("Last cars leaving at dusk", True),
    ("Brakes cooling after the parade", True),  # waiting for the organisers
    ("Friends from the Netherlands", False),  # waiting for the organisers
]
APPROVED = 8


def _picture(caption: str, colour: tuple[int, int, int], *, side: int) -> ContentFile:
    """A sky, a track and a car-ish shape in `colour`, with the caption written on it."""
    width, height = side, side * 2 // 3
    image = Image.new("RGB", (width, height), (135, 170, 205))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, height * 3 // 5, width, height], fill=(70, 75, 80))
    body = [width // 5, height // 2, width * 4 // 5, height * 3 // 4]
    draw.rounded_rectangle(body, radius=height // 12, fill=colour)
    draw.rounded_rectangle(
        [width * 3 // 10, height * 2 // 5, width * 3 // 5, height // 2 + 4],
        radius=height // 20,
        fill=colour,
    )
    for x in (width * 3 // 10, width * 7 // 10):
        r = height // 12
        draw.ellipse([x - r, height * 3 // 4 - r, x + r, height * 3 // 4 + r], fill=(20, 20, 20))
    draw.text((10, 10), caption, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


def _rgb(swatch: str) -> tuple[int, int, int]:
    value = (swatch or "#adb5bd").lstrip("#")
    try:
        return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return (173, 181, 189)


def seed_albums(stdout) -> None:
    meet = Meet.objects.filter(slug=PAST_SLUG).first()
    if meet is None or AlbumPhoto.objects.filter(meet=meet).exists():
        return
    rsvps = list(
        RSVP.objects.filter(meet=meet, status=RSVP.Status.GOING, member__isnull=False)
        .select_related("member", "car", "car__colour")
        .order_by("id")[: len(CAPTIONS)]
    )
    if not rsvps:
        return
    organiser = meet.organisers.first()
    storage = AlbumPhoto._meta.get_field("image").storage
    folder = f"{ALBUM_FOLDER}{meet.pk}/"
    decided = meet.ends_at + datetime.timedelta(days=2)
    photos = []
    for i, (caption, tagged) in enumerate(CAPTIONS):
        rsvp = rsvps[i % len(rsvps)]
        colour = _rgb(rsvp.car.colour.swatch if rsvp.car.colour else "")
        image = _picture(caption, colour, side=960)
        thumb = _picture(caption, colour, side=480)
        approved = i < APPROVED
        photos.append(
            AlbumPhoto(
                meet=meet,
                uploaded_by=rsvp.member,
                image=storage.save(folder + image.name, image),
                thumbnail=storage.save(folder + "thumb-" + thumb.name, thumb),
                width=960,
                height=640,
                caption=caption,
                car=rsvp.car if tagged and rsvp.car.plaque_number else None,
                state=AlbumPhoto.State.APPROVED if approved else AlbumPhoto.State.PENDING,
                created_at=meet.ends_at + datetime.timedelta(hours=6 + i),
                decided_by=organiser if approved else None,
                decided_at=decided if approved else None,
            )
        )
    with transaction.atomic():
        AlbumPhoto.objects.bulk_create(photos)
        day = meet.local_start.date()
        for photo in photos:
            if photo.car_id and photo.state == AlbumPhoto.State.APPROVED:
                note_evidence(photo.car_id, day, Car.Evidence.PHOTO)
        meets_cache.bump_on_commit()
    stdout.write(f"  meets: an album of {len(photos)} photos on {meet.title}\n")
