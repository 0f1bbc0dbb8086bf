"""Hostile files at every upload on the site: refused with a message, or stored clean.

Four places take a picture: the profile photo (accounts:profile_edit), a car's photos
(register:photo_add), a claim's evidence photo (register:claim) and a meet's cover
(meets:create). Each gets the same files:

- refused, with a message on the page, no row and no file under MEDIA_ROOT: a text file
  named .jpg, a truncated JPEG, a decompression bomb (a 20000×20000 PNG of a few dozen
  kilobytes), a 40 MB file, an SVG with a script;
- stored clean: a phone photo with GPS in its EXIF (no EXIF at all is kept) and a GIF
  that is also an HTML page (stored as a JPEG re-encoded from its pixels: the HTML is
  gone). Served back as image/jpeg with X-Content-Type-Options: nosniff, so no browser
  sniffs a stored file into a page; a claim's evidence never through /media/ at all.
"""

import io
import os
import struct
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
from django.urls import reverse
from PIL import Image

from accounts.models import User
from meets.models import Meet
from register.models import CarPhoto, Claim
from tests.accounts.images import GPS_INFO, jpeg_bytes, jpeg_with_gps_and_orientation
from tests.accounts.images import png_bomb_bytes as bomb_png_bytes
from tests.factories import MemberFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">'
    b"<script>alert(document.cookie)</script><rect width='64' height='48'/></svg>"
)
FORTY_MB = 40 * 1024 * 1024

# What the page says, by the file; the meet's cover is a model ImageField, and Django's
# own check of the picture speaks first for files that are no picture at all.
NOT_A_PICTURE = "This file is not a picture we can read"
DJANGO_NOT_A_PICTURE = "Upload a valid image. The file you uploaded was either not an image"


def text_named_jpg() -> bytes:
    return b"Dear club, please find my photo attached.\n" * 20


