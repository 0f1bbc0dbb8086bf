"""manage.py seed_large: a large invented club for the benchmark, built with bulk inserts.

The tests run it small; `make bench` runs it at full size (100,000 cars).
"""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max

from accounts.models import Sequence, User
from accounts.services import member_approve
from meets.management.commands.seed_large import (
    BENCH_80_SLUG,
    BENCH_BURST_SLUG,
    BENCH_EMAIL,
    BENCH_PASSWORD,
    BURST_CAPACITY,
    BURST_GOING,
)
from meets.models import RSVP, Meet
from meets.services import can_rsvp
from register.models import Car, Colour, ModelLine, Ownership, TimelineEntry
from tests.conftest import restore_data_migration_rows
from tests.factories import PendingMemberFactory

SIZES = {"cars": 900, "members": 400, "meets": 24, "rsvps": 1000, "bench_members": 6}


def seed(**extra):
    call_command("seed_large", no_progress=True, verbosity=0, seed=5, **SIZES, **extra)


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """The small large club, seeded once for the module (each test's changes roll back)."""
    with django_db_blocker.unblock(), transaction.atomic():
        restore_data_migration_rows()  # an earlier transactional test's flush took them
        seed()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    return None


def test_it_makes_as_many_rows_as_asked(seeded):
    assert Car.objects.count() == 900
    assert User.objects.count() == 400
    assert Meet.objects.count() == 24
    assert RSVP.objects.count() == 1000
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == 400
    # Several model lines, each with a primary production figure, and rare special paints.
    lines = ModelLine.objects.filter(cars__isnull=False).distinct()
    assert lines.count() == 7
    assert all(line.figures.filter(is_primary=True).exists() for line in lines)
    special = Car.objects.filter(colour__kind=Colour.Kind.SPECIAL).count()
    assert special < 900 / 100


def test_every_car_has_one_current_owner_and_its_delivery_on_the_timeline(seeded):
    current = Ownership.objects.current().values("car").annotate(n=Count("id"))
    assert current.count() == 900
    assert {row["n"] for row in current} == {1}
    delivered = TimelineEntry.objects.filter(kind="delivered").values("car").distinct().count()
    assert delivered == 900


def test_rsvps_respect_one_per_member_and_one_per_car_and_the_capacity(seeded):
    live = RSVP.objects.live()
    assert not live.values("meet", "member").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not live.values("meet", "car").annotate(n=Count("id")).filter(n__gt=1).exists()
    for meet in Meet.objects.with_counts():
        assert meet.going_count <= meet.capacity
    # Past meets have check-ins, and every RSVP's car belongs to its member.
    assert RSVP.objects.filter(checked_in_at__isnull=False).exists()
    rsvp = RSVP.objects.select_related("car").first()
    assert Car.objects.owned_by(rsvp.member).filter(pk=rsvp.car_id).exists()


def test_it_makes_the_benchmark_meets_and_members(seeded):
    eighty = Meet.objects.with_counts().get(slug=BENCH_80_SLUG)
    assert eighty.going_count == 80
    assert eighty.attendee_visibility == Meet.AttendeeVisibility.PUBLIC

    burst = Meet.objects.with_counts().get(slug=BENCH_BURST_SLUG)
    assert (burst.capacity, burst.going_count, burst.waitlist_count) == (
        BURST_CAPACITY,
        BURST_GOING,
        0,
    )
    assert burst.status == Meet.Status.PUBLISHED and not burst.is_past

    for index in range(SIZES["bench_members"]):
        member = User.objects.get(email=BENCH_EMAIL.format(index))
        assert member.is_active_member
        assert member.check_password(BENCH_PASSWORD)
        assert EmailAddress.objects.get(user=member).verified
        assert Car.objects.owned_by(member).get().is_verified
        assert not RSVP.objects.filter(member=member).exists()
        assert can_rsvp(meet=burst, member=member) is None


def test_numbers_carry_on_after_the_seed(seeded):
    top_member = User.objects.aggregate(m=Max("membership_number"))["m"]
    top_plaque = Car.objects.aggregate(m=Max("plaque_number"))["m"]
    assert Sequence.objects.get(name="membership-number").last_value == top_member
    assert Sequence.objects.get(name="plaque-number").last_value == top_plaque

    newcomer = member_approve(member=PendingMemberFactory(), notify=False)

    assert newcomer.membership_number == top_member + 1


def test_it_refuses_to_seed_twice_unless_forced(seeded):
    with pytest.raises(CommandError, match="--force"):
        seed()
    # Forced, it starts again: here smaller, which also shows the old rows went.
    call_command(
        "seed_large",
        no_progress=True,
        verbosity=0,
        seed=5,
        force=True,
        cars=210,
        members=210,
        meets=3,
        rsvps=150,
        bench_members=6,
    )

    assert Car.objects.count() == 210
    assert User.objects.count() == 210
    assert RSVP.objects.count() == 150


def test_it_makes_the_rows_of_issue_17s_pages_and_bursts(seeded):
    from meets.management.commands.seed_large import (
        BENCH_BIG_SLUG,
        BENCH_BURST_500_SLUG,
        BENCH_SERIES_SLUG,
        BURST_500_CAPACITY,
        SERIES_DATES,
    )
    from meets.models import AlbumPhoto, MeetSeries
    from register.models import Listing

    big = Meet.objects.with_counts().get(slug=BENCH_BIG_SLUG)
    assert big.going_count > 80 and big.going_count <= big.capacity
    assert big.attendee_visibility == Meet.AttendeeVisibility.PUBLIC and not big.is_past

    burst = Meet.objects.with_counts().get(slug=BENCH_BURST_500_SLUG)
    assert (burst.capacity, burst.going_count) == (BURST_500_CAPACITY, 0)
    member = User.objects.get(email=BENCH_EMAIL.format(0))
    assert can_rsvp(meet=burst, member=member) is None

    series = MeetSeries.objects.get(slug=BENCH_SERIES_SLUG)
    assert Meet.objects.filter(series=series).published().count() == SERIES_DATES

    album = AlbumPhoto.objects.filter(meet__slug=BENCH_80_SLUG).approved()
    assert album.count() > 10
    assert album.first().image.name.startswith("albums/")

    assert Listing.objects.live().count() > 10


def test_the_planner_knows_the_tables_it_loaded(seeded):
    """ANALYZE after the load, on either database: SQLite never gathers statistics by
    itself, and without them walked every member to find one meet's (the gate's cards)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'meets_rsvp'")
        else:
            cursor.execute("SELECT reltuples > 0 FROM pg_class WHERE relname = 'meets_rsvp'")
        assert cursor.fetchone()[0]
