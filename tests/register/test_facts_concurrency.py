"""Settling one disputed fact twice at the same moment settles it once."""

import pytest

from register import fact_services
from register.facts import CarFact, FactSettlement
from register.models import Car
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, ColourFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_registrars_settling_one_dispute_at_once_settle_it_once():
    staff = MemberFactory(is_staff=True)
    car = CarFactory()
    orange = ColourFactory(model_line=car.model_line, name="Valencia Orange", paint_code="A76")
    fact_services.car_fact_add(
        car=car,
        field="colour",
        value=orange,
        source=CarFact.Source.BUILD_SHEET,
        confidence=CarFact.Confidence.CONFIRMED,
        user=staff,
    )

    def settle(key):
        return lambda: fact_services.car_fact_settle(
            car=car, field="colour", key=key, staff=staff, reason="Both looked at once."
        )

    results, errors = run_together([settle(str(orange.pk)), settle(str(car.colour_id))])

    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], fact_services.FactError)
    assert FactSettlement.objects.count() == 1
    assert Car.objects.get(pk=car.pk).disputed_fields == ""