def truncated_jpeg() -> bytes:
    whole = jpeg_bytes(size=(800, 600), color="orange", quality=95)
    return whole[: len(whole) // 2]


def gif_html_polyglot() -> bytes:
    """A valid GIF that is also an HTML page: the page in its comment and after its end."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, format="GIF", comment=HTML)
    return out.getvalue() + HTML


@dataclass
class Target:
    """One upload on the site: who posts it, where, and where the picture lands."""

    name: str
    url_name: str
    field: str
    model: type[Model]
    bad_picture: str  # the message for a file that is no (complete) picture
    bomb: str  # the message for a decompression bomb

    def prepare(self) -> dict[str, Any]:
        """The people and objects the upload needs; `client` is logged in to post it."""
        if self.name == "avatar":
            person = MemberFactory(display_name="Ada Avatar")
            return {"person": person, "url": reverse(self.url_name)}
        if self.name == "car photo":
            person = MemberFactory(display_name="Olga Owner")
            car = CarFactory(owner=person)
            return {"person": person, "url": reverse(self.url_name, args=[car.pk])}
        if self.name == "claim evidence":
            car = CarFactory(owner=MemberFactory(display_name="Sam Seller"))
            person = MemberFactory(display_name="Clara Claimant")
            return {"person": person, "url": reverse(self.url_name, args=[car.pk])}
        from django.contrib.auth.models import Group

        from accounts.models import ORGANISERS_GROUP

        person = MemberFactory(display_name="Oscar Organiser")
        person.groups.add(Group.objects.get_or_create(name=ORGANISERS_GROUP)[0])
        return {"person": person, "url": reverse(self.url_name)}

    def data(self, person: User) -> dict[str, Any]:
        """The rest of the form, filled in correctly."""
        if self.name == "avatar":
            return {
                "display_name": person.display_name,
                "name_visibility": "members",
                "language": "en-gb",
            }
        if self.name == "car photo":
            return {"caption": "Eifel sunrise"}
        if self.name == "claim evidence":
            return {"evidence": "Bought it in March; I hold the registration papers."}
        return {
            "title": "Eifel Sunrise Run",
            "venue_name": "Nürburgring, Parkplatz T13",
            "venue_country": "DE",
            "time_zone": "Europe/Berlin",
            "starts_at": "2027-07-10T09:00",
            "ends_at": "2027-07-10T15:00",
            "capacity": "40",
            "attendee_visibility": "members",
        }

    def rows(self, person: User) -> int:
        """How many rows carry an uploaded picture."""
        if self.name == "avatar":
            return User.objects.filter(pk=person.pk).exclude(avatar="").count()
        return self.model.objects.count()

    def stored_names(self, person: User) -> list[str]:
        """The stored files of the one row the upload made."""
        if self.name == "avatar":
            return [User.objects.get(pk=person.pk).avatar.name]
        if self.name == "car photo":
            photo = CarPhoto.objects.get()
            return [photo.image.name, photo.thumbnail.name]
        if self.name == "claim evidence":
            return [Claim.objects.get().evidence_photo.name]
        return [Meet.objects.get().cover_image.name]


TARGETS = {
    target.name: target
    for target in [
        Target(
            "avatar",
            "accounts:profile_edit",
            "avatar",
            User,
            NOT_A_PICTURE,
            "too large to process",
        ),
        Target(
            "car photo",
            "register:photo_add",
            "image",
            CarPhoto,
            NOT_A_PICTURE,
            "too large to process",
        ),
        Target(
            "claim evidence",
            "register:claim",
            "evidence_photo",
            Claim,
            NOT_A_PICTURE,
            "too large to process",
        ),
        Target(
            "meet cover",
            "meets:create",
            "cover_image",
            Meet,
            DJANGO_NOT_A_PICTURE,
            DJANGO_NOT_A_PICTURE,
        ),
    ]
}


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def post(target: Target, content: bytes, filename: str, content_type: str = "image/jpeg"):
    """Log in as the target's person and send the form with `content` as the picture."""
    context = target.prepare()
    client = Client()
    client.force_login(context["person"])
    upload = SimpleUploadedFile(filename, content, content_type=content_type)
    response = client.post(context["url"], {**target.data(context["person"]), target.field: upload})
    return response, context, client


def assert_refused(target: Target, response, person: User, message: str) -> None:
    page = response.content.decode()
    assert response.status_code == 200, response
    assert message in page, f"no message {message!r} for the {target.name}"
    assert target.rows(person) == 0
    assert media_files() == set()


# --- Refused ----------------------------------------------------------------------------

REFUSED = {
    # case: (make the file, its name, its content type, which message: an attribute of
    # Target or the message itself)
    "a text file named .jpg": (text_named_jpg, "photo.jpg", "image/jpeg", "bad_picture"),
    "a truncated JPEG": (
        truncated_jpeg,
        "photo.jpg",
        "image/jpeg",
        "This file is not a picture we can read, or it is damaged or incomplete.",
    ),
    "a decompression bomb": (bomb_png_bytes, "photo.png", "image/png", "bomb"),
    "an SVG with a script": (lambda: SVG, "photo.svg", "image/svg+xml", "bad_picture"),
}


@pytest.mark.parametrize("case", REFUSED)
@pytest.mark.parametrize("target_name", TARGETS)
def test_a_hostile_file_is_refused_with_a_message_and_nothing_is_stored(target_name, case):
    target = TARGETS[target_name]
    make, filename, content_type, message = REFUSED[case]
    message = getattr(target, message, message)

    response, context, _client = post(target, make(), filename, content_type)

    assert_refused(target, response, context["person"], message)


def test_the_bomb_is_small_on_disk_and_huge_in_pixels():
    bomb = bomb_png_bytes()
    assert len(bomb) < 100_000
    assert bomb[12:16] == b"IHDR"
    assert struct.unpack(">II", bomb[16:24]) == (20_000, 20_000)  # width, height


@pytest.mark.parametrize("target_name", TARGETS)
def test_a_40_mb_file_is_refused_by_its_size_without_filling_memory(target_name, tmp_path):
    """A real 40 MB file on disk (a small JPEG, then random bytes) sent as the picture.

    Django spools an upload this big to a temporary file; the request must not hold a
    second copy of it in memory on the way to the refusal.
    """
    target = TARGETS[target_name]
    big = tmp_path / "big.jpg"
    with big.open("wb") as out:
        head = jpeg_bytes(size=(64, 48))
        out.write(head)
        out.write(os.urandom(FORTY_MB - len(head)))
    assert big.stat().st_size == FORTY_MB
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE < FORTY_MB
    context = target.prepare()
    client = Client()
    client.force_login(context["person"])
    with big.open("rb") as picture:
        body = encode_multipart(BOUNDARY, {**target.data(context["person"]), target.field: picture})

    # The test client's copy of the body is the one 40 MB the request may hold.
    tracemalloc.start()
    try:
        response = client.post(
            context["url"], body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
        )
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert_refused(
        target,
        response,
        context["person"],
        "This file is 40.0 MB; the limit is 10.0 MB. Please upload a smaller photo.",
    )
    assert peak < FORTY_MB * 1.5, f"the request held {peak / 2**20:.0f} MB at its peak"


# --- Stored clean -------------------------------------------------------------------------


def served(client: Client, target: Target, name: str, person: User):
    """The stored picture as a browser gets it."""
    if target.name == "claim evidence":
        # Private: never under /media/; staff see it through the review page's link.
        assert client.get(f"{settings.MEDIA_URL}{name}").status_code == 404
        staff = Client()
        staff.force_login(MemberFactory(is_staff=True))
        return staff.get(reverse("register:claim_evidence", args=[Claim.objects.get().pk]))
    return client.get(f"{settings.MEDIA_URL}{name}")


def assert_served_safely(response, stored: bytes) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == stored


@pytest.mark.parametrize("target_name", TARGETS)
def test_a_photo_with_gps_is_stored_without_any_exif_and_served_as_a_jpeg(target_name):
    target = TARGETS[target_name]
    original = jpeg_with_gps_and_orientation(size=(400, 200))
    assert GPS_INFO in Image.open(io.BytesIO(original)).getexif()

    response, context, client = post(target, original, "phone.jpg")

    assert response.status_code == 302, response.content.decode()[:2000]
    assert target.rows(context["person"]) == 1
    names = target.stored_names(context["person"])
    assert set(names) == media_files()
    for name in names:
        stored = (Path(settings.MEDIA_ROOT) / name).read_bytes()
        image = Image.open(io.BytesIO(stored))
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert b"Exif" not in stored and b"Phone Maker" not in stored
        assert image.width < image.height  # turned upright before the EXIF went
        assert_served_safely(served(client, target, name, context["person"]), stored)


@pytest.mark.parametrize("target_name", TARGETS)
def test_a_gif_that_is_also_a_web_page_is_stored_as_a_plain_jpeg(target_name):
    target = TARGETS[target_name]
    polyglot = gif_html_polyglot()
    assert Image.open(io.BytesIO(polyglot)).format == "GIF"
    assert polyglot.count(HTML) == 2

    response, context, client = post(target, polyglot, "funny.gif", "image/gif")

    assert response.status_code == 302, response.content.decode()[:2000]
    names = target.stored_names(context["person"])
    assert set(names) == media_files()
    for name in names:
        assert name.endswith(".jpg")
        stored = (Path(settings.MEDIA_ROOT) / name).read_bytes()
        assert stored.startswith(b"\xff\xd8\xff")  # a JPEG from the first byte
        assert Image.open(io.BytesIO(stored)).format == "JPEG"
        for marker in (b"<html", b"<script", b"alert(", b"GIF8"):
            assert marker not in stored.lower()
        assert_served_safely(served(client, target, name, context["person"]), stored)
