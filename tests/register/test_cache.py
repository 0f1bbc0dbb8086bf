"""Cached aggregates: computed once, fresh again after any change to the register."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from register import cache as register_cache
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, ColourFactory, OwnershipFactory

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
def test_a_new_car_makes_the_statistics_fresh(client, django_capture_on_commit_callbacks):
    CarFactory.create_batch(3)
    assert "3 cars on the register" in text(client.get(STATS))

    with django_capture_on_commit_callbacks(execute=True):
        CarFactory()

    assert "4 cars on the register" in text(client.get(STATS))


@pytest.mark.django_db
def test_a_changed_colour_makes_the_rarity_fresh(client, django_capture_on_commit_callbacks):
    blue = ColourFactory(name="Monte Carlo Blue", kind="special")
    car = CarFactory(colour=blue)
    assert "The only Monte Carlo Blue car" in client.get(car.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
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


@pytest.mark.django_db
def test_a_change_moves_the_version_when_it_commits_not_before(
    client, django_capture_on_commit_callbacks
):
    CarFactory.create_batch(3)
    # A new car moves the lists ("cars") and the counts ("tally"), not the whole namespace.
    before = register_cache.versions([None, "cars", "tally"])

    with django_capture_on_commit_callbacks(execute=True):
        CarFactory()
        # Another request, on its own connection, still sees 3 cars until the commit:
        # were the version moved already, it would cache them under the new version.
        assert register_cache.versions([None, "cars", "tally"]) == before

    namespace, cars, tally = register_cache.versions([None, "cars", "tally"])
    assert namespace == before[0] and cars > before[1] and tally > before[2]
    assert "4 cars on the register" in text(client.get(STATS))


def test_an_emptied_cache_never_reuses_an_old_version(settings):
    first = register_cache.version()
    register_cache.bump()
    bumped = register_cache.version()
    from django.core.cache import cache

    cache.clear()

    assert bumped > first
    assert register_cache.version() > bumped


@pytest.mark.django_db
def test_an_owner_who_hides_their_name_disappears_from_a_cached_car_page(
    client, member, django_capture_on_commit_callbacks
):
    from accounts.models import User

    member.name_visibility = User.Visibility.PUBLIC
    member.save()
    car = CarFactory(owner=member)
    assert "Olga Owner" in client.get(car.get_absolute_url()).content.decode()

    member.name_visibility = User.Visibility.NOBODY
    with django_capture_on_commit_callbacks(execute=True):
        member.save(update_fields=["name_visibility"])

    assert "Olga Owner" not in client.get(car.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_new_owner_shows_on_a_cached_car_page(
    client, member, other_member, django_capture_on_commit_callbacks
):
    from register.services import _hand_over

    other_member.name_visibility = "public"
    other_member.save()
    car = CarFactory(owner=member)
    client.get(car.get_absolute_url())

    with django_capture_on_commit_callbacks(execute=True):
        _hand_over(car=car, to_member=other_member, on=datetime.date(2026, 1, 2))

    assert "Otto Other" in client.get(car.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_log_in_does_not_empty_the_cache(client, member):
    before = register_cache.version()

    client.force_login(member)  # saves last_login

    assert register_cache.version() == before


@pytest.mark.django_db
def test_each_kind_of_visitor_finds_the_car_page_cached_after_the_first(
    client, member, django_assert_num_queries
):
    car = CarFactory()
    client.get(car.get_absolute_url())  # the public's copy
    client.force_login(member)
    client.get(car.get_absolute_url())  # the members' copy: a cold visit builds its own

    # All that is left for a member: the session, the user, the car, whether they own
    # it, whether they have a claim on it, and their level (may they claim cars?).
    with django_assert_num_queries(6):
        response = client.get(car.get_absolute_url())

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_former_owner_looking_first_leaves_no_hidden_name_in_the_shared_copies(
    member, other_member
):
    member.display_name = "Hilde Hidden"
    member.name_visibility = "nobody"
    member.save()
    car = CarFactory(owner=other_member)
    OwnershipFactory(
        car=car,
        member=member,
        started_on=datetime.date(2015, 1, 1),
        ended_on=datetime.date(2019, 1, 1),
    )
    former_owner = Client()
    former_owner.force_login(member)
    former_owner.get(car.get_absolute_url())  # renders the shared copies

    another_member = Client()
    another_member.force_login(MemberFactory())
    for viewer in (Client(), another_member):
        html = viewer.get(car.get_absolute_url()).content.decode()
        assert "Hilde Hidden" not in html
        # A hidden earlier owner is counted in the summary, not listed (accounts/privacy.py).
        assert "1 earlier owner, 2015–2019, Germany" in html
        assert f"Member No. {member.membership_number}" not in html
