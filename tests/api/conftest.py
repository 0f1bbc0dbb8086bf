"""Fixtures for the public API's tests: a JSON-reading client and a small register."""

import json

import pytest
from django.test import Client

from register.models import CarPhoto
from tests.register.factories import (
    CarFactory,
    ColourFactory,
    ModelLineFactory,
    ProductionFigureFactory,
)


@pytest.fixture
def api(db):
    """An anonymous client whose `get_json` returns (response, parsed body)."""
    client = Client()

    def get_json(url, data=None, **extra):
        response = client.get(url, data, **extra)
        body = json.loads(response.content) if response.content else None
        return response, body

    client.get_json = get_json
    return client


def add_photo(car, name="front"):
    return CarPhoto.objects.create(
        car=car,
        image=f"cars/{car.pk}/{name}.jpg",
        thumbnail=f"cars/{car.pk}/{name}-thumb.jpg",
        width=1600,
        height=1200,
        caption="Parked outside Karl Captionmann's garage",
        is_cover=name == "front",
    )


@pytest.fixture
def register(db):
    """Two model lines, figures that disagree, colours, and public cars of several kinds."""
    coupe = ModelLineFactory()
    other = ModelLineFactory(name="BMW M3 CSL (E46)", production_start=2003, production_end=2004)
    ProductionFigureFactory(model_line=coupe, count=6309, source="BMW press", is_primary=True)
    ProductionFigureFactory(
        model_line=coupe, label="all cars", count=6342, source="Build sheets", note="with tests"
    )
    white = ColourFactory(model_line=coupe)
    orange = ColourFactory(
        model_line=coupe, name="Valencia Orange", paint_code="A76", reported_production=2600
    )
    silver = ColourFactory(model_line=other, name="Silver Grey", paint_code="A08")
    first = CarFactory(model_line=coupe, colour=orange, country="DE")
    add_photo(first)
    second = CarFactory(
        model_line=coupe, colour=white, country="NL", build_date="2012-03-01", status="stored"
    )
    third = CarFactory(model_line=other, colour=silver, country="GB", unverified=True)
    return {
        "coupe": coupe,
        "other": other,
        "white": white,
        "orange": orange,
        "silver": silver,
        "first": first,
        "second": second,
        "third": third,
    }
