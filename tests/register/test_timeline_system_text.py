"""Timeline entries the site writes are stored as kinds and worded in the reader's language."""

import datetime
import importlib

from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from register.models import TimelineEntry
from register.timeline import SYSTEM_TEXTS, system_entry, system_title
from tests.register.factories import CarFactory, TimelineEntryFactory

ON = datetime.date(2024, 6, 1)


def test_a_system_entry_is_worded_in_the_active_language(db):
    car = CarFactory(market="NL")
    entry = system_entry(car, "delivered_in", ON, kind="delivered", country="NL")
    entry.save()

    with translation.override("en"):
        assert entry.display_title == "Delivered new in Netherlands"
    with translation.override("de"):
        assert entry.display_title == "Neu ausgeliefert in Niederlande"
    assert entry.title == ""


def test_every_system_text_has_a_german_wording():
    for key in SYSTEM_TEXTS:
        with translation.override("en"):
            english = system_title(key, {"country": "DE"})
        with translation.override("de"):
            german = system_title(key, {"country": "DE"})
        assert german != english, key


def test_an_unknown_key_is_refused_when_written_and_shown_as_itself_when_read(db):
    car = CarFactory()
    try:
        system_entry(car, "no_such_text", ON, kind="other")
    except ValueError:
        pass
    else:
        raise AssertionError("an unknown key was accepted")
    assert system_title("no_such_text") == "no_such_text"


def test_the_car_page_shows_a_transfer_entry_in_german(client, member):
    car = CarFactory(owner=member)
    system_entry(car, "transfer_club", ON, kind=TimelineEntry.Kind.SOLD).save()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    german = client.get(car.get_absolute_url()).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(car.get_absolute_url()).content.decode()

    assert "Innerhalb des Clubs den Besitzer gewechselt" in german
    assert "Changed hands within the club" not in german
    assert "Changed hands within the club" in english


def test_staff_who_keep_the_wording_keep_the_kind_and_who_change_it_own_it(client, staff):
    car = CarFactory()
    entry = system_entry(car, "transfer_club", ON, kind=TimelineEntry.Kind.SOLD)
    entry.save()
    client.force_login(staff)
    url = reverse("register:timeline_edit", args=[entry.pk])
    form = {"kind": "sold", "happened_on": "2024-06-01", "body": ""}

    page = client.get(url).content.decode()
    client.post(url, {**form, "title": "Changed hands within the club"})
    entry.refresh_from_db()
    kept = (entry.system_text, entry.title)
    client.post(url, {**form, "title": "Sold to a friend at the 2024 meet"})
    entry.refresh_from_db()

    assert 'value="Changed hands within the club"' in page
    assert kept == ("transfer_club", "")
    assert (entry.system_text, entry.title) == ("", "Sold to a friend at the 2024 meet")
    assert entry.display_title == "Sold to a friend at the 2024 meet"


def test_the_migration_turns_the_sites_english_titles_into_kinds(db):
    migration = importlib.import_module("register.migrations.0010_timeline_system_text")
    car = CarFactory(market="DE")
    transfer = TimelineEntryFactory(car=car, author=None, title="Changed hands within the club")
    delivered = TimelineEntryFactory(car=car, author=None, title="Delivered new in Germany")
    own = TimelineEntryFactory(car=car, author=None, title="Delivered new in a crate")

    migration.store_as_kinds(apps, None)

    for entry in (transfer, delivered, own):
        entry.refresh_from_db()
    assert (transfer.system_text, transfer.title) == ("transfer_club", "")
    assert (delivered.system_text, delivered.params) == ("delivered_in", {"country": "DE"})
    assert (own.system_text, own.title) == ("", "Delivered new in a crate")
