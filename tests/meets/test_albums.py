"""Meet albums: who adds and sees photos, the limit, bad files, moderation, car pages."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.services import member_delete, member_export_data
from meets import albums
from meets.album_models import AlbumPhoto
from meets.models import Meet
from tests.accounts.images import (
    GPS_INFO,
    jpeg_bytes,
    jpeg_with_gps_and_orientation,
    noise_jpeg_bytes,
    png_bomb_bytes,
    upload,
)
from tests.factories import MemberFactory
from tests.meets.factories import PastMeetFactory, RSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db

UNREADABLE = "This file is not a picture we can read, or it is damaged or incomplete."


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return set()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def meet(organiser):
    return PastMeetFactory(slug="ring-2025", title="Ring 2025", organisers=[organiser])


@pytest.fixture
def attendee(meet, member, member_car):
    RSVPFactory(meet=meet, member=member, car=member_car)
    return member


def add_photos(client, meet, *contents, **data):
    files = [upload(c, f"p{i}.jpg") for i, c in enumerate(contents)]
    return client.post(
        reverse("meets:album_add", args=[meet.slug]),
        {"photos": files, "caption": "", "car": "", **data},
        follow=True,
    )


def photo_of(meet, by, *, state=AlbumPhoto.State.APPROVED, car=None, caption="At the ring"):
    """An album photo made through the service (its files are real)."""
    photo = albums.album_photos_add(
        meet=meet, member=by, uploads=[upload(jpeg_bytes())], caption=caption, car=car
    )[0]
    if photo.state != state:
        AlbumPhoto.objects.filter(pk=photo.pk).update(
            state=state, decided_at=timezone.now() if state != "pending" else None
        )
        photo.refresh_from_db()
    return photo


# --- Who adds -----------------------------------------------------------------------------


def test_the_add_page_climbs_the_ladder(
    client_for, meet, attendee, other_member, organiser, page_text
):
    url = reverse("meets:album_add", args=[meet.slug])
    response = client_for().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    draft = PastMeetFactory(status=Meet.Status.DRAFT, organisers=[organiser])
    assert (
        client_for(other_member).get(reverse("meets:album_add", args=[draft.slug])).status_code
        == 404
    )
    refused = client_for(other_member).get(url)
    assert refused.status_code == 403
    assert "Only the meet's attendees and organisers can add photos." in page_text(refused)
    assert client_for(attendee).get(url).status_code == 200
    assert client_for(organiser).get(url).status_code == 200


def test_an_attendee_adds_photos_cleaned_and_waiting_for_the_organisers(client_for, meet, attendee):
    response = add_photos(
        client_for(attendee),
        meet,
        jpeg_with_gps_and_orientation(size=(2000, 1000)),
        jpeg_bytes(),
        caption="Brünnchen",
    )

    assert "Thank you: 2 photos added." in response.content.decode()
    photos = list(AlbumPhoto.objects.order_by("pk"))
    assert [(p.state, p.caption, p.uploaded_by) for p in photos] == [
        ("pending", "Brünnchen", attendee),
        ("pending", "Brünnchen", attendee),
    ]
    first = Path(settings.MEDIA_ROOT) / photos[0].image.name
    image = Image.open(first)
    assert image.size == (800, 1600) == (photos[0].width, photos[0].height)
    assert GPS_INFO not in image.getexif() and b"Phone Maker" not in first.read_bytes()
    assert photos[0].image.name.startswith(f"albums/{meet.pk}/")
    assert len(media_files()) == 4  # two photos, two thumbnails
    # Not in the album for anyone yet.
    assert (
        "No photos in this album yet."
        in client_for().get(reverse("meets:album", args=[meet.slug])).content.decode()
    )


def test_an_organisers_photos_are_in_the_album_at_once(client_for, meet, organiser):
    add_photos(client_for(organiser), meet, jpeg_bytes())

    photo = AlbumPhoto.objects.get()
    assert (photo.state, photo.decided_by) == ("approved", organiser)
    page = client_for().get(reverse("meets:album", args=[meet.slug])).content.decode()
    assert reverse("meets:album_thumb", args=[meet.slug, photo.pk]) in page


def test_the_album_opens_at_the_start_and_closes_days_after_the_end(
    client_for, attendee, meet, settings
):
    settings.PADDOCK_ALBUM_DAYS = 10
    Meet.objects.filter(pk=meet.pk).update(
        starts_at=timezone.now() + datetime.timedelta(hours=1),
        ends_at=timezone.now() + datetime.timedelta(hours=5),
    )
    response = add_photos(client_for(attendee), meet, jpeg_bytes())
    assert "The album opens when the meet starts." in response.content.decode()

    Meet.objects.filter(pk=meet.pk).update(
        starts_at=timezone.now() - datetime.timedelta(days=12),
        ends_at=timezone.now() - datetime.timedelta(days=11),
    )
    response = add_photos(client_for(attendee), meet, jpeg_bytes())
    assert "The album closed 10 days after the meet." in response.content.decode()
    assert not AlbumPhoto.objects.exists()
    assert media_files() == set()


def test_a_member_can_add_no_more_than_the_limit(client_for, meet, attendee, settings):
    settings.PADDOCK_ALBUM_PER_MEMBER = 3
    client = client_for(attendee)
    add_photos(client, meet, jpeg_bytes(), jpeg_bytes())

    response = add_photos(client, meet, jpeg_bytes(), jpeg_bytes())

    assert (
        "You can add at most 3 photos to this album; you have room for 1 more."
        in response.content.decode()
    )
    assert AlbumPhoto.objects.count() == 2
    assert len(media_files()) == 4  # the refused ones' files were removed again


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just text, not a picture", UNREADABLE),
        (b"", "The submitted file is empty."),
        (png_bomb_bytes(), "This image is too large to process: the limit is 40 megapixels."),
    ],
    ids=["text file named .jpg", "empty file", "decompression bomb"],
)
def test_a_bad_file_is_refused_by_name_and_nothing_is_stored(
    client_for, meet, attendee, content, message
):
    response = add_photos(client_for(attendee), meet, jpeg_bytes(), content)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "p1.jpg" in response.content.decode()
    assert not AlbumPhoto.objects.exists()
    assert media_files() == set()


def test_a_file_over_the_size_limit_is_refused_with_the_limit(client_for, meet, attendee, settings):
    settings.PADDOCK_MAX_UPLOAD_BYTES = 1024 * 1024
    big = noise_jpeg_bytes(1000)

    response = add_photos(client_for(attendee), meet, big)

    assert "the limit is 1.0 MB" in response.content.decode()
    assert not AlbumPhoto.objects.exists()
    assert media_files() == set()


def test_a_gif_bomb_is_refused(client_for, meet, attendee, settings):
    settings.PADDOCK_MAX_IMAGE_PIXELS = 1_000_000
    frame = Image.new("P", (3000, 3000))
    out = __import__("io").BytesIO()
    frame.save(out, format="GIF")

    response = add_photos(client_for(attendee), meet, out.getvalue())

    assert "too large to process" in response.content.decode()
    assert not AlbumPhoto.objects.exists()


def test_a_car_is_tagged_by_its_plaque_and_only_a_public_one(client_for, meet, attendee):
    car = CarFactory()
    pending = CarFactory(pending=True)
    client = client_for(attendee)

    response = add_photos(client, meet, jpeg_bytes(), car="No. 999999")
    assert "No car in the register has the plaque “No. 999999”." in response.content.decode()
    Pending_plaque = pending.plaque_number or 4242
    response = add_photos(client, meet, jpeg_bytes(), car=str(Pending_plaque))
    assert "No car in the register has the plaque" in response.content.decode()
    assert not AlbumPhoto.objects.exists()

    add_photos(client, meet, jpeg_bytes(), car=f"No. {car.plaque_number}")
    assert AlbumPhoto.objects.get().car == car


def test_the_cars_at_the_meet_are_offered_first(client_for, meet, attendee, member_car):
    page = client_for(attendee).get(reverse("meets:album_add", args=[meet.slug]))
    assert f'<option value="{member_car.plaque_number}">' in page.content.decode()


# --- Seeing -------------------------------------------------------------------------------


def test_the_album_page_shows_captions_plaques_and_names_as_privacy_allows(
    client_for, meet, organiser, attendee
):
    car = CarFactory()
    photo_of(meet, attendee, car=car, caption="Carousel exit")
    attendee.name_visibility = "members"
    attendee.save()

    public = client_for().get(reverse("meets:album", args=[meet.slug])).content.decode()
    members = client_for(MemberFactory()).get(reverse("meets:album", args=[meet.slug]))

    assert "Carousel exit" in public and f"No. {car.plaque_number}" in public
    assert car.get_absolute_url() in public
    assert "Olga Owner" not in public
    assert "Olga Owner" in members.content.decode()


def test_a_members_only_meets_album_is_for_members(client_for, meet, attendee, pending_member):
    Meet.objects.filter(pk=meet.pk).update(members_only=True)
    photo = photo_of(meet, attendee)
    url = reverse("meets:album", args=[meet.slug])

    assert client_for().get(url).status_code == 302
    assert client_for(pending_member).get(url).status_code == 403
    assert client_for(MemberFactory()).get(url).status_code == 200
    thumb = reverse("meets:album_thumb", args=[meet.slug, photo.pk])
    assert client_for().get(thumb).status_code == 404
    assert client_for(MemberFactory()).get(thumb).status_code == 200


def test_a_pending_photo_is_reachable_only_by_its_uploader_and_the_organisers(
    client_for, meet, attendee, organiser, other_member
):
    photo = photo_of(meet, attendee, state=AlbumPhoto.State.PENDING)
    url = reverse("meets:album_photo", args=[meet.slug, photo.pk])

    assert client_for().get(url).status_code == 404
    assert client_for(other_member).get(url).status_code == 404
    mine = client_for(attendee).get(url)
    assert mine.status_code == 200 and mine["Cache-Control"] == "private, no-store"
    assert client_for(organiser).get(url).status_code == 200
    # Nor through /media/, however the path is spelled.
    assert client_for().get("/media/" + photo.image.name).status_code == 404
    assert client_for().get("/media/./" + photo.image.name).status_code == 404


@pytest.mark.parametrize("count", [2, 50])
def test_the_album_page_takes_a_fixed_number_of_queries(
    client_for, meet, organiser, attendee, count, django_assert_num_queries
):
    for i in range(count):
        AlbumPhoto.objects.create(
            meet=meet,
            uploaded_by=MemberFactory() if i % 2 else attendee,
            image=f"albums/{meet.pk}/{i}.jpg",
            thumbnail=f"albums/{meet.pk}/t{i}.jpg",
            width=10,
            height=10,
            car=CarFactory() if i < 3 else None,
            state="approved",
            decided_at=timezone.now(),
        )
    client = client_for(attendee)
    cache.clear()

    # 1. the session  2. the member  3. the meet  4. their roles at it
    # 5. do they have a going RSVP (may they add?)  6. their own photos
    # 7. the approved photos, with their cars and uploaders
    with django_assert_num_queries(7):
        response = client.get(reverse("meets:album", args=[meet.slug]))

    assert response.content.decode().count('class="col"') >= count


def test_the_album_grid_is_shared_by_viewers_without_buttons_on_it(
    client_for, meet, organiser, attendee, other_member, django_assert_num_queries
):
    mine = photo_of(meet, attendee, caption="Mine")
    gone = photo_of(meet, organiser, caption="Left the club")
    AlbumPhoto.objects.filter(pk=gone.pk).update(uploaded_by=None)
    url = reverse("meets:album", args=[meet.slug])
    cache.clear()

    other = client_for(other_member).get(url).content.decode()
    assert "Mine" in other and "Left the club" in other
    assert ">Delete<" not in other  # nobody's buttons, not even on a former member's photo
    another = client_for(MemberFactory())
    with django_assert_num_queries(6):  # the grid from the cache: no photo query
        assert another.get(url).content.decode().count(">Delete<") == 0

    # The uploader gets their own button on their photo, the organisers theirs on every one.
    uploader = client_for(attendee).get(url).content.decode()
    assert uploader.count(">Delete<") == 1
    assert reverse("meets:album_photo_delete", args=[meet.slug, mine.pk]) in uploader
    assert client_for(organiser).get(url).content.decode().count("Take out of the album") == 2


@pytest.mark.parametrize("count", [2, 50])
def test_the_review_page_takes_a_fixed_number_of_queries(
    client_for, meet, organiser, count, django_assert_num_queries
):
    for i in range(count):
        AlbumPhoto.objects.create(
            meet=meet,
            uploaded_by=MemberFactory(),
            image=f"albums/{meet.pk}/{i}.jpg",
            thumbnail=f"albums/{meet.pk}/t{i}.jpg",
            width=10,
            height=10,
            car=CarFactory() if i < 3 else None,
        )
    client = client_for(organiser)
    cache.clear()

    # 1. the session  2. the organiser  3. the meet  4. are they its organiser?
    # 5. the pending photos, with their cars and uploaders
    with django_assert_num_queries(5):
        response = client.get(reverse("meets:album_review", args=[meet.slug]))

    assert len(response.context["pending"]) == count


# --- Moderation ---------------------------------------------------------------------------


def test_organisers_approve_and_reject_in_bulk(client_for, meet, organiser, attendee, helper):
    car = CarFactory()
    keep = [photo_of(meet, attendee, state="pending", car=car) for _ in range(2)]
    drop = photo_of(meet, attendee, state="pending")
    url = reverse("meets:album_review", args=[meet.slug])
    assert client_for(attendee).get(url).status_code == 404
    meet.checkin_helpers.add(helper)
    assert client_for(helper).get(url).status_code == 403

    response = client_for(organiser).post(
        url, {"photos": [p.pk for p in keep], "decision": "approve"}, follow=True
    )
    assert "2 photos added to the album." in response.content.decode()
    client_for(organiser).post(url, {"photos": [drop.pk], "decision": "reject"})

    states = dict(AlbumPhoto.objects.values_list("pk", "state"))
    assert states == {keep[0].pk: "approved", keep[1].pk: "approved", drop.pk: "rejected"}
    assert AlbumPhoto.objects.get(pk=drop.pk).decided_by == organiser
    car.refresh_from_db()
    assert car.last_seen_on == meet.local_start.date()
    assert car.last_seen_kind == "photo"


def test_a_tampered_decision_is_refused_with_a_message(client_for, meet, organiser, attendee):
    other = PastMeetFactory()
    elsewhere = photo_of(other, MemberFactory(), state="pending")
    url = reverse("meets:album_review", args=[meet.slug])

    for data in (
        {"photos": [elsewhere.pk], "decision": "approve"},
        {"photos": ["x"], "decision": "approve"},
        {"photos": [], "decision": "approve"},
        {"photos": [elsewhere.pk], "decision": "burn"},
    ):
        response = client_for(organiser).post(url, data, follow=True)
        assert response.status_code == 200

    assert AlbumPhoto.objects.get().state == "pending"


def test_the_uploader_deletes_their_photo_and_its_files(
    client_for, meet, attendee, other_member, django_capture_on_commit_callbacks
):
    photo = photo_of(meet, attendee, state="pending")
    url = reverse("meets:album_photo_delete", args=[meet.slug, photo.pk])
    assert client_for(other_member).post(url).status_code == 404
    approved = photo_of(meet, attendee)
    other_url = reverse("meets:album_photo_delete", args=[meet.slug, approved.pk])
    assert client_for(other_member).post(other_url).status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        client_for(attendee).post(url)

    assert not AlbumPhoto.objects.filter(pk=photo.pk).exists()
    assert photo.image.name not in media_files()


# --- Meet page and car page ---------------------------------------------------------------


def test_the_meet_page_shows_a_few_photos_and_follows_approval(
    client_for, meet, organiser, attendee, django_capture_on_commit_callbacks
):
    photo = photo_of(meet, attendee, state="pending")
    url = meet.get_absolute_url()
    assert "No photos in the album yet." in client_for().get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        albums.album_photos_decide(meet=meet, photo_ids=[photo.pk], approve=True, by=organiser)

    page = client_for().get(url).content.decode()  # the cached teaser was bumped
    assert "See the album (1 photo)" in page
    assert reverse("meets:album_thumb", args=[meet.slug, photo.pk]) in page

    with django_capture_on_commit_callbacks(execute=True):
        albums.album_photos_decide(meet=meet, photo_ids=[photo.pk], approve=False, by=organiser)
    assert "No photos in the album yet." in client_for().get(url).content.decode()


def test_the_car_page_shows_photos_of_it_from_meets_and_follows_changes(
    client_for, meet, organiser, attendee, django_capture_on_commit_callbacks
):
    car = CarFactory()
    photo = photo_of(meet, attendee, state="pending", car=car)
    assert "Seen at meets" not in client_for().get(car.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        albums.album_photos_decide(meet=meet, photo_ids=[photo.pk], approve=True, by=organiser)
    page = client_for().get(car.get_absolute_url()).content.decode()  # cached copy bumped
    assert "Seen at meets" in page and "Ring 2025" in page

    with django_capture_on_commit_callbacks(execute=True):
        albums.album_photo_retag(photo=photo, caption="", car=None)
    assert "Seen at meets" not in client_for().get(car.get_absolute_url()).content.decode()


def test_a_members_only_meets_photos_stay_off_the_shared_car_page(client_for, meet, attendee):
    Meet.objects.filter(pk=meet.pk).update(members_only=True)
    car = CarFactory()
    photo_of(meet, attendee, car=car)

    assert "Seen at meets" not in client_for().get(car.get_absolute_url()).content.decode()


# --- A member's data ----------------------------------------------------------------------


def test_a_members_photos_are_in_their_export(meet, attendee):
    photo_of(meet, attendee, caption="Pflanzgarten")

    data = member_export_data(member=attendee)

    assert [p["caption"] for p in data["meets"]["album_photos"]] == ["Pflanzgarten"]


def test_a_member_who_leaves_keeps_approved_photos_nameless_and_loses_the_rest(
    meet, attendee, django_capture_on_commit_callbacks
):
    kept = photo_of(meet, attendee)
    waiting = photo_of(meet, attendee, state="pending")

    with django_capture_on_commit_callbacks(execute=True):
        member_delete(member=attendee)

    assert list(AlbumPhoto.objects.values_list("pk", "uploaded_by")) == [(kept.pk, None)]
    assert waiting.image.name not in media_files()
    assert kept.image.name in media_files()


# --- The demo -----------------------------------------------------------------------------


def test_the_demo_album_has_eight_photos_in_it_and_two_waiting(client_for, organiser):
    import io as _io

    from meets.albums_demo import seed_albums

    ring = PastMeetFactory(slug="nurburgring-2023", organisers=[organiser])
    for _ in range(3):
        RSVPFactory(meet=ring)
    out = _io.StringIO()

    seed_albums(out)
    seed_albums(out)  # a second run changes nothing

    states = list(AlbumPhoto.objects.values_list("state", flat=True))
    assert states.count("approved") == 8 and states.count("pending") == 2
    assert AlbumPhoto.objects.approved().filter(car__isnull=False).exists()
    page = client_for().get(reverse("meets:album", args=[ring.slug]))
    assert len(page.context["photos"]) == 8
    thumb = AlbumPhoto.objects.approved().first()
    response = client_for().get(reverse("meets:album_thumb", args=[ring.slug, thumb.pk]))
    assert response.status_code == 200
