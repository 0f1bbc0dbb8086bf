"""A form sent with mistakes says so at its top, and every error is tied to its field.

Each form page, sent empty, shows the error summary (templates/includes/_form_errors.html):
role="alert", focusable (static/js/form-errors.js moves the focus to it on load), with a
link to each field in error. A field in error is marked aria-invalid="true" and described
by the element holding its error, whether crispy-forms renders it or a template does by hand.
The browser side, where the focus lands, is in tests/browser/test_issue18_screens.py.
"""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.meets.factories import MeetFactory
from tests.register.factories import CarFactory


class Page(HTMLParser):
    """The elements by id, the error summaries, and each element's text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict] = {}
        self.summaries: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, **{name: value or "" for name, value in attrs}, "text": ""}
        if element.get("id"):
            self.by_id[element["id"]] = element
        if "data-error-summary" in element:
            self.summaries.append(element)
        if tag not in ("input", "img", "br", "meta", "link", "hr"):
            self._open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def assert_summary(html: str, where: str) -> Page:
    page = Page(html)
    assert len(page.summaries) == 1, f"{where}: {len(page.summaries)} error summaries"
    summary = page.summaries[0]
    assert summary["role"] == "alert", where
    assert summary["tabindex"] == "-1", where
    assert "Please correct the errors below." in summary["text"], where
    return page


@pytest.mark.django_db
def test_an_empty_vin_is_tied_to_the_vin_field(member):
    response = client_for(member).get("/register/claim/", {"vin": ""})

    page = assert_summary(response.content.decode(), "claim by VIN")
    field = page.by_id["id_vin"]
    assert field["aria-invalid"] == "true"
    assert "is-invalid" in field["class"].split()
    described = [page.by_id[i]["text"] for i in field["aria-describedby"].split()]
    assert any("This field is required." in text for text in described), described
    assert 'href="#id_vin"' in response.content.decode()


@pytest.mark.django_db
def test_a_fine_vin_search_marks_nothing_invalid(member):
    response = client_for(member).get("/register/claim/", {"vin": "WBAUR91060VZ00001"})

    page = Page(response.content.decode())
    assert page.summaries == []
    assert "aria-invalid" not in page.by_id["id_vin"]


@pytest.fixture
def forms(member, organiser, staff):
    """(label, user, method, path) of the site's forms, each sent with nothing filled in."""
    car = CarFactory(owner=member)
    other_car = CarFactory()
    meet = MeetFactory(organisers=[organiser])
    return [
        ("log in", None, "post", "/accounts/login/"),
        ("sign up", None, "post", "/accounts/signup/"),
        ("password reset", None, "post", "/accounts/password/reset/"),
        ("change password", member, "post", "/accounts/password/change/"),
        ("profile", member, "post", "/accounts/profile/edit/"),
        ("claim by VIN", member, "get", "/register/claim/?vin="),
        ("claim a car", member, "post", f"/register/cars/{other_car.pk}/claim/"),
        ("register a car", member, "post", "/register/add/"),
        ("edit a car", member, "post", f"/register/cars/{car.pk}/edit/"),
        ("timeline entry", member, "post", f"/register/cars/{car.pk}/timeline/"),
        ("mileage", member, "post", f"/register/cars/{car.pk}/mileage/"),
        ("photo", member, "post", f"/register/cars/{car.pk}/photos/"),
        ("transfer", member, "post", f"/register/cars/{car.pk}/transfer/"),
        ("sighting", member, "post", "/register/sightings/new/"),
        ("RSVP", member, "post", f"/meets/{meet.slug}/rsvp/"),
        ("new meet", organiser, "post", "/meets/new/"),
        ("meet message", organiser, "post", f"/meets/{meet.slug}/message/"),
        ("import cars", staff, "post", "/register/staff/import/"),
        ("bank statement", staff, "post", "/office/statements/"),
    ]


def test_every_form_sent_empty_shows_the_error_summary(forms):
    missing = []
    for label, user, method, path in forms:
        # A browser sends every field, empty: a POST without any would leave the forms
        # that take `request.POST or None` unbound.
        data = {"sent": "empty"} if method == "post" else None
        response = getattr(client_for(user), method)(path, data)
        if response.status_code not in (200, 400):
            missing.append(f"{label}: {path} answered {response.status_code}")
            continue
        page = Page(response.content.decode())
        summary = page.summaries[0] if len(page.summaries) == 1 else {}
        if summary.get("role") != "alert" or summary.get("tabindex") != "-1":
            missing.append(f"{label}: {path} has {len(page.summaries)} error summaries")

    assert not missing, "\n".join(missing)


def test_the_focus_script_is_on_every_page_and_allowed_by_the_policy(client):
    html = client.get("/").content.decode()

    assert '<script src="/static/js/form-errors.js"></script>' in html
    script = (Path(settings.BASE_DIR) / "static" / "js" / "form-errors.js").read_text()
    assert "[data-error-summary]" in script
    assert '[aria-invalid="true"]' in script


def test_a_choice_of_radio_buttons_or_boxes_is_linked_to_its_first_one():
    from django import forms
    from django.template.loader import render_to_string

    class Choices(forms.Form):
        size = forms.ChoiceField(choices=[("s", "Small"), ("l", "Large")], widget=forms.RadioSelect)
        extras = forms.MultipleChoiceField(
            choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
        )

    html = render_to_string("includes/_form_errors.html", {"form": Choices({"x": "1"})})

    # Each error's link leads to a field that exists: the group's first button or box.
    assert 'href="#id_size_0"' in html
    assert 'href="#id_extras_0"' in html
    assert 'href="#"' not in html
