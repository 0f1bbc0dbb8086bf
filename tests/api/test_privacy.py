"""The API shows no person, and no car the public may not see: the pages' rules, tested.

Owners with distinctive names, e-mail addresses and membership numbers — one who shows
their name to everyone, one who hides it, a non-member earlier owner shown publicly —
and pending and rejected cars with distinctive VINs. Every answer of the API, for every
kind of visitor, must hold none of those strings.
"""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from register.models import Car, Ownership, TimelineEntry
from tests.api.conftest import add_photo
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, OwnershipFactory, ProductionFigureFactory

PENDING_VIN = "WBSUR9C50BZ777001"
REJECTED_VIN = "WBSUR9C50BZ777002"
HIDDEN_VIN = "WBSUR9C50BZ777003"
SHOWN_VIN = "WBSUR9C50BZ777004"


@pytest.fixture
def people_and_cars(db, staff):
    public_name = MemberFactory(
        display_name="Penelope Publicname",
        email="penelope.publicname@secret.example",
        name_visibility=User.Visibility.PUBLIC,
    )
    hidden_name = MemberFactory(
        display_name="Horatio Hiddenname",
        email="horatio.hiddenname@secret.example",
        name_visibility=User.Visibility.NOBODY,
    )
    User.objects.filter(pk=public_name.pk).update(membership_number=918273)
    User.objects.filter(pk=hidden_name.pk).update(membership_number=564738)
    hidden_vin = CarFactory(
        vin=HIDDEN_VIN, owner=hidden_name, story="Bought from Sigmund Storyteller in Graz."
    )
    OwnershipFactory(
        car=hidden_vin,
        member=None,
        owner_name="Ernestine Earlierowner",
        name_visibility=Ownership.Visibility.PUBLIC,
        started_on=datetime.date(2012, 1, 1),
        ended_on=datetime.date(2019, 12, 31),
    )
    TimelineEntry.objects.create(
        car=hidden_vin,
        happened_on=datetime.date(2020, 5, 1),
        title="Tuned by Theodor Timelineman",
        body="Theodor Timelineman's workshop",
        author=hidden_name,
    )
    add_photo(hidden_vin)
    shown_vin = CarFactory(
        vin=SHOWN_VIN, owner=public_name, vin_visibility=Car.VinVisibility.FULL, unverified=True
    )
    pending = CarFactory(vin=PENDING_VIN, owner=public_name, pending=True, country="IS")
    rejected = CarFactory(
        vin=REJECTED_VIN,
        owner=hidden_name,
        rejected=True,
        rejection_reason="Rejected for Rudolf Rejectson",
    )
    add_photo(pending, "pending")
    ProductionFigureFactory(is_primary=True)
    viewers = {
        "anonymous": None,
        "owner of the pending car": public_name,
        "owner of the rejected car": hidden_name,
        "staff": staff,
    }
    return {
        "viewers": viewers,
        "hidden_vin": hidden_vin,
        "shown_vin": shown_vin,
        "pending": pending,
        "rejected": rejected,
    }


SECRETS = [
    "Penelope",
    "Publicname",
    "Horatio",
    "Hiddenname",
    "secret.example",
    "918273",
    "564738",
    "Ernestine",
    "Earlierowner",
    "Storyteller",
    "Timelineman",
    "Captionmann",
    "Rejectson",
    "Stella",
    PENDING_VIN[-7:],
    REJECTED_VIN[-7:],
    HIDDEN_VIN,
]


def every_answer(client, world) -> dict[str, str]:
    """Every answer the API gives about this register, by URL."""
    urls = [
        "/api/v1/",
        reverse("api:model_lines"),
        reverse("api:production_figures"),
        reverse("api:colours"),
        reverse("api:cars") + "?limit=100",
        reverse("api:cars") + "?verified=false",
        reverse("api:cars") + "?country=IS",
        reverse("api:statistics"),
        reverse("api:openapi-json"),
    ]
    for key in ("hidden_vin", "shown_vin", "pending", "rejected"):
        car = world[key]
        urls.append(reverse("api:car", args=[car.pk]))
        if car.plaque_number:
            urls.append(reverse("api:car_by_plaque", args=[car.plaque_number]))
    for vin in (PENDING_VIN, REJECTED_VIN, PENDING_VIN[-7:]):
        urls.append(reverse("api:cars") + f"?q={vin}")
    answers = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        answers[url] = response.content.decode()
    return answers


@pytest.mark.parametrize(
    "viewer",
    ["anonymous", "owner of the pending car", "owner of the rejected car", "staff"],
)
def test_no_answer_names_a_person_or_a_hidden_car(people_and_cars, viewer):
    client = Client()
    user = people_and_cars["viewers"][viewer]
    if user is not None:
        client.force_login(user)
    answers = every_answer(client, people_and_cars)
    for url, text in answers.items():
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), (secret, url)


def test_the_full_vin_shows_only_where_its_owner_allows(api, people_and_cars):
    _r, shown = api.get_json(reverse("api:car", args=[people_and_cars["shown_vin"].pk]))
    _r, hidden = api.get_json(reverse("api:car", args=[people_and_cars["hidden_vin"].pk]))
    assert shown["vin"] == SHOWN_VIN
    assert hidden["vin"] == "•" * 10 + HIDDEN_VIN[-7:]


@pytest.mark.parametrize("viewer", ["anonymous", "owner of the pending car", "staff"])
def test_pending_and_rejected_cars_are_404_like_a_car_that_never_was(people_and_cars, viewer):
    client = Client()
    user = people_and_cars["viewers"][viewer]
    if user is not None:
        client.force_login(user)
    never = client.get(reverse("api:car", args=[10**9]))
    for key in ("pending", "rejected"):
        response = client.get(reverse("api:car", args=[people_and_cars[key].pk]))
        assert response.status_code == 404
        assert response.content == never.content
        assert response.headers.get("Cache-Control") == never.headers.get("Cache-Control")


def test_pending_and_rejected_cars_are_not_counted_or_listed(api, people_and_cars):
    _r, cars = api.get_json(reverse("api:cars"), {"limit": 100})
    ids = {car["id"] for car in cars["results"]}
    assert ids == {people_and_cars["hidden_vin"].pk, people_and_cars["shown_vin"].pk}
    assert cars["count"] == 2
    _r, stats = api.get_json(reverse("api:statistics"))
    assert stats["total"] == 2
    assert {"key": "IS", "cars": 1} not in stats["by_country"]


def test_a_car_answer_has_no_field_about_people(api, people_and_cars):
    _r, body = api.get_json(reverse("api:car", args=[people_and_cars["hidden_vin"].pk]))
    text = json.dumps(body).lower()
    for word in ("owner", "email", "member", "story", "caption", "registered_by"):
        assert word not in text, word
