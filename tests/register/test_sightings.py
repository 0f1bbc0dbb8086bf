"""Sightings: anyone reports a car they saw; the registrar accepts, rejects or links it."""

import datetime
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from membership.inbox import inbox_items
from register.models import CarPhoto, Sighting, TimelineEntry
from register.sightings import match_car, seed_sightings, sighting_accept, sighting_report
from tests.accounts.images import GPS_INFO, jpeg_bytes, jpeg_with_gps_and_orientation, upload
from tests.factories import MemberFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db

NEW_URL = reverse("register:sighting_new")
REVIEW_URL = reverse("register:sighting_review")
THANKS = "Thank you, the registrar will look at it."
VIN = "WBSUR9C50BE123456"


def decide_url(sighting) -> str:
    return reverse("register:sighting_decide", args=[sighting.pk])


def report(client, **data):
    """POST the report form as a visitor would fill it in, `data` overriding."""
    fields = {
        "identifier_kind": "plaque",
        "identifier": "1",
        "town": "Nürburg",
        "country": "DE",
        "seen_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "note": "",
        "reporter_name": "Rita Reporter",
        "reporter_email": "rita@example.org",
        "website": "",
    }
    fields.update(data)
    return client.post(NEW_URL, {k: v for k, v in fields.items() if v is not None}, follow=True)


def make_sighting(car=None, **kwargs) -> Sighting:
    values = {
        "identifier_kind": Sighting.Identifier.PLAQUE,
        "identifier": str(car.plaque_number) if car else "9999",
        "town": "Adenau",
        "country": "DE",
        "seen_on": datetime.date(2025, 6, 1),
        "reporter_name": "Rita Reporter",
        "reporter_email": "rita@example.org",
        "note": "I am Rita, call me on 0171 555 0101",
    }
    values.update(kwargs)
    return sighting_report(**values)


@pytest.fixture
def car(member):
    return CarFactory(owner=member, vin=VIN)


@pytest.fixture
def staff_client(client_for, staff):
    return client_for(staff)


# --- Reporting --------------------------------------------------------------------------


def test_a_visitor_reports_a_car_by_its_plaque_and_is_thanked(client, car):
    response = report(client, identifier=f"No. {car.plaque_number}")

    assert response.redirect_chain == [(NEW_URL, 302)]
    assert THANKS in response.content.decode()
    sighting = Sighting.objects.get()
    assert (sighting.car, sighting.state, sighting.town, sighting.reporter_email) == (
        car,
        Sighting.State.PENDING,
        "Nürburg",
        "rita@example.org",
    )
    assert sighting.reporter is None
    assert len(sighting.ip_hash) == 64 and "127.0.0.1" not in sighting.ip_hash


def test_a_report_of_an_unknown_car_becomes_a_lead_and_reads_the_same(client, car):
    known = report(client, identifier=str(car.plaque_number)).content.decode()
    unknown = report(client, identifier="4711").content.decode()

    assert THANKS in unknown
    # Nothing tells the reporter whether the car exists, nor whose it is.
    for page in (known, unknown):
        assert "Olga Owner" not in page and car.model_line.name not in page
    lead = Sighting.objects.get(identifier="4711")
    assert (lead.car, lead.state) == (None, Sighting.State.LEAD)


def test_a_member_reports_without_giving_an_address(client_for, other_member, car):
    client = client_for(other_member)
    form = client.get(NEW_URL).content.decode()
    assert 'name="reporter_email"' not in form

    report(client, identifier=str(car.plaque_number), reporter_email="", reporter_name="")

    sighting = Sighting.objects.get()
    assert (sighting.reporter, sighting.reporter_email) == (other_member, "")


def test_the_car_pages_link_prefills_its_plaque(client, car):
    page = client.get(car.get_absolute_url()).content.decode()
    link = f"{NEW_URL}?plaque={car.plaque_number}"
    assert link in page

    form = client.get(link).content.decode()
    assert f'value="{car.plaque_number}"' in form


