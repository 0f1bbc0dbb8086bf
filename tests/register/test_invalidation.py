"""A change to one car refreshes what shows that car, and leaves every other page warm."""

from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.urls import reverse

from register.views import public
from tests.register.factories import (
    CarFactory,
    MileageReadingFactory,
    PhotoFactory,
    TimelineEntryFactory,
)

LIST = reverse("register:list")


@pytest.fixture
def builds(monkeypatch):
    """How many times the list and car bodies were built (not served from the cache)."""
    counts = {"list": 0, "car": 0}
    list_body, car_data = public._list_body, public._car_data

    def counted_list(request):
        counts["list"] += 1
        return list_body(request)

    def counted_car(request, car, **kwargs):
        counts["car"] += 1
        return car_data(request, car, **kwargs)

    monkeypatch.setattr(public, "_list_body", counted_list)
    monkeypatch.setattr(public, "_car_data", counted_car)
    # The register's scopes only: the meets' section of a car page follows the meets'
    # own version (meets/apps.py), which any car's save still bumps until it is per car.
    for config in apps.get_app_configs():
        if hasattr(config, "car_page_version"):
            monkeypatch.setattr(config, "car_page_version", lambda car=None: 0)
    return counts


@pytest.fixture
def warm(client, builds):
    """Two public cars, the list and both car pages served once (cached)."""
    a, b = CarFactory(), CarFactory()
    for url in (LIST, a.get_absolute_url(), b.get_absolute_url()):
        assert client.get(url).status_code == 200
    builds.update(list=0, car=0)
    return a, b


