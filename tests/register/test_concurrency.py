"""Members pressing the same button in the same second: the database decides, once.

Each test starts its threads together on a barrier; every thread uses its own database
connection and closes it at the end. On SQLite every atomic() takes the write lock at
its start (transaction_mode IMMEDIATE); on PostgreSQL the services lock rows with
SELECT … FOR UPDATE and the unique constraints do the rest.
"""

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from register import services
from register.models import Car, Ownership, TimelineEntry, Transfer
from register.services import RegisterError
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, ModelLineFactory, TransferFactory

pytestmark = pytest.mark.django_db(transaction=True)

VIN = "WBSUR92050VK12345"


def run_together(count: int, work: Callable[[int], object]) -> list[tuple[str, object]]:
    """Run work(0) … work(count - 1) in threads released at the same instant.

    Returns ("ok", result) or ("error", exception) for each, in order.
    """
    barrier = threading.Barrier(count)
    results: list[tuple[str, object]] = [("not run", None)] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", work(index))
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def outcomes(results) -> tuple[list, list]:
    ok = [value for kind, value in results if kind == "ok"]
    errors = [value for kind, value in results if kind == "error"]
    return ok, errors


def test_a_transfer_accepted_twice_at_once_changes_hands_once():
    seller, buyer = MemberFactory(), MemberFactory()
    car = CarFactory(owner=seller)
    transfer = TransferFactory(car=car, from_member=seller, to_member=buyer)

    results = run_together(2, lambda _: services.transfer_accept(transfer=transfer, member=buyer))

    ok, errors = outcomes(results)
    assert len(ok) == 1, results
    assert len(errors) == 1
    assert isinstance(errors[0], RegisterError)
    assert str(errors[0]) == "This transfer is already accepted."
    assert Ownership.objects.filter(car=car, member=buyer).count() == 1
    assert Ownership.objects.filter(car=car).count() == 2
    assert Ownership.objects.current().get(car=car).member == buyer
    assert TimelineEntry.objects.filter(car=car).count() == 1
    assert Transfer.objects.get().state == Transfer.State.ACCEPTED


def test_a_transfer_accepted_and_cancelled_at_once_ends_one_way_only():
    seller, buyer = MemberFactory(), MemberFactory()
    car = CarFactory(owner=seller)
    transfer = TransferFactory(car=car, from_member=seller, to_member=buyer)

    def press(index: int):
        if index == 0:
            return services.transfer_accept(transfer=transfer, member=buyer)
        return services.transfer_close(transfer=transfer, member=seller)

    results = run_together(2, press)

    ok, errors = outcomes(results)
    assert len(ok) == 1, results
    assert len(errors) == 1
    assert isinstance(errors[0], RegisterError)
    transfer.refresh_from_db()
    owner = Ownership.objects.current().get(car=car).member
    if transfer.state == Transfer.State.ACCEPTED:
        assert owner == buyer
        assert Ownership.objects.filter(car=car).count() == 2
    else:
        assert transfer.state == Transfer.State.CANCELLED
        assert owner == seller
        assert Ownership.objects.filter(car=car).count() == 1


def test_many_members_registering_the_same_vin_at_once_make_one_car():
    line = ModelLineFactory()
    members = [MemberFactory() for _ in range(6)]

    def register(index: int) -> Car:
        return services.car_register(member=members[index], car=Car(vin=VIN, model_line=line))

    results = run_together(len(members), register)

    ok, errors = outcomes(results)
    assert len(ok) == 1, results
    assert len(errors) == len(members) - 1
    # Whoever came second was told by full_clean() or by the unique index.
    assert all(isinstance(exc, ValidationError | IntegrityError) for exc in errors), errors
    car = Car.objects.get()
    assert car.vin == VIN
    assert car.review_status == Car.Review.PENDING
    ownership = Ownership.objects.get()
    assert ownership.car == car
    assert ownership.member == ok[0].registered_by


def test_many_cars_approved_at_once_get_distinct_consecutive_plaque_numbers():
    cars = [CarFactory(owner=MemberFactory(), pending=True) for _ in range(8)]
    staff = MemberFactory(is_staff=True)

    results = run_together(len(cars), lambda i: services.car_approve(car=cars[i], staff=staff))

    ok, errors = outcomes(results)
    assert errors == []
    assert len(ok) == len(cars)
    plaques = sorted(Car.objects.values_list("plaque_number", flat=True))
    assert plaques == list(range(plaques[0], plaques[0] + len(cars)))
    assert sorted(car.plaque_number for car in ok) == plaques
    assert set(Car.objects.values_list("review_status", flat=True)) == {Car.Review.VERIFIED}