def test_the_register_list_links_to_the_form(client):
    assert NEW_URL in client.get(reverse("register:list")).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"seen_on": "2999-01-01"}, "The date cannot be in the future."),
        ({"seen_on": "1989-12-31"}, "Please give a date from 1990 on."),
        ({"seen_on": "yesterday"}, "Enter a valid date."),
        ({"identifier": "twelve"}, "A plaque number is a whole number"),
        (
            {"identifier_kind": "vin", "identifier": "WBSUR9C50BE12345I"},
            "A VIN never contains the letters I, O or Q",
        ),
        ({"identifier_kind": "vin", "identifier": "WBS123"}, "A VIN has exactly 17 characters"),
        ({"identifier_kind": "last7", "identifier": "12345"}, "The last 7 characters of a VIN"),
        ({"identifier_kind": "plate", "identifier": "M/AB!"}, "A registration plate has"),
        ({"identifier_kind": "spaceship"}, "Select a valid choice."),
        ({"town": "Hauptstraße 12, 53520 Nürburg"}, "Please give the town only"),
        ({"reporter_email": ""}, "This field is required."),
        ({"reporter_email": "not-an-address"}, "Enter a valid email address."),
        ({"country": "XX"}, "Select a valid choice."),
    ],
)
def test_a_report_that_does_not_add_up_is_refused_with_a_clear_message(client, car, data, message):
    response = report(client, **data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Sighting.objects.exists()


def test_a_photo_is_stored_without_its_location(client, car):
    original = jpeg_with_gps_and_orientation()
    assert GPS_INFO in Image.open(io.BytesIO(original)).getexif()

    report(client, identifier=str(car.plaque_number), photo=upload(original))

    sighting = Sighting.objects.get()
    stored = Image.open(Path(settings.MEDIA_ROOT) / sighting.photo.name)
    assert sighting.photo.name.startswith("sightings/")
    assert not stored.getexif()
    assert stored.size == (200, 400)  # turned upright, as the phone meant


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"%PDF-1.4 not a picture", "photo.jpg", "This file is not a picture we can read"),
        (jpeg_bytes(), "photo.jpg", "the limit is 0.0 MB"),
    ],
)
def test_a_wrong_or_huge_photo_is_refused(client, car, settings, content, name, message):
    if "limit" in message:
        settings.PADDOCK_MAX_UPLOAD_BYTES = 10  # every photo is too large
    response = report(client, identifier=str(car.plaque_number), photo=upload(content, name))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Sighting.objects.exists()


def test_the_honeypot_thanks_a_robot_and_stores_nothing(client, car):
    response = report(client, identifier=str(car.plaque_number), website="http://spam.example")

    assert THANKS in response.content.decode()
    assert not Sighting.objects.exists()


def test_one_address_may_report_a_few_an_hour(client, car, settings):
    settings.PADDOCK_SIGHTING_RATE_LIMITS = {"sighting_ip": "2/h/ip"}
    for n in range(2):
        report(client, identifier=str(car.plaque_number), reporter_email=f"r{n}@example.org")

    response = report(client, identifier=str(car.plaque_number), reporter_email="r9@example.org")

    assert response.status_code == 429
    assert "You have sent many sightings in a short time." in response.content.decode()
    assert Sighting.objects.count() == 2


def test_one_reporter_may_report_a_few_a_day_from_any_address(client, car, settings):
    settings.PADDOCK_SIGHTING_RATE_LIMITS = {"sighting_reporter": "2/d/key"}
    for n in range(2):
        client.post(
            NEW_URL,
            {
                "identifier_kind": "plaque",
                "identifier": str(car.plaque_number),
                "town": "Spa",
                "country": "BE",
                "seen_on": "2025-01-01",
                "reporter_email": "Rita@Example.org" if n else "rita@example.org",
            },
            REMOTE_ADDR=f"10.0.0.{n}",
        )
    response = report(client, identifier=str(car.plaque_number), REMOTE_ADDR="10.0.0.9")

    assert response.status_code == 429
    assert Sighting.objects.count() == 2
    # Another reporter from the same address is still welcome.
    assert report(client, reporter_email="bob@example.org").status_code == 200
    assert Sighting.objects.count() == 3


# --- Matching ---------------------------------------------------------------------------


def test_matching_finds_a_car_by_vin_last_7_and_plate_however_typed(client, car):
    car.registration_plate = "MAB1234"
    car.save(update_fields=["registration_plate"])

    report(client, identifier_kind="vin", identifier="wbsur9c50b-e123456")
    report(client, identifier_kind="last7", identifier="e123456")
    report(client, identifier_kind="plate", identifier="m-ab 1234")

    assert list(Sighting.objects.values_list("identifier", "car", "state")) == [
        (VIN, car.pk, "pending"),
        ("E123456", car.pk, "pending"),
        ("MAB1234", car.pk, "pending"),
    ]


