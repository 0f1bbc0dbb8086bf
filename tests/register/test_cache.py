"""Cached aggregates: computed once, fresh again after any change to the register."""

import datetime

import pytest
from django.urls import reverse

from register import cache as register_cache
from tests.register.factories import CarFactory, ColourFactory

STATS = reverse("register:stats")


def text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.mark.django_db
def test_the_statistics_are_computed_once_and_then_served_from_the_cache(
    client, django_assert_max_num_queries
):
    CarFactory.create_batch(3)
    client.get(STATS)

    # The cached statistics need no query at all.
    with django_assert_max_num_queries(0):
        response = client.get(STATS)

    assert "3 cars on the register" in " ".join(response.content.decode().split())


@pytest.mark.django_db
def test_a_new_car_makes_the_statistics_fresh(client):
    CarFactory.create_batch(3)
    assert "3 cars on the register" in text(client.get(STATS))

    CarFactory()

    assert "4 cars on the register" in text(client.get(STATS))


@pytest.mark.django_db
def test_a_changed_colour_makes_the_rarity_fresh(client):
    blue = ColourFactory(name="Monte Carlo Blue", kind="special")
    car = CarFactory(colour=blue)
    assert "The only Monte Carlo Blue car" in client.get(car.get_absolute_url()).content.decode()

    CarFactory(colour=blue)

    html = client.get(car.get_absolute_url()).content.decode()
    assert "One of 2 in Monte Carlo Blue on the register" in html


@pytest.mark.django_db
def test_a_bulk_import_bumps_the_version_after_commit(django_capture_on_commit_callbacks):
    from register.importer import import_rows

    before = register_cache.version()
    with django_capture_on_commit_callbacks(execute=True):
        import_rows(rows=[], staff=None)

    assert register_cache.version() > before


def test_an_emptied_cache_never_reuses_an_old_version(settings):
    first = register_cache.version()
    register_cache.bump()
    bumped = register_cache.version()
    from django.core.cache import cache

    cache.clear()

    assert bumped > first
    assert register_cache.version() > bumped


@pytest.mark.django_db
def test_an_owner_who_hides_their_name_disappears_from_a_cached_car_page(client, member):
    from accounts.models import User

    member.name_visibility = User.Visibility.PUBLIC
    member.save()
    car = CarFactory(owner=member)
    assert "Olga Owner" in client.get(car.get_absolute_url()).content.decode()

    member.name_visibility = User.Visibility.NOBODY
    member.save(update_fields=["name_visibility"])

    assert "Olga Owner" not in client.get(car.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_new_owner_shows_on_a_cached_car_page(client, member, other_member):
    from register.services import _hand_over

    other_member.name_visibility = "public"
    other_member.save()
    car = CarFactory(owner=member)
    client.get(car.get_absolute_url())

    _hand_over(car=car, to_member=other_member, on=datetime.date(2026, 1, 2))

    assert "Otto Other" in client.get(car.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_log_in_does_not_empty_the_cache(client, member):
    before = register_cache.version()

    client.force_login(member)  # saves last_login

    assert register_cache.version() == before