def html(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.mark.django_db
def test_a_timeline_entry_refreshes_its_car_only(
    client, warm, builds, django_capture_on_commit_callbacks
):
    a, b = warm
    with django_capture_on_commit_callbacks(execute=True):
        TimelineEntryFactory(car=a, title="Won its class at the concours")

    assert "Won its class at the concours" in html(client.get(a.get_absolute_url()))
    assert builds["car"] == 1
    client.get(b.get_absolute_url())
    client.get(LIST)
    assert builds == {"list": 0, "car": 1}


@pytest.mark.django_db
def test_a_mileage_reading_leaves_the_list_and_other_cars_warm(
    client, warm, builds, django_capture_on_commit_callbacks
):
    a, b = warm
    with django_capture_on_commit_callbacks(execute=True):
        MileageReadingFactory(car=a)

    client.get(b.get_absolute_url())
    client.get(LIST)
    assert builds == {"list": 0, "car": 0}
    client.get(a.get_absolute_url())
    assert builds == {"list": 0, "car": 1}


@pytest.mark.django_db
def test_a_story_change_refreshes_the_cars_page_not_the_list(
    client, warm, builds, django_capture_on_commit_callbacks
):
    a, b = warm
    a.refresh_from_db()
    a.story = "Delivered new in Munich to a racing driver."
    with django_capture_on_commit_callbacks(execute=True):
        a.save()

    assert "Delivered new in Munich to a racing driver." in html(client.get(a.get_absolute_url()))
    client.get(b.get_absolute_url())
    client.get(LIST)
    assert builds == {"list": 0, "car": 1}


@pytest.mark.django_db
def test_a_change_a_card_shows_refreshes_the_list_at_once(
    client, warm, builds, django_capture_on_commit_callbacks
):
    a, b = warm
    a.refresh_from_db()
    a.status = "stolen"
    with django_capture_on_commit_callbacks(execute=True):
        a.save(update_fields=["status"])

    assert "Stolen" in html(client.get(LIST))
    assert "Stolen" in html(client.get(a.get_absolute_url()))
    assert builds["list"] == 1


@pytest.mark.django_db
def test_a_new_car_shows_in_the_list_at_once(client, warm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        new = CarFactory()

    assert new.vin_short in html(client.get(LIST))


@pytest.mark.django_db
def test_a_cover_photo_refreshes_the_list_and_another_photo_does_not(
    client, warm, builds, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    a, b = warm
    with django_capture_on_commit_callbacks(execute=True):
        PhotoFactory(car=a, is_cover=False)
    client.get(LIST)
    assert builds["list"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        PhotoFactory(car=b, is_cover=True)
    assert html(client.get(LIST)).count('class="card-img-top car-thumb"') == 1
    assert builds["list"] == 1


def search(query: str) -> str:
    return f"{LIST}?{urlencode({'q': query})}"


def shows(response, car) -> bool:
    """The list links to `car` (its VIN's end alone may be the search box's own value)."""
    return f'href="{car.get_absolute_url()}"' in response.content.decode()


@pytest.mark.django_db
def test_a_new_car_leaves_the_searches_for_other_cars_warm(
    client, warm, builds, django_capture_on_commit_callbacks
):
    a, b = warm
    assert shows(client.get(search(a.vin_short)), a)
    assert shows(client.get(search(b.vin[-8:])), b)
    assert shows(client.get(search(str(a.plaque_number))), a)
    builds.update(list=0)

    with django_capture_on_commit_callbacks(execute=True):
        new = CarFactory(vin="WBSUR9C50BZZ" + a.vin[-5:-4] + "9999")

    client.get(search(a.vin_short))
    client.get(search(b.vin[-8:]))
    client.get(search(str(a.plaque_number)))
    assert builds["list"] == 0
    # A search that can find the new car is built again, and finds it.
    assert shows(client.get(search(new.vin[-6:])), new)
    assert shows(client.get(search(new.vin_short)), new)
    assert builds["list"] == 2


@pytest.mark.django_db
def test_a_car_is_found_under_its_new_vin_and_no_longer_under_its_old_one(
    client, warm, builds, django_capture_on_commit_callbacks
):
    a, b = warm
    old_tail = a.vin_short
    assert shows(client.get(search(old_tail)), a)
    assert shows(client.get(search(b.vin_short)), b)
    builds.update(list=0)

    a.refresh_from_db()
    a.vin = "WBSUR9C50BX777777"
    with django_capture_on_commit_callbacks(execute=True):
        a.save(update_fields=["vin"])

    assert shows(client.get(search("X777777")), a)
    assert not shows(client.get(search(old_tail)), a)
    client.get(search(b.vin_short))
    assert builds["list"] == 2


@pytest.mark.django_db
def test_a_search_by_plaque_follows_the_car_that_takes_the_number(
    client, warm, builds, django_capture_on_commit_callbacks
):
    a, b = warm
    wanted = a.plaque_number + 1000
    assert not shows(client.get(search(f"#{wanted}")), b)

    b.refresh_from_db()
    b.plaque_number = wanted
    with django_capture_on_commit_callbacks(execute=True):
        b.save(update_fields=["plaque_number"])

    assert shows(client.get(search(f"No. {wanted}")), b)


@pytest.mark.django_db
def test_a_cover_photo_refreshes_the_searches_that_show_its_car(
    client, warm, builds, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    a, b = warm
    client.get(search(a.vin_short))
    builds.update(list=0)

    with django_capture_on_commit_callbacks(execute=True):
        PhotoFactory(car=a, is_cover=True)

    assert html(client.get(search(a.vin_short))).count('class="card-img-top car-thumb"') == 1
    assert builds["list"] == 1


@pytest.mark.django_db
def test_a_car_saved_without_its_vin_loaded_refreshes_every_search(
    client, warm, builds, django_capture_on_commit_callbacks
):
    """only() without the VIN: which searches found the car is unknown, so all are."""
    from register.models import Car

    a, b = warm
    client.get(search(b.vin_short))
    builds.update(list=0)

    car = Car.objects.only("pk", "status").get(pk=a.pk)
    car.status = "stolen"
    with django_capture_on_commit_callbacks(execute=True):
        car.save(update_fields=["status"])

    client.get(search(b.vin_short))
    assert builds["list"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["000\x08", "¢\x04`A", "12 34 é5", "WBSUR9C50B\u200b0000001"])
def test_a_search_no_vin_can_match_finds_nothing_and_is_answered(client, warm, query):
    """The fuzzer's finds: characters no VIN has once made a cache key no cache takes."""
    response = client.get(search(query))

    assert response.status_code == 200
    assert not shows(response, warm[0]) and not shows(response, warm[1])
