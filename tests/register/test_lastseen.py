"""Last seen: every kind of evidence moves a car's date forward, never back; the register
filters by it, the car's page shows it, and the statistics estimate survivors from it."""

import datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from meets.services import rsvp_check_in
from register import services
from register.lastseen import (
    SURVIVAL_MIN_CARS,
    SurvivalRow,
    note_evidence,
    survival_estimates,
    years_ago,
)
from register.models import Car, CarPhoto, TimelineEntry
from register.stats import register_stats
from register.tallies import rebuild_tallies
from tests.accounts.images import jpeg_bytes
from tests.meets.factories import GateDayMeetFactory, MeetFactory, RSVPFactory
from tests.register.factories import (
    CarFactory,
    ColourFactory,
    MileageReadingFactory,
    ModelLineFactory,
    PhotoFactory,
    ProductionFigureFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 5, 1)
EVIDENCE = Car.Evidence


def seen(car) -> tuple:
    car.refresh_from_db()
    return car.last_seen_on, car.last_seen_kind


# --- note_evidence ---------------------------------------------------------------------------


def test_evidence_moves_the_date_forward_only():
    car = CarFactory()
    assert note_evidence(car.pk, DAY, EVIDENCE.MILEAGE)
    assert seen(car) == (DAY, "mileage")

    assert not note_evidence(car.pk, DAY - datetime.timedelta(days=1), EVIDENCE.PHOTO)
    assert not note_evidence(car.pk, DAY, EVIDENCE.PHOTO)  # the same day: kept as it was
    assert seen(car) == (DAY, "mileage")

    later = DAY + datetime.timedelta(days=30)
    assert note_evidence(car.pk, later, EVIDENCE.TIMELINE)
    assert seen(car) == (later, "timeline")


def test_a_date_in_the_future_is_no_evidence():
    car = CarFactory()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert not note_evidence(car.pk, tomorrow, EVIDENCE.TIMELINE)
    assert seen(car) == (None, "")


