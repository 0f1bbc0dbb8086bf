"""Earlier owners: a summary for everyone, names only as accounts/privacy.py allows."""

import datetime

import pytest
from django.utils import translation

from accounts.models import User
from register.provenance import summary_of
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, OwnershipFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def history(member):
    """A car with three earlier owners in Germany and the Netherlands, and `member` now."""
    car = CarFactory(owner=member, owner__started_on=D(2025, 3, 1))
    shows = MemberFactory(display_name="Selma Shows", name_visibility=User.Visibility.MEMBERS)
    hides = MemberFactory(display_name="Hugo Hides", name_visibility=User.Visibility.NOBODY)
    OwnershipFactory(
        car=car,
        member=None,
        owner_name="Erik Earlier",
        name_visibility="members",
        country="DE",
        started_on=D(2012, 4, 1),
        ended_on=D(2016, 1, 1),
    )
    OwnershipFactory(
        car=car, member=shows, country="NL", started_on=D(2016, 1, 1), ended_on=D(2020, 1, 1)
    )
    OwnershipFactory(
        car=car, member=hides, country="DE", started_on=D(2020, 1, 1), ended_on=D(2025, 3, 1)
    )
    return car


def page(client_for, user, car) -> str:
    return client_for(user).get(car.get_absolute_url()).content.decode()


def test_the_summary_counts_years_and_countries(history):
    earlier = [o for o in history.ownerships.all() if o.ended_on]

    assert summary_of(earlier) == "3 earlier owners, 2012–2025, Germany and Netherlands"
    # In the order the car lived there, however the owners come (the car page: newest first).
    assert summary_of(earlier[::-1]) == "3 earlier owners, 2012–2025, Germany and Netherlands"
    assert summary_of(earlier[:1]) == "1 earlier owner, 2012–2016, Germany"
    assert summary_of([]) == "No earlier owners on record"


def test_the_summary_is_in_the_reader_s_language(history):
    earlier = [o for o in history.ownerships.all() if o.ended_on]
    with translation.override("de"):
        assert "Deutschland" in summary_of(earlier)


def test_the_public_reads_the_summary_and_no_name(client_for, history):
    html = page(client_for, None, history)

    assert "3 earlier owners, 2012–2025, Germany and Netherlands" in html
    for name in ("Erik Earlier", "Selma Shows", "Hugo Hides"):
        assert name not in html


def test_members_read_the_names_of_earlier_owners_who_show_them(client_for, history):
    html = page(client_for, MemberFactory(), history)

    assert "3 earlier owners" in html
    assert "Selma Shows" in html  # a member who shows their name to members
    assert "Hugo Hides" not in html
    assert "Erik Earlier" not in html  # a non-member: for staff and the owner only


def test_the_verified_current_owner_reads_every_name_not_hidden(client_for, history, member):
    html = page(client_for, member, history)

    assert "Erik Earlier" in html and "Selma Shows" in html
    assert "Hugo Hides" not in html


def test_the_owner_of_a_car_not_yet_verified_reads_only_what_members_read(
    client_for, member, history
):
    history.review_status = "unverified"
    history.plaque_number = None
    history.save()

    html = page(client_for, member, history)

    assert "Selma Shows" in html
    assert "Erik Earlier" not in html


def test_staff_read_every_name(client_for, history, staff):
    html = page(client_for, staff, history)

    for name in ("Erik Earlier", "Selma Shows", "Hugo Hides"):
        assert name in html


def test_an_earlier_owner_reads_their_own_name(client_for, history):
    hides = User.objects.get(display_name="Hugo Hides")
    assert "Hugo Hides" in page(client_for, hides, history)


def test_a_member_who_shows_their_name_to_everyone_is_named_to_the_public(client_for, history):
    User.objects.filter(display_name="Selma Shows").update(name_visibility="public")

    assert "Selma Shows" in page(client_for, None, history)


def test_the_listing_shows_the_same_summary(client_for, history, member):
    from register import sale

    listing = sale.listing_create(car=history, seller=member)
    html = client_for().get(listing.get_absolute_url()).content.decode()

    assert "3 earlier owners, 2012–2025, Germany and Netherlands" in html
    assert "4 owners on record." in html
    for name in ("Erik Earlier", "Selma Shows", "Hugo Hides"):
        assert name not in html