def test_a_last_7_that_two_cars_share_is_a_lead(client, car):
    CarFactory(vin="WBSUR9C50CE123456")  # the same last 7 characters

    report(client, identifier_kind="last7", identifier="E123456")

    assert Sighting.objects.get().state == Sighting.State.LEAD
    assert match_car("last7", "E123456") is None


def test_a_rejected_or_pending_record_is_never_matched(car):
    rejected = CarFactory(rejected=True)
    waiting = CarFactory(pending=True, registration_plate="BNAB123")

    assert match_car("vin", rejected.vin) is None
    assert match_car("vin", waiting.vin) is None
    assert match_car("plate", "BNAB123") is None
    assert match_car("vin", car.vin) == car


# --- The registrar's queue --------------------------------------------------------------


def test_the_queue_sends_anonymous_visitors_to_log_in_and_refuses_members(
    client, client_for, member, car
):
    sighting = make_sighting(car, photo=upload(jpeg_bytes()))
    photo_url = reverse("register:sighting_photo", args=[sighting.pk])

    for url in (REVIEW_URL, photo_url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(decide_url(sighting), {"decision": "accept"})
    assert response["Location"].startswith(reverse("account_login"))
    # The owner of the car is a member like any other here.
    owner = client_for(member)
    assert owner.get(REVIEW_URL).status_code == 403
    assert owner.get(photo_url).status_code == 403
    assert owner.post(decide_url(sighting), {"decision": "accept"}).status_code == 403
    sighting.refresh_from_db()
    assert sighting.state == Sighting.State.PENDING
    # The photo is never a public file.
    assert client.get(settings.MEDIA_URL + sighting.photo.name).status_code == 404


def test_staff_see_each_sighting_with_its_reporter_and_photo(staff_client, car):
    sighting = make_sighting(car, photo=upload(jpeg_bytes()))
    lead = make_sighting(None, identifier="4711", town="Utrecht", country="NL")

    page = staff_client.get(REVIEW_URL).content.decode()

    assert "Adenau, Germany" in page and "Utrecht, Netherlands" in page
    assert "rita@example.org" in page and "Rita Reporter" in page
    assert "Olga Owner" in page and str(car) in page
    assert reverse("register:sighting_photo", args=[sighting.pk]) in page
    assert page.index(f"sighting-{sighting.pk}-title") < page.index('id="leads"')
    assert page.index('id="leads"') < page.index(f"sighting-{lead.pk}-title")
    photo = staff_client.get(reverse("register:sighting_photo", args=[sighting.pk]))
    assert photo.status_code == 200 and photo["Cache-Control"] == "private, no-store"
    no_photo = staff_client.get(reverse("register:sighting_photo", args=[lead.pk]))
    assert no_photo.status_code == 404


@pytest.mark.parametrize("waiting", [2, 50])
def test_the_queue_takes_the_same_queries_for_2_and_50(
    staff_client, member, waiting, django_assert_num_queries
):
    for n in range(waiting):
        make_sighting(CarFactory(owner=member))
        make_sighting(None, identifier=str(9000 + n))
    cache.clear()

    # 1. the session, 2. the logged-in user, 3. open sightings with car, model line, colour
    # and reporter, 4. the cars' current owners with their members,
    # 5. the staff inbox's count in the navigation bar (then cached for a minute)
    with django_assert_num_queries(5):
        response = staff_client.get(REVIEW_URL)

    assert response.content.decode().count("<article") == 2 * waiting


def test_the_inbox_counts_sightings_and_leads(car):
    make_sighting(car)
    make_sighting(None, identifier="4711")
    make_sighting(None, identifier="4712")

    counts = {item.key: item.count for item in inbox_items()}

    assert (counts["sightings"], counts["sighting_leads"]) == (1, 2)


# --- Deciding ---------------------------------------------------------------------------


def test_accepting_puts_the_town_on_the_timeline_and_tells_the_owner_in_their_language(
    staff_client, car, member, django_capture_on_commit_callbacks
):
    member.language = "de"
    member.save(update_fields=["language"])
    sighting = make_sighting(car, town="Spa", country="BE")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(decide_url(sighting), {"decision": "accept"}, follow=True)

    assert "Sighting accepted" in response.content.decode()
    entry = TimelineEntry.objects.get(car=car)
    assert (entry.kind, entry.system_text, entry.params, entry.author) == (
        TimelineEntry.Kind.SIGHTING,
        "sighting",
        {"town": "Spa", "country": "BE"},
        None,
    )
    assert entry.happened_on == datetime.date(2025, 6, 1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert "Spa, Belgien" in message.body  # the country in German
    assert "1. Juni 2025" in message.body
    # Who reported it, and what they wrote, stay with the registrar.
    for secret in ("Rita", "rita@example.org", "0171", "I am"):
        assert secret not in message.body
    sighting.refresh_from_db()
    assert sighting.state == Sighting.State.ACCEPTED and sighting.decided_at is not None


def test_the_car_page_shows_the_town_and_never_the_reporter(client_for, staff, member, car):
    make_sighting(car, town="Spa", country="BE")
    sighting_accept(sighting=Sighting.objects.get(), staff=staff)

    for viewer in (None, MemberFactory(), member):
        page = client_for(viewer).get(car.get_absolute_url()).content.decode()
        assert "Seen in Spa, Belgium" in page
        for secret in ("Rita", "rita@example.org", "0171"):
            assert secret not in page


def test_an_accepted_sighting_shows_on_the_cached_public_page(
    client, staff, car, django_capture_on_commit_callbacks
):
    assert "Seen in" not in client.get(car.get_absolute_url()).content.decode()  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        sighting_accept(sighting=make_sighting(car), staff=staff)

    assert "Seen in Adenau, Germany" in client.get(car.get_absolute_url()).content.decode()


def test_accepting_with_the_box_ticked_adds_the_photo_to_the_car(staff_client, car):
    sighting = make_sighting(car, photo=upload(jpeg_bytes(size=(800, 600))))

    staff_client.post(decide_url(sighting), {"decision": "accept", "add_photo": "on"})

    photo = CarPhoto.objects.get(car=car)
    assert (photo.width, photo.height, photo.uploaded_by) == (800, 600, None)
    # The photo was taken the day of the sighting: the car was seen then, not today.
    car.refresh_from_db()
    assert (car.last_seen_on, car.last_seen_kind) == (sighting.seen_on, "sighting")


def test_accepting_without_the_box_leaves_the_photo_with_the_registrar(staff_client, car):
    sighting = make_sighting(car, photo=upload(jpeg_bytes()))

    staff_client.post(decide_url(sighting), {"decision": "accept"})

    assert not CarPhoto.objects.exists()
    assert TimelineEntry.objects.filter(car=car).count() == 1


def test_accepting_twice_makes_one_entry_and_one_mail(
    staff_client, car, django_capture_on_commit_callbacks
):
    sighting = make_sighting(car)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(decide_url(sighting), {"decision": "accept"})
        response = staff_client.post(decide_url(sighting), {"decision": "accept"}, follow=True)

    assert "This sighting has already been decided" in response.content.decode()
    assert TimelineEntry.objects.filter(car=car).count() == 1
    assert len(mail.outbox) == 1


def test_rejecting_needs_a_reason_and_touches_no_car(
    staff_client, car, django_capture_on_commit_callbacks
):
    sighting = make_sighting(car)

    with django_capture_on_commit_callbacks(execute=True):
        refused = staff_client.post(decide_url(sighting), {"decision": "reject"}, follow=True)
        assert "Please give a reason to reject the sighting." in refused.content.decode()
        staff_client.post(decide_url(sighting), {"decision": "reject", "reason": "A 135i."})

    sighting.refresh_from_db()
    assert (sighting.state, sighting.reason) == (Sighting.State.REJECTED, "A 135i.")
    assert not TimelineEntry.objects.exists() and mail.outbox == []


def test_a_lead_is_linked_to_the_car_the_registrar_names(staff_client, car):
    lead = make_sighting(None, identifier="4711")

    staff_client.post(decide_url(lead), {"decision": "link", "car": f"No. {car.plaque_number}"})

    lead.refresh_from_db()
    assert (lead.state, lead.car) == (Sighting.State.ACCEPTED, car)
    assert TimelineEntry.objects.filter(car=car, system_text="sighting").exists()


@pytest.mark.parametrize("named", ["", "999999", "not a car", VIN[:-1] + "X"])
def test_a_lead_linked_to_no_car_stays_a_lead(staff_client, car, named):
    lead = make_sighting(None, identifier="4711")

    response = staff_client.post(decide_url(lead), {"decision": "link", "car": named}, follow=True)

    assert "No single car on the register has that plaque number or VIN." in (
        response.content.decode()
    )
    lead.refresh_from_db()
    assert lead.state == Sighting.State.LEAD


@pytest.mark.parametrize(
    "data", [{}, {"decision": "explode"}, {"decision": "accept", "reason": "x" * 5000}]
)
def test_a_tampered_decision_is_refused_without_an_error_page(staff_client, car, data):
    lead = make_sighting(None, identifier="4711")

    response = staff_client.post(decide_url(lead), data, follow=True)

    assert response.status_code == 200
    assert staff_client.post(decide_url(lead), {"decision": "accept"}).status_code == 302
    lead.refresh_from_db()
    assert lead.state == Sighting.State.LEAD  # accepting a lead needs a car
    assert staff_client.post(reverse("register:sighting_decide", args=[99999])).status_code == 404


def test_staff_find_every_sighting_in_the_admin(staff_client, car):
    make_sighting(car, town="Spa", country="BE")

    response = staff_client.get(reverse("admin:register_sighting_changelist") + "?q=Spa")

    assert response.status_code == 200
    assert "Spa" in response.content.decode()


# --- The registration plate -------------------------------------------------------------


def test_the_owner_sets_the_plate_and_only_they_and_staff_see_it(client_for, member, staff, car):
    owner = client_for(member)
    data = {
        "model_line": car.model_line_id,
        "colour": car.colour_id,
        "build_date": "2011-06",
        "market": "DE",
        "country": "DE",
        "transmission": "manual",
        "steering": "lhd",
        "status": "road",
        "vin_visibility": "last7",
        "registration_plate": "m-ab 1234",
    }
    owner.post(reverse("register:edit", args=[car.pk]), data)

    car.refresh_from_db()
    assert car.registration_plate == "MAB1234"
    assert "MAB1234" in owner.get(car.get_absolute_url()).content.decode()
    assert "MAB1234" in client_for(staff).get(car.get_absolute_url()).content.decode()
    for viewer in (None, MemberFactory()):
        assert "MAB1234" not in client_for(viewer).get(car.get_absolute_url()).content.decode()


# --- The demo ---------------------------------------------------------------------------


def test_the_demo_has_accepted_pending_and_lead_sightings():
    for _ in range(6):
        CarFactory()

    seed_sightings()

    states = list(Sighting.objects.values_list("state", flat=True))
    assert sorted(states) == ["accepted"] * 3 + ["lead"] + ["pending"] * 2
    assert CarPhoto.objects.count() == 1
    assert TimelineEntry.objects.filter(system_text="sighting").count() == 3
    assert mail.outbox == []


def test_a_members_sightings_are_in_their_data_and_leave_with_them(car, other_member):
    from django.apps import apps

    from accounts.services import member_delete

    sighting = make_sighting(car, reporter=other_member, reporter_email="", reporter_name="")

    exported = apps.get_app_config("register").personal_data(other_member)
    member_delete(member=other_member)

    assert [row["town"] for row in exported["sightings_reported"]] == ["Adenau"]
    assert exported["sightings_reported"][0]["note"].startswith("I am Rita")
    sighting.refresh_from_db()
    assert (sighting.reporter, sighting.note, sighting.car) == (None, "", car)


def test_who_reported_a_decided_sighting_is_forgotten_after_the_retention(car, staff, other_member):
    from django.core.management import call_command

    old = make_sighting(car)
    sighting_accept(sighting=old, staff=staff, notify=False)
    Sighting.objects.filter(pk=old.pk).update(
        decided_at=timezone.now() - datetime.timedelta(days=91)
    )
    recent = make_sighting(car, reporter=other_member)
    sighting_accept(sighting=recent, staff=staff, notify=False)
    pending = make_sighting(car)
    out = io.StringIO()

    call_command("forget_sighting_reporters", stdout=out)

    assert "Forgot the reporters of 1 sighting(s)." in out.getvalue()
    old.refresh_from_db()
    assert (old.reporter_name, old.reporter_email, old.ip_hash) == ("", "", "")
    assert (old.state, old.car, old.town) == (Sighting.State.ACCEPTED, car, "Adenau")
    recent.refresh_from_db()
    pending.refresh_from_db()
    assert recent.reporter == other_member
    assert pending.reporter_email == "rita@example.org"


def test_a_photo_whose_file_is_gone_is_not_found_rather_than_an_error(staff_client, car):
    sighting = make_sighting(car, photo=upload(jpeg_bytes(size=(80, 60))))
    sighting.photo.storage.delete(sighting.photo.name)

    response = staff_client.get(reverse("register:sighting_photo", args=[sighting.pk]))

    assert response.status_code == 404
