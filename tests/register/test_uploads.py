"""Photos of cars: stored clean, thumbnailed, made cover, deleted; bad files refused."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from register.models import CarPhoto, Claim
from register.services import PHOTO_SIDE, THUMB_SIDE
from tests.accounts.images import (
    GPS_INFO,
    jpeg_bytes,
    jpeg_with_gps_and_orientation,
    noise_jpeg_bytes,
    png_bomb_bytes,
    png_bytes,
    upload,
)
from tests.register.factories import CarFactory, PhotoFactory

pytestmark = pytest.mark.django_db

UNREADABLE = (
    "This file is not a picture we can read, or it is damaged or incomplete. "
    "Please upload a JPEG, PNG, WebP or GIF photo."
)


def stored(name: str) -> Image.Image:
    return Image.open(Path(settings.MEDIA_ROOT) / name)


def post_photo(client, car, content: bytes, name="photo.jpg", **data):
    return client.post(
        reverse("register:photo_add", args=[car.pk]),
        {"image": upload(content, name), "caption": "", **data},
        follow=True,
    )


def test_a_phone_photo_is_stored_upright_without_its_location_and_becomes_the_cover(
    client_for, member, media_files
):
    car = CarFactory(owner=member)
    original = jpeg_with_gps_and_orientation(size=(2000, 1000))
    assert GPS_INFO in Image.open(io.BytesIO(original)).getexif()  # the test file has GPS

    response = post_photo(client_for(member), car, original, caption="Eifel sunrise")

    assert response.redirect_chain == [(car.get_absolute_url(), 302)]
    assert "We removed its location and camera data." in response.content.decode()
    photo = CarPhoto.objects.get()
    assert (photo.car, photo.caption, photo.uploaded_by, photo.is_cover) == (
        car,
        "Eifel sunrise",
        member,
        True,
    )
    # Turned upright (the camera said "rotate 90°") and resized to the longest side allowed.
    image = stored(photo.image.name)
    assert image.format == "JPEG"
    assert image.size == (PHOTO_SIDE // 2, PHOTO_SIDE)
    assert (photo.width, photo.height) == image.size
    thumb = stored(photo.thumbnail.name)
    assert thumb.size == (THUMB_SIDE // 2, THUMB_SIDE)
    for picture, name in ((image, photo.image.name), (thumb, photo.thumbnail.name)):
        assert not picture.getexif(), "no EXIF at all: no GPS, no orientation, no camera"
        assert "exif" not in picture.info
        raw = (Path(settings.MEDIA_ROOT) / name).read_bytes()
        assert b"Phone Maker" not in raw
        assert b"Exif" not in raw
    assert media_files() == {photo.image.name, photo.thumbnail.name}
    assert photo.image.name.startswith(f"cars/{car.pk}/")
    # The car page and the register list show it.
    assert photo.image.url in response.content.decode()
    listing = client_for().get(reverse("register:list")).content.decode()
    assert photo.thumbnail.url in listing


def test_a_png_with_transparency_is_stored_as_a_jpeg(client_for, member):
    car = CarFactory(owner=member)

    post_photo(client_for(member), car, png_bytes(), name="render.png")

    photo = CarPhoto.objects.get()
    assert photo.image.name.endswith(".jpg")
    assert stored(photo.image.name).mode == "RGB"


def test_a_second_photo_does_not_take_the_cover_unless_asked(client_for, member):
    car = CarFactory(owner=member)
    client = client_for(member)

    post_photo(client, car, jpeg_bytes(color="red"), caption="first")
    post_photo(client, car, jpeg_bytes(color="blue"), caption="second")
    post_photo(client, car, jpeg_bytes(color="green"), caption="third", make_cover="on")

    covers = dict(car.photos.values_list("caption", "is_cover"))
    assert covers == {"first": False, "second": False, "third": True}


def test_the_owner_makes_another_photo_the_cover(client_for, member):
    car = CarFactory(owner=member)
    first = PhotoFactory(car=car, is_cover=True)
    second = PhotoFactory(car=car)

    response = client_for(member).post(
        reverse("register:photo_cover", args=[second.pk]), follow=True
    )

    assert "Cover photo changed." in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_cover, second.is_cover) == (False, True)
    # The car page now leads with the new cover.
    assert response.context["photos"][0] == second


def test_deleting_the_cover_removes_its_files_after_commit_and_passes_the_cover_on(
    client_for, member, media_files, django_capture_on_commit_callbacks
):
    car = CarFactory(owner=member)
    cover = PhotoFactory(car=car, is_cover=True)
    other = PhotoFactory(car=car)
    doomed = {cover.image.name, cover.thumbnail.name}
    assert doomed <= media_files()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(member).post(reverse("register:photo_delete", args=[cover.pk]))
    # Until the transaction commits, the files stay: a rollback must not lose them.
    assert doomed <= media_files()
    for callback in callbacks:
        callback()

    assert response.status_code == 302
    assert not CarPhoto.objects.filter(pk=cover.pk).exists()
    assert media_files() == {other.image.name, other.thumbnail.name}
    other.refresh_from_db()
    assert other.is_cover


def test_deleting_the_last_photo_leaves_the_car_without_photos_or_files(
    client_for, member, media_files, django_capture_on_commit_callbacks
):
    car = CarFactory(owner=member)
    photo = PhotoFactory(car=car, is_cover=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(
            reverse("register:photo_delete", args=[photo.pk]), follow=True
        )

    assert "Photo deleted." in response.content.decode()
    assert not car.photos.exists()
    assert media_files() == set()


# The decompression bomb against the default limit of 40,000,000 pixels.
TOO_MANY_PIXELS = "This image is too large to process: the limit is 40 megapixels."


def truncated_jpeg() -> bytes:
    whole = jpeg_bytes(size=(640, 480))
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"Dear registrar, here is my car.\n", "car.jpg", UNREADABLE),
        (truncated_jpeg(), "car.jpg", UNREADABLE),
        (png_bomb_bytes(), "bomb.png", TOO_MANY_PIXELS),
        (b"", "empty.jpg", "The submitted file is empty."),
    ],
    ids=["text file named .jpg", "truncated JPEG", "decompression bomb", "empty file"],
)
def test_a_file_that_is_not_a_sound_picture_is_refused_with_a_message(
    client_for, member, media_files, content, name, message
):
    car = CarFactory(owner=member)

    response = post_photo(client_for(member), car, content, name=name)

    assert response.status_code == 200
    assert response.redirect_chain == []
    assert message in response.content.decode()
    assert not CarPhoto.objects.exists()
    assert media_files() == set()


def test_a_file_over_the_size_limit_is_refused_with_the_limit(
    client_for, member, media_files, settings
):
    settings.PADDOCK_MAX_UPLOAD_BYTES = 1024 * 1024
    car = CarFactory(owner=member)
    big = noise_jpeg_bytes(1000)
    assert len(big) > settings.PADDOCK_MAX_UPLOAD_BYTES

    response = post_photo(client_for(member), car, big)

    assert response.status_code == 200
    assert (
        f"This file is {len(big) / 1024 / 1024:.1f} MB; the limit is 1.0 MB. "
        "Please upload a smaller photo."
    ) in response.content.decode()
    assert not CarPhoto.objects.exists()
    assert media_files() == set()


def test_the_photo_form_states_the_configured_size_limit(client_for, member, settings):
    settings.PADDOCK_MAX_UPLOAD_BYTES = 4 * 1024 * 1024
    car = CarFactory(owner=member)

    html = client_for(member).get(reverse("register:photo_add", args=[car.pk])).content.decode()

    assert "JPEG, PNG, WebP or GIF, up to 4 MB." in html


def test_a_photo_with_too_many_pixels_is_refused_with_the_limit(
    client_for, member, media_files, settings
):
    settings.PADDOCK_MAX_IMAGE_PIXELS = 1_500_000
    car = CarFactory(owner=member)

    response = post_photo(client_for(member), car, jpeg_bytes(size=(1600, 1000)))

    assert (
        "This image is too large to process: the limit is 1.5 megapixels. "
        "Please upload a smaller photo."
    ) in response.content.decode()
    assert not CarPhoto.objects.exists()


def test_a_claim_with_a_photo_of_the_papers_stores_it_without_its_location(
    client_for, member, other_member
):
    car = CarFactory(owner=other_member)

    client_for(member).post(
        reverse("register:claim", args=[car.pk]),
        {"evidence": "My papers.", "evidence_photo": upload(jpeg_with_gps_and_orientation())},
    )

    claim = Claim.objects.get()
    papers = stored(claim.evidence_photo.name)
    assert not papers.getexif()
    assert papers.size == (200, 400)


def test_a_claim_with_a_broken_photo_is_refused_and_nothing_is_stored(
    client_for, member, other_member, media_files
):
    car = CarFactory(owner=other_member)

    response = client_for(member).post(
        reverse("register:claim", args=[car.pk]),
        {"evidence": "My papers.", "evidence_photo": upload(truncated_jpeg())},
    )

    assert response.status_code == 200
    assert UNREADABLE in response.content.decode()
    assert not Claim.objects.exists()
    assert media_files() == set()
