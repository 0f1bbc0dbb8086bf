"""Who may open which register page, what each one shows, and what it costs in queries."""

import datetime
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from register.filters import _countries_in_use
from register.models import Car, CarPhoto, Transfer
from tests.factories import MemberFactory
from tests.register.factories import (
    CarFactory,
    ColourFactory,
    MileageReadingFactory,
    OwnershipFactory,
    PhotoFactory,
    TimelineEntryFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db

VIN = "WBSUR92050VK12345"
HIDDEN_VIN = "WBSUR92050VK54321"
MISSING = 999_999
LOGIN = reverse("account_login")


@dataclass
class Garage:
    """The member's cars: one on the register, one still waiting for staff."""

    car: Car
    photo: CarPhoto
    hidden_car: Car
    hidden_photo: CarPhoto
    transfer: Transfer


@pytest.fixture
def garage(member, other_member) -> Garage:
    car = CarFactory(vin=VIN, owner=member)
    hidden_car = CarFactory(vin=HIDDEN_VIN, owner=member, pending=True)
    sold = CarFactory(owner=member)
    return Garage(
        car=car,
        photo=PhotoFactory(car=car, is_cover=True, caption="At the Ring"),
        hidden_car=hidden_car,
        hidden_photo=PhotoFactory(car=hidden_car, is_cover=True),
        transfer=TransferFactory(car=sold, from_member=member, to_member=other_member),
    )


def url_for(name: str, target, garage: Garage, *, hidden: bool = False) -> str:
    """The URL of `name` for the garage's public (or hidden) car, its photo or its transfer."""
    if target is None:
        return reverse(name)
    obj = {
        "car": garage.hidden_car if hidden else garage.car,
        "photo": garage.hidden_photo if hidden else garage.photo,
        "transfer": garage.transfer,
    }[target]
    return reverse(name, args=[obj.pk])


# Every member view: its URL name, how it is called, what its id points at.
MEMBER_VIEWS = [
    ("register:garage", "get", None),
    ("register:add", "get", None),
    ("register:add", "post", None),
    ("register:claim_find", "get", None),
    ("register:claim", "get", "car"),
    ("register:claim", "post", "car"),
    ("register:edit", "get", "car"),
    ("register:edit", "post", "car"),
    ("register:timeline_add", "get", "car"),
    ("register:timeline_add", "post", "car"),
    ("register:mileage_add", "get", "car"),
    ("register:mileage_add", "post", "car"),
    ("register:photo_add", "get", "car"),
    ("register:photo_add", "post", "car"),
    ("register:photo_cover", "post", "photo"),
    ("register:photo_delete", "post", "photo"),
    ("register:transfer", "get", "car"),
    ("register:transfer", "post", "car"),
    ("register:transfer_respond", "post", "transfer"),
]

# The pages only a car's owner (or staff) may open, with the heading each one shows.
OWNER_PAGES = [
    ("register:edit", "Edit your car"),
    ("register:timeline_add", "Add to the timeline"),
    ("register:mileage_add", "Add a mileage reading"),
    ("register:photo_add", "Add a photo"),
    ("register:transfer", "Transfer your car to its buyer"),
]
OWNER_PAGE_NAMES = [name for name, _ in OWNER_PAGES]
PHOTO_ACTIONS = ["register:photo_cover", "register:photo_delete"]
OUTSIDERS = ["other_member", "organiser"]


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by `heading_id`."""
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


# --- Anonymous visitors ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "method", "target"), MEMBER_VIEWS)
def test_anonymous_visitors_are_sent_to_log_in_for_every_members_page(
    client, garage, name, method, target
):
    url = url_for(name, target, garage)

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={quote(url)}"
    assert CarPhoto.objects.filter(pk=garage.photo.pk, is_cover=True).exists()
    assert Transfer.objects.get().state == Transfer.State.PENDING


def test_anonymous_visitors_see_the_register_and_a_public_cars_page(client, garage):
    listing = client.get(reverse("register:list"))
    page = client.get(garage.car.get_absolute_url())

    assert listing.status_code == 200
    assert garage.car in listing.context["page"].object_list
    assert garage.hidden_car not in listing.context["page"].object_list
    assert page.status_code == 200
    assert f"No. {garage.car.plaque_number}" in page.content.decode()
    assert "At the Ring" in page.content.decode()


# --- Cars not on the register yet ----------------------------------------------------


@pytest.mark.parametrize("review_status", [Car.Review.PENDING, Car.Review.REJECTED])
@pytest.mark.parametrize("viewer", [None, "other_member", "organiser", "pending_member"])
def test_a_car_waiting_for_staff_or_rejected_does_not_exist_for_others(
    client_for, member, request, review_status, viewer
):
    car = CarFactory(owner=member, review_status=review_status, plaque_number=None)
    client = client_for(viewer and request.getfixturevalue(viewer))

    assert client.get(car.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("review_status", "notice"),
    [
        (Car.Review.PENDING, "This car is waiting for the registrar to verify it."),
        (Car.Review.REJECTED, "The registrar did not accept this record."),
    ],
)
@pytest.mark.parametrize("viewer", ["member", "staff"])
def test_a_car_waiting_for_staff_or_rejected_is_shown_to_its_owner_and_staff(
    client_for, member, request, review_status, notice, viewer
):
    car = CarFactory(
        vin=VIN,
        owner=member,
        review_status=review_status,
        plaque_number=None,
        rejection_reason="Not a 1M: the VIN says 135i.",
    )

    response = client_for(request.getfixturevalue(viewer)).get(car.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert notice in html
    assert VIN in html
    # Not on the register: no rarity figure that counts without it.
    assert "One of 0" not in html
    assert 'id="rarity-title-' not in html


# --- Another member -----------------------------------------------------------------


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", OWNER_PAGE_NAMES)
def test_another_member_may_not_change_a_public_car(
    client_for, request, garage, outsider, method, name
):
    client = client_for(request.getfixturevalue(outsider))

    response = getattr(client, method)(url_for(name, "car", garage))

    assert response.status_code == 403
    assert "Only the car&#x27;s current owner can change it." in response.content.decode()


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("name", PHOTO_ACTIONS)
def test_another_member_may_not_touch_a_public_cars_photos(
    client_for, request, garage, outsider, name
):
    client = client_for(request.getfixturevalue(outsider))

    response = client.post(url_for(name, "photo", garage))

    assert response.status_code == 403
    assert CarPhoto.objects.filter(pk=garage.photo.pk, is_cover=True).exists()


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize(
    ("name", "method", "target"),
    [
        ("register:car", "get", "car"),
        ("register:claim", "get", "car"),
        ("register:claim", "post", "car"),
        *[(name, method, "car") for name in OWNER_PAGE_NAMES for method in ("get", "post")],
        *[(name, "post", "photo") for name in PHOTO_ACTIONS],
    ],
)
def test_another_member_gets_404_for_everything_about_a_car_not_on_the_register(
    client_for, request, garage, outsider, name, method, target
):
    client = client_for(request.getfixturevalue(outsider))

    response = getattr(client, method)(url_for(name, target, garage, hidden=True))

    assert response.status_code == 404
    assert CarPhoto.objects.filter(pk=garage.hidden_photo.pk).exists()
    assert not garage.hidden_car.claims.exists()


@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
def test_another_member_gets_404_for_someone_elses_transfer(client_for, organiser, garage, action):
    response = client_for(organiser).post(
        url_for("register:transfer_respond", "transfer", garage), {"action": action}
    )

    assert response.status_code == 404
    assert Transfer.objects.get().state == Transfer.State.PENDING


def test_another_member_may_claim_a_public_car(client_for, other_member, garage):
    response = client_for(other_member).get(url_for("register:claim", "car", garage))

    assert response.status_code == 200
    assert "Send my claim" in response.content.decode()


# --- Members waiting for approval ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "target"),
    [("register:add", None), ("register:claim_find", None), ("register:claim", "car")],
)
def test_a_pending_member_may_not_register_or_claim_cars(
    client_for, pending_member, garage, name, target
):
    response = client_for(pending_member).get(url_for(name, target, garage))

    assert response.status_code == 403
    assert "still waiting for approval" in response.content.decode()


# --- The owner and staff ------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True], ids=["public car", "car waiting for staff"])
@pytest.mark.parametrize("viewer", ["member", "staff"])
@pytest.mark.parametrize(("name", "heading"), OWNER_PAGES)
def test_the_owner_and_staff_open_each_page_of_the_car(
    client_for, request, garage, viewer, name, heading, hidden
):
    car = garage.hidden_car if hidden else garage.car

    response = client_for(request.getfixturevalue(viewer)).get(reverse(name, args=[car.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 class="h2">{heading}' in html
    assert str(car) in html


def test_the_owner_sees_their_tools_on_the_car_page(client_for, member, garage):
    html = client_for(member).get(garage.car.get_absolute_url()).content.decode()

    tools = section(html, "owner-tools-title")
    assert reverse("register:photo_add", args=[garage.car.pk]) in tools
    assert reverse("register:edit", args=[garage.car.pk]) in tools
    assert reverse("register:transfer", args=[garage.car.pk]) in tools
    assert reverse("register:photo_delete", args=[garage.photo.pk]) in html


def test_staff_see_a_link_to_the_admin_on_the_car_page(client_for, staff, garage):
    html = client_for(staff).get(garage.car.get_absolute_url()).content.decode()

    assert reverse("admin:register_car_change", args=[garage.car.pk]) in html


def test_other_members_see_no_owners_tools_but_an_offer_to_claim(client_for, other_member, garage):
    html = client_for(other_member).get(garage.car.get_absolute_url()).content.decode()

    assert reverse("register:edit", args=[garage.car.pk]) not in html
    assert reverse("register:photo_delete", args=[garage.photo.pk]) not in html
    assert reverse("register:claim", args=[garage.car.pk]) in html


@pytest.mark.parametrize("name", PHOTO_ACTIONS)
def test_the_owner_acts_on_their_photos_and_returns_to_the_car(client_for, member, garage, name):
    response = client_for(member).post(url_for(name, "photo", garage))

    assert response.status_code == 302
    assert response["Location"] == garage.car.get_absolute_url()


def test_the_owner_of_a_car_is_told_they_need_not_claim_it(client_for, member, garage):
    response = client_for(member).get(url_for("register:claim", "car", garage), follow=True)

    assert response.redirect_chain == [(garage.car.get_absolute_url(), 302)]
    assert "You are already the owner of this car." in response.content.decode()


@pytest.mark.parametrize("name", ["register:photo_cover", "register:photo_delete"])
def test_photo_actions_answer_only_to_post(client_for, member, garage, name):
    assert client_for(member).get(url_for(name, "photo", garage)).status_code == 405


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("register:car", "get"),
        ("register:claim", "get"),
        *[(name, method) for name in OWNER_PAGE_NAMES for method in ("get", "post")],
        *[(name, "post") for name in PHOTO_ACTIONS],
        ("register:transfer_respond", "post"),
    ],
)
@pytest.mark.parametrize("viewer", ["member", "staff"])
def test_a_tampered_id_is_not_found(client_for, request, garage, viewer, name, method):
    client = client_for(request.getfixturevalue(viewer))

    response = getattr(client, method)(reverse(name, args=[MISSING]))

    assert response.status_code == 404


# --- Privacy on the car page -----------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "viewer", "sees_name"),
    [
        (User.Visibility.PUBLIC, None, True),
        (User.Visibility.PUBLIC, "other_member", True),
        (User.Visibility.MEMBERS, None, False),
        (User.Visibility.MEMBERS, "pending_member", False),
        (User.Visibility.MEMBERS, "other_member", True),
        (User.Visibility.MEMBERS, "staff", True),
        (User.Visibility.NOBODY, None, False),
        (User.Visibility.NOBODY, "other_member", False),
        (User.Visibility.NOBODY, "staff", True),  # the club office (accounts/privacy.py)
        (User.Visibility.NOBODY, "owner", True),  # it is their own name
    ],
)
def test_the_car_page_names_the_owner_only_as_they_allow(
    client_for, request, visibility, viewer, sees_name
):
    owner = MemberFactory(display_name="Olga Owner", name_visibility=visibility)
    car = CarFactory(owner=owner)
    who = owner if viewer == "owner" else viewer and request.getfixturevalue(viewer)

    html = client_for(who).get(car.get_absolute_url()).content.decode()

    owners = section(html, "owners-title")
    assert "Current owner" in owners
    if sees_name:
        assert "Olga Owner" in owners
    else:
        assert "Olga Owner" not in html
        if viewer in ("other_member", "staff"):
            assert f"Member No. {owner.membership_number}" in owners
        else:  # the public cannot tell which cars one person owns
            assert "A member" in owners
            assert f"No. {owner.membership_number}" not in owners


@pytest.mark.parametrize(
    ("visibility", "viewer", "sees_name"),
    [
        # A non-member earlier owner's name is for staff and the car's verified owner only
        # (accounts/privacy.py): other members and the public read the summary.
        ("public", None, False),
        ("public", "other_member", False),
        ("public", "member", True),
        ("members", None, False),
        ("members", "other_member", False),
        ("members", "member", True),
        ("nobody", "member", False),
        ("nobody", "staff", True),
    ],
)
def test_the_car_page_names_an_earlier_owner_only_as_recorded(
    client_for, request, member, visibility, viewer, sees_name
):
    car = CarFactory(owner=member)
    OwnershipFactory(
        car=car,
        member=None,
        owner_name="Erik Earlier",
        name_visibility=visibility,
        started_on=datetime.date(2011, 7, 1),
        ended_on=datetime.date(2019, 3, 1),
    )

    html = client_for(viewer and request.getfixturevalue(viewer)).get(car.get_absolute_url())

    owners = section(html.content.decode(), "owners-title")
    assert "1 earlier owner, 2011–2019, Germany" in owners
    assert ("Erik Earlier" in owners) is sees_name
    assert ("Jul 2011 – Mar 2019" in owners) is sees_name


@pytest.mark.parametrize(
    ("viewer", "sees_full_vin"),
    [(None, False), ("other_member", False), ("member", True), ("staff", True)],
)
def test_the_car_page_shows_the_full_vin_only_to_the_owner_and_staff(
    client_for, request, garage, viewer, sees_full_vin
):
    html = client_for(viewer and request.getfixturevalue(viewer)).get(garage.car.get_absolute_url())
    html = html.content.decode()

    assert (VIN in html) is sees_full_vin
    assert (VIN[:10] in html) is sees_full_vin
    if not sees_full_vin:
        assert "VIN ••••••••••VK12345" in html


def test_the_car_page_shows_the_full_vin_to_everyone_when_the_owner_chooses_so(client):
    car = CarFactory(vin=VIN, vin_visibility=Car.VinVisibility.FULL)

    assert f"VIN {VIN}" in client.get(car.get_absolute_url()).content.decode()


@pytest.mark.parametrize("viewer", [None, "member", "staff"])
def test_the_register_list_shows_only_the_last_seven_characters_of_a_vin(
    client_for, request, garage, viewer
):
    html = client_for(viewer and request.getfixturevalue(viewer)).get(reverse("register:list"))
    html = html.content.decode()

    assert "••••••••••VK12345" in html
    assert VIN not in html
    assert HIDDEN_VIN[-7:] not in html  # and the car waiting for staff is not listed at all


def test_the_car_page_shows_the_rarity_of_its_colour(client, monte_carlo_blue, model_line):
    car = CarFactory(model_line=model_line, colour=monte_carlo_blue)

    html = client.get(car.get_absolute_url()).content.decode()

    rarity = section(html, "rarity-title-side")
    assert "The only Monte Carlo Blue car on the register" in rarity
    assert "100.0% of the 1 BMW 1 Series M Coupé (E82) car on the register." in rarity
    assert "Special paint" in rarity
    assert "Reported built in this colour: <strong>2</strong>" in rarity


def test_the_car_page_shows_its_colours_share_of_the_register(
    client, model_line, monte_carlo_blue, valencia_orange
):
    car = CarFactory(model_line=model_line, colour=monte_carlo_blue)
    CarFactory(model_line=model_line, colour=monte_carlo_blue)
    CarFactory.create_batch(2, model_line=model_line, colour=valencia_orange)

    rarity = section(client.get(car.get_absolute_url()).content.decode(), "rarity-title-side")

    assert "One of 2 in Monte Carlo Blue on the register" in rarity
    assert "50.0% of the 4 BMW 1 Series M Coupé (E82) cars on the register." in rarity


# --- The register list: filters, search, sorting, pages ----------------------------------


@pytest.fixture
def register_cars(model_line, monte_carlo_blue, valencia_orange):
    """Three public cars and one waiting for staff, each different in every filter."""
    return {
        "orange": CarFactory(
            vin="WBSUR92050VA00001",
            model_line=model_line,
            colour=valencia_orange,
            build_date=datetime.date(2011, 3, 1),
            country="DE",
        ),
        "blue": CarFactory(
            vin="WBSUR92050VB00002",
            model_line=model_line,
            colour=monte_carlo_blue,
            build_date=datetime.date(2012, 5, 1),
            country="GB",
            status=Car.Status.STORED,
            unverified=True,
        ),
        "white": CarFactory(
            vin="WBSUR92050VC00003",
            model_line=model_line,
            colour=ColourFactory(model_line=model_line, name="Alpine White"),
            build_date=datetime.date(2011, 9, 1),
            country="NL",
            status=Car.Status.STOLEN,
        ),
        "pending": CarFactory(
            vin="WBSUR92050VD00004",
            model_line=model_line,
            colour=valencia_orange,
            build_date=datetime.date(2011, 3, 1),
            country="DE",
            pending=True,
        ),
    }


def listed(client, **params) -> list[Car]:
    response = client.get(reverse("register:list"), params)
    assert response.status_code == 200
    return list(response.context["page"].object_list)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["orange", "white", "blue"]),
        ({"colour": "monte_carlo_blue"}, ["blue"]),
        ({"colour": "valencia_orange"}, ["orange"]),
        ({"year": "2011"}, ["orange", "white"]),
        ({"year": "2012"}, ["blue"]),
        ({"country": "GB"}, ["blue"]),
        ({"country": "DE"}, ["orange"]),
        ({"status": Car.Status.STOLEN}, ["white"]),
        ({"status": Car.Status.STORED}, ["blue"]),
        ({"verified": "yes"}, ["orange", "white"]),
        ({"verified": "no"}, ["blue"]),
        ({"year": "2011", "country": "NL"}, ["white"]),
        ({"country": "FR"}, []),
    ],
)
def test_the_register_list_filters_cars(client, request, register_cars, params, expected):
    params = {
        key: request.getfixturevalue(value).pk if key == "colour" else value
        for key, value in params.items()
    }

    assert listed(client, **params) == [register_cars[name] for name in expected]


def test_the_country_filter_offers_each_country_of_a_public_car_once(client, register_cars):
    CarFactory(vin="WBSUR92050VE00005", country="DE")  # a second public car in Germany
    cache.clear()

    response = client.get(reverse("register:list"))
    choices = [
        code for code, _name in response.context["filter"].form.fields["country"].widget.choices
    ]

    # Three public cars' countries, Germany's once though two cars live there.
    assert sorted(code for code in choices if code) == ["DE", "GB", "NL"]
    # One row per country, not one per car: the list's order is kept out of the DISTINCT.
    with CaptureQueriesContext(connection) as queries:
        _countries_in_use()
    assert "plaque_number" not in queries.captured_queries[0]["sql"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("WBSUR92050VB00002", "blue"),
        ("wbsur92050vb00002", "blue"),
        ("WBS-UR92050-VB00002", "blue"),
        ("VB00002", "blue"),
        ("vb00002", "blue"),
        (" vc00003 ", "white"),
        ("plaque", "white"),
        ("#plaque", "white"),
        ("WBSUR92050VD00004", None),  # waiting for staff: not on the public register
        ("VD00004", None),
        ("ZZ99999", None),
    ],
)
def test_the_register_list_finds_a_car_by_vin_last_seven_or_plaque_number(
    client, register_cars, query, expected
):
    query = query.replace("plaque", str(register_cars["white"].plaque_number))

    response = client.get(reverse("register:list"), {"q": query})

    cars = list(response.context["page"].object_list)
    assert cars == ([register_cars[expected]] if expected else [])
    if expected is None:
        assert "No car on the register matches." in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["orange", "white", "blue"]),  # by plaque number; no plaque yet comes last
        ("plaque", ["orange", "white", "blue"]),
        ("built", ["orange", "white", "blue"]),
        ("-built", ["blue", "white", "orange"]),
        ("colour", ["white", "blue", "orange"]),  # Alpine, Monte Carlo, Valencia
        ("-added", ["white", "blue", "orange"]),
    ],
)
def test_the_register_list_sorts_cars(client, register_cars, sort, expected):
    assert listed(client, sort=sort) == [register_cars[name] for name in expected]


def test_the_register_list_pages_through_the_cars_keeping_the_filters(client, valencia_orange):
    cars = CarFactory.create_batch(
        30, colour=valencia_orange, model_line=valencia_orange.model_line
    )
    CarFactory.create_batch(3, colour=ColourFactory(name="Java Green"))

    first = client.get(reverse("register:list"), {"colour": valencia_orange.pk})
    second = client.get(reverse("register:list"), {"colour": valencia_orange.pk, "page": 2})
    beyond = client.get(reverse("register:list"), {"colour": valencia_orange.pk, "page": 99})

    assert list(first.context["page"].object_list) == cars[:24]
    assert list(second.context["page"].object_list) == cars[24:]
    assert list(beyond.context["page"].object_list) == cars[24:]
    html = first.content.decode()
    assert "30 cars match" in html
    assert "Page 1 of 2" in html
    assert f'href="?colour={valencia_orange.pk}&amp;page=2">Next</a>' in html
    assert "Page 2 of 2" in second.content.decode()


# --- Query counts -----------------------------------------------------------------------


def fill_register(count: int) -> Car:
    """`count` public cars, each with a cover photo and an owner. Returns the first one."""
    for _ in range(count):
        car = CarFactory(owner=MemberFactory())
        PhotoFactory(car=car, is_cover=True)
    return Car.objects.order_by("plaque_number").first()


def fill_car(car: Car, count: int) -> None:
    """`count` of everything the car page lists: photos, earlier owners, timeline, mileage."""
    for n in range(count):
        PhotoFactory(car=car, caption=f"Photo {n}")
        OwnershipFactory(
            car=car,
            member=MemberFactory() if n % 2 else None,
            owner_name="" if n % 2 else f"Owner {n}",
            # One after another: the periods of one car's owners never overlap.
            started_on=datetime.date(2011, 7, 1) + datetime.timedelta(days=30 * n),
            ended_on=datetime.date(2011, 7, 1) + datetime.timedelta(days=30 * (n + 1)),
        )
        TimelineEntryFactory(car=car)
        MileageReadingFactory(car=car)


@pytest.mark.parametrize("count", [2, 50])
def test_the_register_list_takes_a_fixed_number_of_queries_for_anonymous_visitors(
    client, django_assert_num_queries, count
):
    fill_register(count)

    # 1. COUNT of the matching public cars (the paginator)
    # 2. the countries where public cars live, for the "Country" menu (then cached)
    # 3. model lines for the "Model" filter
    # 4. colours for the "Colour" filter
    # 5. the build years of public cars for the "Build year" filter (then cached)
    # 6. the page of cars, with their model line and colour joined
    # 7. the cover photos of those cars (prefetch)
    # (the whole list, filters included, is then cached until the register changes)
    with django_assert_num_queries(7):
        response = client.get(reverse("register:list"))

    assert len(response.context["page"].object_list) == min(count, 24)
    assert response.content.decode().count('class="card-img-top car-thumb"') == min(count, 24)


@pytest.mark.parametrize("count", [2, 50])
def test_the_register_list_takes_a_fixed_number_of_queries_for_members(
    client_for, member, django_assert_num_queries, count
):
    fill_register(count)
    client = client_for(member)

    # 1. the session
    # 2. the logged-in member
    # 3. COUNT of the matching public cars (the paginator)
    # 4. the countries where public cars live, for the "Country" menu (then cached)
    # 5. model lines for the "Model" filter
    # 6. colours for the "Colour" filter
    # 7. the build years of public cars for the "Build year" filter (then cached)
    # 8. the page of cars, with their model line and colour joined
    # 9. the cover photos of those cars (prefetch)
    # 10. the member's level: may they register a car? (membership.rights)
    with django_assert_num_queries(10):
        response = client.get(reverse("register:list"))

    assert len(response.context["page"].object_list) == min(count, 24)


@pytest.mark.parametrize("count", [2, 50])
def test_the_car_page_takes_a_fixed_number_of_queries_for_anonymous_visitors(
    client, django_assert_num_queries, count
):
    car = fill_register(count)
    fill_car(car, count)

    # 1. the car, with its model line and colour
    # 2. its ownerships, with their members
    # 3. its colour's and model line's tallies (rarity; then cached)
    # 4. its photos
    # 5. its timeline, with the entries' authors
    # 6. its last ten mileage readings
    # 7. its factory facts, with their colours, model lines and recorders
    # 8. the meets it attended (the meets app's section)
    # 9. album photos of it from meets (the meets app's section)
    # 10. its live listing for sale, if any
    # (the whole page body is then cached for every anonymous visitor)
    with django_assert_num_queries(10):
        response = client.get(car.get_absolute_url())

    assert len(response.context["photos"]) == count + 1
    assert len(response.context["ownerships"]) == count + 1


@pytest.mark.parametrize("count", [2, 50])
@pytest.mark.parametrize("viewer", ["owner", "other_member"])
def test_the_car_page_takes_a_fixed_number_of_queries_for_members(
    client_for, request, django_assert_num_queries, count, viewer
):
    car = fill_register(count)
    fill_car(car, count)
    who = car.current_owner.member if viewer == "owner" else request.getfixturevalue(viewer)
    client = client_for(who)

    # 1. the session
    # 2. the logged-in member
    # 3. the car, with its model line and colour
    # 4. is the member its current owner?
    # 5. its ownerships, with their members
    # 6. its colour's and model line's tallies (rarity; then cached)
    # 7. its photos
    # 8. its timeline, with the entries' authors
    # 9. its last ten mileage readings
    # 10. its factory facts, with their colours, model lines and recorders
    # 11. the meets it attended (the meets app's section)
    # 12. album photos of it from meets (the meets app's section)
    # 13. its live listing for sale, if any
    # 14. the owner: a transfer waiting for the buyer; anyone else: their pending claim
    # 15. anyone else: their membership level, may they claim it? (membership.rights)
    with django_assert_num_queries(14 if viewer == "owner" else 15):
        response = client.get(car.get_absolute_url())

    assert response.context["owner_view"] is (viewer == "owner")