def test_noting_evidence_refreshes_the_cars_cached_page(client, django_capture_on_commit_callbacks):
    car = CarFactory()
    assert "Last seen: no record yet" in client.get(car.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        note_evidence(car.pk, DAY, EVIDENCE.MILEAGE)
    html = client.get(car.get_absolute_url()).content.decode()
    assert "Last seen: 1 May 2024 (mileage reading)" in html


def test_a_mileage_reading_is_evidence(member):
    car = CarFactory(owner=member)
    services.mileage_reading_add(car=car, member=member, read_on=DAY, kilometres=41_000)
    assert seen(car) == (DAY, "mileage")


def test_a_timeline_entry_is_evidence_on_its_date(member):
    car = CarFactory(owner=member)
    services.timeline_entry_add(
        car=car, author=member, kind="service", happened_on=DAY, title="Oil change"
    )
    assert seen(car) == (DAY, "timeline")


def test_a_photo_is_evidence_on_the_day_it_was_uploaded(member):
    car = CarFactory(owner=member)
    upload = SimpleUploadedFile("car.jpg", jpeg_bytes(), content_type="image/jpeg")
    services.photo_add(car=car, upload=upload, member=member)
    assert seen(car) == (timezone.localdate(), "photo")


def test_a_transfer_within_the_club_is_evidence(member, other_member):
    car = CarFactory(owner=member)
    transfer = services.transfer_start(car=car, from_member=member, to_member=other_member, on=DAY)
    services.transfer_accept(transfer=transfer, member=other_member)
    assert seen(car) == (DAY, "timeline")


def test_a_meet_check_in_is_evidence_on_the_meets_local_date(organiser):
    # 23:30 in UTC on 1 June is already 2 June in Tokyo, where the meet is.
    moment = datetime.datetime(2024, 6, 1, 23, 30, tzinfo=datetime.UTC)
    meet = MeetFactory(
        time_zone="Asia/Tokyo",
        organisers=[organiser],
        starts_at=moment,
        ends_at=moment + datetime.timedelta(hours=6),
        rsvp_opens_at=moment - datetime.timedelta(days=30),
    )
    rsvp = RSVPFactory(meet=meet)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        rsvp_check_in(rsvp=rsvp, by=organiser)
    assert seen(rsvp.car) == (datetime.date(2024, 6, 2), "check_in")


def test_a_second_scan_at_the_gate_changes_nothing(organiser):
    rsvp = RSVPFactory(meet=GateDayMeetFactory(organisers=[organiser]))
    rsvp_check_in(rsvp=rsvp, by=organiser)
    Car.objects.filter(pk=rsvp.car_id).update(last_seen_on=DAY)  # as if older
    _, new = rsvp_check_in(rsvp=rsvp, by=organiser)
    assert not new
    assert seen(rsvp.car) == (DAY, "check_in")


# --- The backfill migrations ------------------------------------------------------------------


def test_the_backfill_takes_the_newest_evidence_of_each_car():
    read, photographed, entered, checked_in, nothing = (CarFactory() for _ in range(5))
    MileageReadingFactory(car=read, read_on=datetime.date(2019, 5, 1))
    MileageReadingFactory(car=read, read_on=datetime.date(2021, 5, 1))
    TimelineEntryFactory(car=read, happened_on=datetime.date(2020, 1, 1))
    TimelineEntryFactory(car=entered, happened_on=datetime.date(2022, 3, 4))
    TimelineEntryFactory(car=entered, happened_on=datetime.date(2027, 1, 1))  # planned
    photo = PhotoFactory(car=photographed)
    CarPhoto.objects.filter(pk=photo.pk).update(
        created_at=datetime.datetime(2023, 7, 8, 12, tzinfo=datetime.UTC)
    )
    MileageReadingFactory(car=photographed, read_on=datetime.date(2018, 1, 1))
    rsvp = RSVPFactory(car=checked_in)
    type(rsvp).objects.filter(pk=rsvp.pk).update(
        checked_in_at=datetime.datetime(2024, 6, 15, 9, tzinfo=datetime.UTC)
    )
    TimelineEntryFactory(car=checked_in, happened_on=datetime.date(2024, 1, 1))
    Car.objects.update(last_seen_on=None, last_seen_kind="")

    import_module("register.migrations.0013_last_seen").backfill_last_seen(apps, None)
    import_module("meets.migrations.0005_last_seen_checkins").backfill_last_seen_from_checkins(
        apps, None
    )

    assert seen(read) == (datetime.date(2021, 5, 1), "mileage")
    assert seen(entered) == (datetime.date(2022, 3, 4), "timeline")
    assert seen(photographed) == (datetime.date(2023, 7, 8), "photo")
    assert seen(checked_in) == (datetime.date(2024, 6, 15), "check_in")
    assert seen(nothing) == (None, "")


def test_the_backfill_migration_runs_set_based(django_assert_max_num_queries):
    for _ in range(5):
        MileageReadingFactory(car=CarFactory(), read_on=DAY)
    Car.objects.update(last_seen_on=None, last_seen_kind="")
    # One UPDATE per kind of evidence, however many cars.
    with django_assert_max_num_queries(3):
        import_module("register.migrations.0013_last_seen").backfill_last_seen(apps, None)
    assert set(Car.objects.values_list("last_seen_on", flat=True)) == {DAY}


# --- The register's filter and the car's page ----------------------------------------------


def test_the_register_filters_cars_not_seen_for_n_years(client):
    today = timezone.localdate()
    recent = CarFactory(vin="WBSUR9C50B0000001")
    old = CarFactory(vin="WBSUR9C50B0000002")
    ancient = CarFactory(vin="WBSUR9C50B0000003")
    never = CarFactory(vin="WBSUR9C50B0000004")
    Car.objects.filter(pk=recent.pk).update(last_seen_on=today - datetime.timedelta(days=30))
    Car.objects.filter(pk=old.pk).update(last_seen_on=years_ago(today, 4))
    Car.objects.filter(pk=ancient.pk).update(last_seen_on=years_ago(today, 11))

    def shown(value):
        html = client.get(reverse("register:list"), {"not_seen": value}).content.decode()
        return {car.vin_short for car in (recent, old, ancient, never) if car.vin_short in html}

    assert shown("1") == {"0000002", "0000003", "0000004"}
    assert shown("5") == {"0000003", "0000004"}
    assert shown("10") == {"0000003", "0000004"}
    assert shown("never") == {"0000004"}
    assert shown("") == {"0000001", "0000002", "0000003", "0000004"}


def test_an_unknown_filter_value_is_no_error(client):
    CarFactory()
    response = client.get(reverse("register:list"), {"not_seen": "forever"})
    assert response.status_code == 200


def test_the_list_offers_the_filter(client):
    html = client.get(reverse("register:list")).content.decode()
    assert 'name="not_seen"' in html
    assert "Not seen for 5 years" in html
    assert "Never seen" in html


# --- Survival ------------------------------------------------------------------------------


def test_the_range_is_production_times_the_shares_seen_and_not_lost():
    row = SurvivalRow(label="Alpine White", built=1000, registered=20, seen=12, not_lost=18)
    assert (row.low, row.high) == (600, 900)
    assert row.estimate == "about 600–900 survive"
    # Rounded outwards to two significant figures: 6309 × 9/20 = 2839.05, × 13/20 = 4100.85
    row = SurvivalRow(label="all", built=6309, registered=20, seen=9, not_lost=13)
    assert (row.low, row.high) == (2800, 4200)
    assert row.estimate == "about 2,800–4,200 survive"


def test_too_few_cars_give_no_estimate():
    few = SURVIVAL_MIN_CARS - 1
    row = SurvivalRow(label="Monte Carlo Blue", built=2, registered=few, seen=few, not_lost=few)
    assert row.low is None and row.high is None
    assert row.estimate == "too few cars to estimate"
    assert SurvivalRow(label="x", built=None, registered=50, seen=1, not_lost=1).estimate == (
        "no production figure"
    )


@pytest.fixture
def survivors():
    """20 white cars (reported 1,000 built) of 2011 and 20 orange ones of 2012.

    White: 12 seen in the last 5 years, 2 written off. Orange: 5 seen, 1 stolen, 4 exported
    (exported cars are not lost). The line's primary figure: 2,000.
    """
    line = ModelLineFactory()
    ProductionFigureFactory(model_line=line, count=2000, is_primary=True)
    white = ColourFactory(model_line=line, name="Alpine White", reported_production=1000)
    orange = ColourFactory(model_line=line, name="Valencia Orange", reported_production=None)
    lately = timezone.localdate() - datetime.timedelta(days=100)
    for i in range(20):
        status = Car.Status.WRITTEN_OFF if i < 2 else Car.Status.ON_THE_ROAD
        car = CarFactory(colour=white, build_date=datetime.date(2011, 5, 1), status=status)
        if i < 12:
            Car.objects.filter(pk=car.pk).update(last_seen_on=lately)
    for i in range(20):
        status = [Car.Status.STOLEN] + [Car.Status.EXPORTED] * 4 + [Car.Status.STORED] * 15
        car = CarFactory(colour=orange, build_date=datetime.date(2012, 3, 1), status=status[i])
        if i < 5:
            Car.objects.filter(pk=car.pk).update(last_seen_on=lately)
    CarFactory(colour=orange, pending=True)  # never counted
    old = CarFactory(colour=white, build_date=datetime.date(2011, 5, 1))  # seen 6 years ago
    Car.objects.filter(pk=old.pk).update(last_seen_on=years_ago(timezone.localdate(), 6))
    rebuild_tallies()  # update() sends no signals
    return line


def test_survivors_per_colour_and_build_year(survivors):
    (line,) = register_stats().survival
    # 41 cars: 14 seen lately and not lost since (12 white less 2 written off, 5 orange less
    # 1 stolen); 38 not lost (2 written off, 1 stolen).
    assert (line.total.registered, line.total.seen, line.total.not_lost) == (41, 14, 38)
    # 2,000 × 14/41 = 682.9 → 680; × 38/41 = 1,853.7 → 1,900
    assert line.total.estimate == "about 680–1,900 survive"

    colours = {row.label: row for row in line.colours}
    white = colours["Alpine White"]
    # 1,000 × 10/21 = 476.2 → 470; × 19/21 = 904.8 → 910
    assert (white.registered, white.seen, white.not_lost) == (21, 10, 19)
    assert white.estimate == "about 470–910 survive"
    assert colours["Valencia Orange"].estimate == "no production figure"

    years = {row.label: row for row in line.years}
    # Production per year shared out: 2,000 × 21/41 = 1,024.4 for 2011, 975.6 for 2012.
    assert years["2011"].built_shown == "about 1,024"
    # 2012: 2,000 × 4/41 = 195.1 → 190; × 19/41 = 926.8 → 930
    assert years["2012"].estimate == "about 190–930 survive"


def test_the_statistics_page_states_the_estimate_and_its_basis(client, survivors):
    html = client.get(reverse("register:stats")).content.decode()
    assert "how many survive?" in html
    assert "about 680–1,900 survive" in html
    assert "Based on 41 cars on the register: 14 seen in the last 5 years" in html
    assert "production × cars seen in the last 5 years ÷ cars on the register" in html
    assert "There are no production figures per year" in html
    assert "<caption" in html and "Survivors by colour" in html


def test_survival_estimates_take_two_queries(survivors, django_assert_num_queries):
    stats = register_stats()
    colours = list(survivors.colours.all())
    with django_assert_num_queries(2):
        survival_estimates(Car.objects.public(), stats.lines, colours)


def test_an_empty_register_estimates_nothing(client):
    ModelLineFactory()
    (line,) = register_stats().survival
    assert line.total.registered == 0
    assert line.total.estimate == "no production figure"
    assert line.years == []
    assert client.get(reverse("register:stats")).status_code == 200


def test_timeline_entries_the_site_writes_are_evidence_too():
    car = CarFactory()
    entry = TimelineEntry(car=car, kind="other", happened_on=DAY, title="x")
    entry.save()
    # Only the services note evidence: a bare save does not (no business logic in signals).
    assert seen(car) == (None, "")


@pytest.mark.django_db(transaction=True)
def test_evidence_noted_at_the_same_moment_keeps_the_latest_date():
    from django.db import transaction

    from tests.threads import run_together

    car = CarFactory()
    days = [DAY + datetime.timedelta(days=n) for n in (3, 9, 1, 7)]

    def note(day):
        def call():
            with transaction.atomic():
                return note_evidence(car.pk, day, EVIDENCE.MILEAGE)

        return call

    results, errors = run_together([note(day) for day in days])
    assert errors == []
    assert any(results)
    assert seen(car) == (max(days), "mileage")
    # And an earlier one afterwards leaves it.
    assert not note_evidence(car.pk, DAY, EVIDENCE.PHOTO)
    assert seen(car) == (max(days), "mileage")


def test_an_entry_corrected_to_a_later_day_is_later_evidence(client, member):
    car = CarFactory(owner=member)
    entry = TimelineEntryFactory(car=car, author=member, happened_on=DAY)
    note_evidence(car.pk, DAY, EVIDENCE.TIMELINE)
    client.force_login(member)
    later = DAY + datetime.timedelta(days=60)
    response = client.post(
        reverse("register:timeline_edit", args=[entry.pk]),
        {"kind": "service", "happened_on": later.isoformat(), "title": "Service"},
    )
    assert response.status_code == 302
    assert seen(car) == (later, "timeline")
    # Corrected back to an earlier day: the date stays (deleting evidence need not move it).
    client.post(
        reverse("register:timeline_edit", args=[entry.pk]),
        {"kind": "service", "happened_on": DAY.isoformat(), "title": "Service"},
    )
    assert seen(car) == (later, "timeline")


def test_a_car_whose_colour_is_in_dispute_counts_in_no_colours_survival(survivors):
    white = Car.objects.filter(colour__name="Alpine White").first()
    Car.objects.filter(pk=white.pk).update(disputed_fields="colour")
    rebuild_tallies()  # update() sends no signals

    (line,) = register_stats().survival

    colours = {row.label: row for row in line.colours}
    assert colours["Alpine White"].registered == 20
    assert line.total.registered == 41
