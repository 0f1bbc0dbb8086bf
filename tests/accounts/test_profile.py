"""Editing the profile: details, privacy choices and the profile photo."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from accounts.models import User
from tests.accounts.images import (
    GPS_INFO,
    jpeg_bytes,
    jpeg_with_gps_and_orientation,
    noise_jpeg_bytes,
    png_bomb_bytes,
    png_bytes,
    upload,
)

EDIT = reverse("accounts:profile_edit")


def profile_data(member: User, **changes) -> dict:
    """The profile form as the member would submit it, with `changes` typed in."""
    data = {
        "display_name": member.display_name,
        "country": str(member.country.code or ""),
        "city": member.city,
        "bio": member.bio,
        "name_visibility": member.name_visibility,
        "language": member.language,
    }
    if member.directory_listed:
        data["directory_listed"] = "on"
    if member.show_location:
        data["show_location"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def stored(member: User) -> Image.Image:
    member.refresh_from_db()
    return Image.open(Path(settings.MEDIA_ROOT) / member.avatar.name)


# --- Details and privacy ---------------------------------------------------------------


def test_it_saves_the_profile_and_goes_back_to_it(member_client, member):
    response = member_client.post(
        EDIT,
        profile_data(
            member,
            display_name="  Olga   van  Owner ",
            country="NL",
            city=" Utrecht ",
            bio="Sapphire black, 31,000 km.",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    member.refresh_from_db()
    assert member.display_name == "Olga van Owner"
    assert member.country.code == "NL"
    assert member.city == "Utrecht"
    assert member.bio == "Sapphire black, 31,000 km."
    html = member_client.get(response["Location"]).content.decode()
    assert "Your profile has been saved." in html
    assert "Olga van Owner" in html
    assert "Netherlands" in html


def test_it_requires_a_name(member_client, member):
    response = member_client.post(EDIT, profile_data(member, display_name="   "))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the errors below." in html
    assert "This field is required." in html
    member.refresh_from_db()
    assert member.display_name == "Olga Owner"


def test_it_saves_the_privacy_choices(member_client, member):
    data = profile_data(member, name_visibility=User.Visibility.PUBLIC, show_location="on")
    del data["directory_listed"]

    response = member_client.post(EDIT, data)

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name_visibility == User.Visibility.PUBLIC
    assert member.directory_listed is False
    assert member.show_location is True
    html = member_client.get(reverse("accounts:profile")).content.decode()
    assert "Everyone, including the public" in html
    assert "Not listed" in html


def test_it_shows_a_listed_member_whether_their_city_is_shown(member_client, member):
    member_client.post(EDIT, profile_data(member, show_location="on"))

    html = member_client.get(reverse("accounts:profile")).content.decode()

    assert "Listed, with your city" in html


def test_it_refuses_a_visibility_that_is_not_offered(member_client, member):
    response = member_client.post(EDIT, profile_data(member, name_visibility="staff"))

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    member.refresh_from_db()
    assert member.name_visibility == User.Visibility.MEMBERS


def test_the_form_offers_the_three_visibility_choices(member_client):
    html = member_client.get(EDIT).content.decode()

    for label in ["Everyone, including the public", "Club members only", "Nobody"]:
        assert label in html


# --- The profile photo ----------------------------------------------------------------


def test_it_strips_gps_and_camera_data_and_turns_a_phone_photo_upright(member_client, member):
    original = jpeg_with_gps_and_orientation(size=(400, 200))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_INFO)  # it has a location

    response = member_client.post(
        EDIT, profile_data(member, avatar=upload(original, name="IMG_0042.JPG"))
    )

    assert response.status_code == 302
    image = stored(member)
    assert member.avatar.name.startswith("avatars/")
    assert member.avatar.name.endswith(".jpg")
    assert "IMG_0042" not in member.avatar.name
    assert image.format == "JPEG"
    assert image.size == (200, 400)  # rotated a quarter turn: width and height swapped
    exif = image.getexif()
    assert dict(exif) == {}
    assert exif.get_ifd(GPS_INFO) == {}
    assert "exif" not in image.info
    raw = (Path(settings.MEDIA_ROOT) / member.avatar.name).read_bytes()
    assert b"Exif" not in raw
    assert b"Phone Maker" not in raw


def test_the_profile_shows_the_new_photo(member_client, member):
    member_client.post(EDIT, profile_data(member, avatar=upload(jpeg_bytes())))

    html = member_client.get(reverse("accounts:profile")).content.decode()

    member.refresh_from_db()
    assert f'src="{member.avatar.url}"' in html


def test_it_shrinks_a_big_photo_to_at_most_512_pixels_a_side(member_client, member):
    response = member_client.post(
        EDIT, profile_data(member, avatar=upload(jpeg_bytes(size=(2000, 1000))))
    )

    assert response.status_code == 302
    assert stored(member).size == (512, 256)


def test_it_keeps_a_small_photo_at_its_size(member_client, member):
    member_client.post(EDIT, profile_data(member, avatar=upload(jpeg_bytes(size=(300, 200)))))

    assert stored(member).size == (300, 200)


def test_it_stores_a_transparent_png_as_a_jpeg(member_client, member):
    response = member_client.post(
        EDIT,
        profile_data(member, avatar=upload(png_bytes(), name="logo.png", content_type="image/png")),
    )

    assert response.status_code == 302
    image = stored(member)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert member.avatar.name.endswith(".jpg")


@pytest.fixture
def member_with_avatar(member):
    member.avatar.save("old.jpg", ContentFile(jpeg_bytes()), save=True)
    return member


REFUSED = {
    "a_text_file_named_jpg": (
        lambda: b"Dear club, please find my photo attached.\n" * 20,
        "This file is not a picture we can read",
    ),
    "a_truncated_jpeg": (
        lambda: jpeg_bytes(size=(800, 600), color="orange", quality=95)[:-300],
        "This file is not a picture we can read, or it is damaged or incomplete.",
    ),
    "a_decompression_bomb": (
        png_bomb_bytes,
        "too large to process",
    ),
    "a_file_over_the_upload_limit": (
        lambda: noise_jpeg_bytes(1000),
        "the limit is 1.0 MB. Please upload a smaller photo.",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_it_refuses_a_bad_upload_with_a_message_and_saves_nothing(
    member_client, member_with_avatar, media_files, settings, case
):
    settings.PADDOCK_MAX_UPLOAD_BYTES = 1024 * 1024
    content, message = REFUSED[case][0](), REFUSED[case][1]
    if case == "a_file_over_the_upload_limit":
        assert len(content) > settings.PADDOCK_MAX_UPLOAD_BYTES
    else:
        assert len(content) < settings.PADDOCK_MAX_UPLOAD_BYTES
    old_avatar = member_with_avatar.avatar.name
    files_before = media_files()

    response = member_client.post(
        EDIT,
        profile_data(member_with_avatar, display_name="Changed Name", avatar=upload(content)),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["avatar"]
    html = response.content.decode()
    assert "Please correct the errors below." in html
    assert message in html
    member_with_avatar.refresh_from_db()
    assert member_with_avatar.avatar.name == old_avatar
    assert member_with_avatar.display_name == "Olga Owner"
    assert media_files() == files_before


def test_it_says_how_big_a_file_was_and_what_the_limit_is(member_client, member, settings):
    settings.PADDOCK_MAX_UPLOAD_BYTES = 1024 * 1024
    content = noise_jpeg_bytes(1000)
    size_mb = len(content) / (1024 * 1024)

    response = member_client.post(EDIT, profile_data(member, avatar=upload(content)))

    assert f"This file is {size_mb:.1f} MB; the limit is 1.0 MB." in response.content.decode()


def test_replacing_the_photo_deletes_the_old_file(member_client, member_with_avatar, media_files):
    old_avatar = member_with_avatar.avatar.name
    assert media_files() == {old_avatar}

    response = member_client.post(
        EDIT, profile_data(member_with_avatar, avatar=upload(jpeg_bytes(color="navy")))
    )

    assert response.status_code == 302
    member_with_avatar.refresh_from_db()
    assert member_with_avatar.avatar.name != old_avatar
    assert media_files() == {member_with_avatar.avatar.name}


def test_removing_the_photo_deletes_the_file(member_client, member_with_avatar, media_files):
    response = member_client.post(EDIT, profile_data(member_with_avatar, **{"avatar-clear": "on"}))

    assert response.status_code == 302
    member_with_avatar.refresh_from_db()
    assert not member_with_avatar.avatar
    assert media_files() == set()


def test_saving_other_details_keeps_the_photo(member_client, member_with_avatar, media_files):
    old_avatar = member_with_avatar.avatar.name

    member_client.post(EDIT, profile_data(member_with_avatar, city="Adenau"))

    member_with_avatar.refresh_from_db()
    assert member_with_avatar.city == "Adenau"
    assert member_with_avatar.avatar.name == old_avatar
    assert media_files() == {old_avatar}
