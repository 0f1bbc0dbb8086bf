"""Fixtures for the register's tests: logged-in clients, colours, the media folder."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from register.models import Colour
from tests.register.factories import ColourFactory, ModelLineFactory


@pytest.fixture
def client_for(db):
    """A fresh test client logged in as `user` (None: an anonymous visitor)."""

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def model_line(db):
    return ModelLineFactory()


@pytest.fixture
def monte_carlo_blue(model_line):
    """The rarest paint: BMW Individual, reported on two cars only."""
    return ColourFactory(
        model_line=model_line,
        name="Monte Carlo Blue",
        paint_code="X04",
        kind=Colour.Kind.SPECIAL,
        swatch="#1F4E9C",
        reported_production=2,
    )


@pytest.fixture
def valencia_orange(model_line):
    return ColourFactory(model_line=model_line, name="Valencia Orange", paint_code="A76")


@pytest.fixture
def media_files():
    """The files stored under MEDIA_ROOT right now, as paths relative to it."""

    def files() -> set[str]:
        root = Path(settings.MEDIA_ROOT)
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    return files
