"""The register's header claims "checked by the registrar" only of cars that were.

The register lists verified cars and accepted, unverified ones: its header says that a
checked car is marked as verified, and says every car was checked only when the visitor
asked for verified cars alone.
"""

import re

import pytest
from django.urls import reverse

from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db
CLAIM = "checked by the registrar"


def header(client, **params) -> str:
    html = client.get(reverse("register:list"), params).content.decode()
    status = re.search(r'<p class="text-body-secondary" role="status">(.*?)</p>', html, re.S)
    return " ".join(status.group(1).split())


def test_the_header_claims_no_check_for_unverified_cars_it_lists(client):
    CarFactory.create_batch(2)
    CarFactory(unverified=True)

    text = header(client)

    assert text.startswith("3 cars match.")
    assert "every one" not in text.lower()
    assert "A car the registrar has checked is marked “✓ Verified”." in text


def test_the_header_says_every_car_was_checked_when_only_verified_ones_are_shown(client):
    CarFactory.create_batch(2)
    CarFactory(unverified=True)

    text = header(client, verified="yes")
    unverified = header(client, verified="no")

    assert text == "2 cars match. Every car shown has been checked by the registrar."
    assert unverified.startswith("1 car matches.")
    assert "Every car shown" not in unverified
