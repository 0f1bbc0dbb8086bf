"""Mileage that goes backwards is confirmed and flagged; owners correct their own entries."""

import datetime

import pytest
from django.urls import reverse

from register.models import MileageReading, TimelineEntry
from tests.register.factories import CarFactory, MileageReadingFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def reading_data(**overrides) -> dict:
    return {"read_on": "2024-05-01", "distance": "40000", "unit": "km", **overrides}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Mileage that goes backwards ------------------------------------------------------


def test_a_reading_lower_than_the_last_asks_for_confirmation_first(client_for, member):
    car = CarFactory(owner=member)
    MileageReadingFactory(car=car, read_on=D(2023, 5, 1), kilometres=45_000)
    client = client_for(member)

    response = client.post(reverse("register:mileage_add", args=[car.pk]), reading_data())

    assert response.status_code == 200
    page = response.content.decode()
    assert "This reading goes backwards: the car had 45,000 km on 1 May 2023." in page
    assert 'type="checkbox" name="confirm_lower"' in page
    assert car.mileage_readings.count() == 1


def test_a_confirmed_lower_reading_is_stored_flagged_and_shown_so(client_for, member):
    car = CarFactory(owner=member)
    MileageReadingFactory(car=car, read_on=D(2023, 5, 1), kilometres=45_000)
    client = client_for(member)

    response = client.post(
        reverse("register:mileage_add", args=[car.pk]), reading_data(confirm_lower="on")
    )

    assert response.status_code == 302
    reading = car.mileage_readings.get(kilometres=40_000)
    assert reading.flagged is True
    page = client.get(car.get_absolute_url()).content.decode()
    assert "goes backwards" in page


def test_a_reading_higher_than_the_last_is_stored_without_a_question(client_for, member):
    car = CarFactory(owner=member)
    MileageReadingFactory(car=car, read_on=D(2023, 5, 1), kilometres=35_000)
    # An older reading with fewer kilometres, entered late, is no contradiction either.
    client = client_for(member)

    client.post(reverse("register:mileage_add", args=[car.pk]), reading_data())
    client.post(
        reverse("register:mileage_add", args=[car.pk]),
        reading_data(read_on="2020-05-01", distance="20000"),
    )

    assert list(car.mileage_readings.values_list("kilometres", "flagged")) == [
        (40_000, False),
        (35_000, False),
        (20_000, False),
    ]


def test_a_back_dated_reading_higher_than_a_later_one_is_flagged_too(member):
    car = CarFactory(owner=member)
    MileageReadingFactory(car=car, read_on=D(2023, 5, 1), kilometres=45_000)

    late = MileageReading(car=car, read_on=D(2020, 1, 1), kilometres=60_000)

    assert late.goes_back_from().kilometres == 45_000


# --- Correcting and deleting entries ----------------------------------------------------


def test_the_owner_corrects_their_timeline_entry_and_the_history_keeps_the_old_text(
    client_for, member
):
    car = CarFactory(owner=member)
    entry = TimelineEntryFactory(car=car, author=member, title="Sevice at the dealer")
    client = client_for(member)
    edit = reverse("register:timeline_edit", args=[entry.pk])

    assert edit in client.get(car.get_absolute_url()).content.decode()
    response = client.post(
        edit, {"kind": "service", "happened_on": "2019-05-04", "title": "Service at the dealer"}
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "Service at the dealer"
    assert list(entry.history.values_list("title", "history_user")) == [
        ("Service at the dealer", member.pk),
        ("Sevice at the dealer", None),
    ]


def test_the_owner_deletes_their_entry_after_ticking_the_box_and_the_history_keeps_it(
    client_for, member
):
    car = CarFactory(owner=member)
    entry = TimelineEntryFactory(car=car, author=member, title="Track day, wrong car")
    client = client_for(member)
    delete = reverse("register:timeline_delete", args=[entry.pk])

    unconfirmed = client.post(delete, follow=True)
    assert "Please tick the box to confirm the deletion." in messages_of(unconfirmed)
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()

    client.post(delete, {"confirm": "on"})

    assert not TimelineEntry.objects.filter(pk=entry.pk).exists()
    gone = TimelineEntry.history.filter(id=entry.pk).first()
    assert (gone.history_type, gone.title, gone.history_user) == (
        "-",
        "Track day, wrong car",
        member,
    )
    assert "Track day, wrong car" not in client.get(car.get_absolute_url()).content.decode()


def test_the_owner_corrects_a_mileage_reading_and_deletes_another(client_for, member):
    car = CarFactory(owner=member)
    typo = MileageReadingFactory(car=car, read_on=D(2023, 5, 1), kilometres=450_000)
    wrong = MileageReadingFactory(car=car, read_on=D(2022, 5, 1), kilometres=10_000)
    for reading in (typo, wrong):
        reading.recorded_by = member
        reading.save()
    client = client_for(member)

    form = client.get(reverse("register:mileage_edit", args=[typo.pk]))
    assert 'value="450000"' in form.content.decode()
    client.post(reverse("register:mileage_edit", args=[typo.pk]), reading_data(distance="45000"))
    client.post(reverse("register:mileage_delete", args=[wrong.pk]), {"confirm": "on"})

    assert list(car.mileage_readings.values_list("kilometres", flat=True)) == [45_000]
    assert list(typo.history.values_list("kilometres", flat=True)) == [45_000, 450_000, 450_000]
    assert MileageReading.history.filter(id=wrong.pk, history_type="-").get().kilometres == 10_000


def test_a_correction_that_goes_backwards_asks_for_confirmation_too(client_for, member):
    car = CarFactory(owner=member)
    MileageReadingFactory(car=car, read_on=D(2022, 5, 1), kilometres=30_000)
    reading = MileageReadingFactory(car=car, read_on=D(2023, 5, 1), kilometres=35_000)
    reading.recorded_by = member
    reading.save()
    client = client_for(member)

    response = client.post(
        reverse("register:mileage_edit", args=[reading.pk]), reading_data(distance="25000")
    )

    assert response.status_code == 200
    assert "goes backwards" in response.content.decode()
    reading.refresh_from_db()
    assert reading.kilometres == 35_000


def test_an_earlier_owners_entry_cannot_be_changed_by_the_owner_now(client_for, member):
    car = CarFactory(owner=member)
    entry = TimelineEntryFactory(car=car, author=None, title="Delivered new")
    client = client_for(member)

    page = client.get(car.get_absolute_url()).content.decode()
    response = client.post(reverse("register:timeline_delete", args=[entry.pk]), {"confirm": "on"})

    assert reverse("register:timeline_edit", args=[entry.pk]) not in page
    assert response.status_code == 403
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()


def test_an_entry_of_a_car_sold_on_is_no_longer_its_authors_to_change(
    client_for, member, other_member
):
    car = CarFactory(owner=other_member)
    entry = TimelineEntryFactory(car=car, author=member, title="Written while I owned it")

    response = client_for(member).post(
        reverse("register:timeline_delete", args=[entry.pk]), {"confirm": "on"}
    )

    assert response.status_code == 403
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()


def test_a_tampered_entry_id_is_a_404(client_for, member):
    response = client_for(member).get(reverse("register:mileage_edit", args=[999_999]))

    assert response.status_code == 404
