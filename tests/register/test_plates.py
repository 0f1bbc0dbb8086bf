"""Who sees a car's registration plate (register/plates.py), and where it must never show."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from accounts.services import member_export_data
from meets.models import RSVP, Meet
from register.models import Car
from register.plates import plate_for, plate_visible, plate_visible_q
from tests.factories import MemberFactory, PendingMemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory
from tests.register.factories import CarFactory, OwnershipFactory

pytestmark = pytest.mark.django_db

# Distinctive enough that finding it anywhere means the plate leaked.
PLATE = "QXZ7781"
GATE, MEMBERS, PUBLIC = (
    Car.PlateVisibility.GATE,
    Car.PlateVisibility.MEMBERS,
    Car.PlateVisibility.PUBLIC,
)


@pytest.fixture
def world(db):
    """A car with a plate going to one meet, cancelled at another, unknown at a third."""
    owner = MemberFactory(display_name="Pia Plateowner")
    earlier = MemberFactory(display_name="Eddi Earlier")
    car = CarFactory(registration_plate=PLATE)
    OwnershipFactory(
        car=car,
        member=earlier,
        started_on=datetime.date(2012, 1, 1),
        ended_on=datetime.date(2019, 1, 1),
    )
    OwnershipFactory(car=car, member=owner, started_on=datetime.date(2019, 1, 1))
    people = {
        "owner": owner,
        "earlier owner": earlier,
        "staff": MemberFactory(is_staff=True),
        "organiser of its meet": MemberFactory(),
        "helper of its meet": MemberFactory(),
        "helper where it cancelled": MemberFactory(),
        "organiser of another meet": MemberFactory(),
        "member": MemberFactory(),
        "pending member": PendingMemberFactory(),
        "anonymous": AnonymousUser(),
    }
    going = MeetFactory(
        organisers=[people["organiser of its meet"]],
        checkin_helpers=[people["helper of its meet"]],
    )
    RSVPFactory(meet=going, member=owner, car=car, status=RSVP.Status.WAITLISTED)
    cancelled = MeetFactory(checkin_helpers=[people["helper where it cancelled"]])
    RSVPFactory(meet=cancelled, member=owner, car=car, status=RSVP.Status.CANCELLED)
    other = MeetFactory(organisers=[people["organiser of another meet"]])
    RSVPFactory(meet=other)
    return {
        "car": car,
        "people": people,
        "meets": {"its": going, "cancelled": cancelled, "other": other},
    }


# (viewer, at the gate of) -> sees the plate when the owner chose (gate, members, public)
RULES = [
    ("owner", None, (True, True, True)),
    ("staff", None, (True, True, True)),
    ("organiser of its meet", None, (True, True, True)),
    ("organiser of its meet", "its", (True, True, True)),
    ("helper of its meet", None, (True, True, True)),
    ("helper of its meet", "its", (True, True, True)),
    ("helper where it cancelled", None, (False, True, True)),
    ("helper where it cancelled", "cancelled", (False, True, True)),
    ("organiser of another meet", None, (False, True, True)),
    ("organiser of another meet", "other", (False, True, True)),
    ("device", "its", (True, True, True)),
    ("device", "cancelled", (False, False, True)),
    ("device", "other", (False, False, True)),
    ("earlier owner", None, (False, True, True)),
    ("member", None, (False, True, True)),
    ("pending member", None, (False, False, True)),
    ("anonymous", None, (False, False, True)),
]


@pytest.mark.parametrize("column", [0, 1, 2], ids=["gate", "members", "public"])
def test_the_plate_shows_by_the_rule(world, column):
    car = world["car"]
    car.plate_visibility = (GATE, MEMBERS, PUBLIC)[column]
    car.save(update_fields=["plate_visibility"])
    for who, gate, expected in RULES:
        viewer = None if who == "device" else world["people"][who]
        gate_of = world["meets"][gate] if gate else None
        sees = expected[column]

        assert plate_visible(car, viewer, gate_of=gate_of) is sees, (who, gate)
        assert plate_for(car, viewer, gate_of=gate_of) == (PLATE if sees else ""), (who, gate)
        # The search filter says the same: a search never finds what the page would hide.
        found = Car.objects.filter(plate_visible_q(viewer, gate_of=gate_of), pk=car.pk)
        assert found.exists() is sees, (who, gate)


def test_a_car_without_a_plate_shows_none_even_to_its_owner(world):
    car = CarFactory(owner=world["people"]["owner"], plate_visibility=PUBLIC)
    assert plate_for(car, world["people"]["owner"]) == ""


def test_the_gate_asks_once_per_meet_for_many_cars(world, django_assert_num_queries):
    meet = world["meets"]["its"]
    cars = [
        RSVPFactory(meet=meet, car=CarFactory(registration_plate=f"AB{n}")).car for n in range(5)
    ]
    with django_assert_num_queries(1):
        plates = [plate_for(car, None, gate_of=meet) for car in cars]
    assert plates == [f"AB{n}" for n in range(5)]


# --- The owner's choice -----------------------------------------------------------------


def edit_data(car: Car, **changes) -> dict:
    return {
        "model_line": car.model_line_id,
        "colour": car.colour_id,
        "build_date": "2011-06",
        "market": "DE",
        "country": "DE",
        "transmission": "manual",
        "steering": "lhd",
        "status": "road",
        "vin_visibility": "last7",
        "registration_plate": car.registration_plate,
        **changes,
    }


def test_the_owner_chooses_who_sees_the_plate_and_the_page_follows(
    client_for, world, django_capture_on_commit_callbacks
):
    car, owner = world["car"], world["people"]["owner"]
    stranger = client_for(world["people"]["member"])
    assert PLATE not in stranger.get(car.get_absolute_url()).content.decode()  # now cached

    page = client_for(owner).get(reverse("register:edit", args=[car.pk])).content.decode()
    assert 'name="plate_visibility"' in page
    assert "Choose who else may see it" in page
    with django_capture_on_commit_callbacks(execute=True):  # the page cache's version
        response = client_for(owner).post(
            reverse("register:edit", args=[car.pk]),
            edit_data(car, registration_plate="qxz-77 81", plate_visibility="members"),
        )

    assert response.status_code == 302
    car.refresh_from_db()
    assert (car.registration_plate, car.plate_visibility) == (PLATE, MEMBERS)
    assert PLATE in stranger.get(car.get_absolute_url()).content.decode()
    assert PLATE not in client_for(None).get(car.get_absolute_url()).content.decode()


def test_a_form_without_the_choice_keeps_the_cars(client_for, world):
    car, owner = world["car"], world["people"]["owner"]
    car.plate_visibility = PUBLIC
    car.save(update_fields=["plate_visibility"])
    client_for(owner).post(reverse("register:edit", args=[car.pk]), edit_data(car))
    car.refresh_from_db()
    assert car.plate_visibility == PUBLIC


def test_a_made_up_choice_is_refused(client_for, world):
    car, owner = world["car"], world["people"]["owner"]
    response = client_for(owner).post(
        reverse("register:edit", args=[car.pk]), edit_data(car, plate_visibility="everyone!")
    )
    assert response.status_code == 200
    assert "plate_visibility" in response.context["form"].errors
    car.refresh_from_db()
    assert car.plate_visibility == GATE


# --- The car's page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("owner", True),
        ("staff", True),
        ("organiser of its meet", True),
        ("helper of its meet", True),
        ("helper where it cancelled", False),
        ("organiser of another meet", False),
        ("member", False),
        (None, False),
    ],
)
def test_the_car_page_shows_a_gate_plate_to_the_gate_only(client_for, world, who, sees):
    car = world["car"]
    viewer = world["people"][who] if who else None
    client_for(None).get(car.get_absolute_url())  # the shared copies, cached first
    assert (PLATE in client_for(viewer).get(car.get_absolute_url()).content.decode()) is sees


def test_the_owner_reads_who_sees_their_plate(client_for, world):
    page = client_for(world["people"]["owner"]).get(world["car"].get_absolute_url())
    assert "Who sees it:" in page.content.decode()
    assert "organisers and helpers of meets I go to" in page.content.decode()


# --- Nowhere else -----------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "member", "helper where it cancelled"])
def test_a_hidden_plate_is_nowhere_a_stranger_looks(client_for, world, who):
    car = world["car"]
    car.plate_visibility = MEMBERS if who is None else GATE
    car.save(update_fields=["plate_visibility"])
    client = client_for(world["people"][who] if who else None)
    meet = world["meets"]["its"]
    urls = [
        reverse("register:list"),
        car.get_absolute_url(),
        reverse("register:export_csv"),
        reverse("register:export_json"),
        reverse("api:cars") + "?limit=100",
        reverse("api:car", args=[car.pk]),
        reverse("api:car_by_plaque", args=[car.plaque_number]),
        meet.get_absolute_url(),
        reverse("register:sighting_new") + f"?plaque={car.plaque_number}",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        assert PLATE not in body, url
        assert "QXZ-7781" not in body, url
    # Nor does a search by the plate find the car.
    for url in (
        reverse("register:list") + f"?q={PLATE}",
        reverse("register:list") + "?q=qxz-7781",
        reverse("api:cars") + f"?q={PLATE}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert car.vin_short not in response.content.decode(), url
    assert car.vin_short in client.get(reverse("register:list")).content.decode()


def test_a_public_plate_is_still_no_column_of_the_public_exports(client_for, world):
    car = world["car"]
    car.plate_visibility = PUBLIC
    car.save(update_fields=["plate_visibility"])
    for url in (reverse("register:export_csv"), reverse("api:car", args=[car.pk])):
        response = client_for(None).get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert PLATE not in body.decode(), url


def test_the_members_data_export_has_their_own_plate_only(world):
    owner_data = member_export_data(member=world["people"]["owner"])
    earlier_data = member_export_data(member=world["people"]["earlier owner"])

    owned = owner_data["register"]["ownerships"]
    assert [(o["registration_plate"], o["plate_visibility"]) for o in owned] == [(PLATE, GATE)]
    assert PLATE not in str(earlier_data)


def test_a_gate_sees_the_plate_until_a_week_after_its_meet(world):
    """meets/apps.py PLATES_AFTER_A_MEET: then a past meet's plates are nobody's business."""
    car, meet = world["car"], world["meets"]["its"]
    organiser = world["people"]["organiser of its meet"]

    def seen_a_while_after(days):
        end = timezone.now() - datetime.timedelta(days=days)
        Meet.objects.filter(pk=meet.pk).update(
            starts_at=end - datetime.timedelta(hours=6), ends_at=end
        )
        # Fresh objects: the rule remembers a meet's cars on the meet object it was given.
        fresh = Meet.objects.get(pk=meet.pk)
        return plate_for(car, organiser), plate_for(car, None, gate_of=fresh)

    assert seen_a_while_after(6) == (PLATE, PLATE)
    assert seen_a_while_after(8) == ("", "")
