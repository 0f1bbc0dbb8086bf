"""A form sent twice is handled once: the {% form_once %} token and its middleware."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import FormSubmission
from register.models import MileageReading
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


def token_of(response) -> str:
    return re.search(r'name="form_once" value="([0-9a-f]{32})"', response.content.decode())[1]


@pytest.fixture
def mileage(member, member_client):
    car = CarFactory(owner=member)
    path = reverse("register:mileage_add", args=[car.pk])
    token = token_of(member_client.get(path))
    return car, path, token


def test_each_rendering_of_a_form_has_its_own_token(member_client, mileage):
    car, path, token = mileage
    assert token_of(member_client.get(path)) != token


def test_the_second_send_of_a_form_is_sent_where_the_first_led(member_client, mileage):
    car, path, token = mileage
    data = {"read_on": "2024-05-04", "distance": 48_000, "unit": "km", "form_once": token}

    first = member_client.post(path, data)
    second = member_client.post(path, data, follow=True)

    assert first.status_code == 302
    assert second.redirect_chain[0] == (first["Location"], 302)
    assert "You sent this form twice; it was handled once." in second.content.decode()
    assert MileageReading.objects.filter(car=car).count() == 1
    assert FormSubmission.objects.get(token=token).outcome_url == first["Location"]


def test_a_form_that_came_back_with_errors_can_be_sent_again(member_client, mileage):
    car, path, token = mileage
    wrong = {"read_on": "2024-05-04", "distance": -5, "unit": "km", "form_once": token}

    assert member_client.post(path, wrong).status_code == 200
    assert not FormSubmission.objects.filter(token=token).exists()
    right = {**wrong, "distance": 48_000}
    assert member_client.post(path, right).status_code == 302
    assert MileageReading.objects.filter(car=car).count() == 1


def test_a_form_without_a_token_is_handled_as_before(member_client, mileage):
    car, path, _ = mileage
    data = {"read_on": "2024-05-04", "distance": 48_000, "unit": "km"}

    member_client.post(path, data)
    member_client.post(path, {**data, "form_once": "not-a-token"})

    assert MileageReading.objects.filter(car=car).count() == 2
    assert not FormSubmission.objects.exists()


def test_a_second_send_waits_for_a_first_that_is_still_being_handled(
    member_client, mileage, monkeypatch
):
    from accounts.middleware import OnceOnlyFormMiddleware

    car, path, token = mileage
    FormSubmission.objects.create(token=token, path=path)  # the first, never finishing
    monkeypatch.setattr(OnceOnlyFormMiddleware, "WAIT_FOR_FIRST", 0.1)
    data = {"read_on": "2024-05-04", "distance": 48_000, "unit": "km", "form_once": token}

    response = member_client.post(path, data, follow=True)

    assert response.redirect_chain == [(path, 302)]
    assert "This form is still being handled." in response.content.decode()
    assert not MileageReading.objects.exists()


def test_old_tokens_are_forgotten():
    old = FormSubmission.objects.create(token="a" * 32, path="/")
    FormSubmission.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    recent = FormSubmission.objects.create(token="b" * 32, path="/")

    call_command("purge_form_submissions", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert list(FormSubmission.objects.all()) == [recent]


# Forms that may be sent twice with no harm: logging out and picking a language.
IDEMPOTENT = {"account_logout", "accounts:language"}


def test_every_form_of_ours_carries_a_one_time_token():
    missing = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text()
        for form in re.finditer(r'<form\b[^>]*method="post"[^>]*>.*?</form>', text, re.S | re.I):
            action = re.search(r"{% url '([\w:]+)'", form.group(0).split(">", 1)[0])
            if action and action[1] in IDEMPOTENT:
                continue
            if "{% form_once %}" not in form.group(0):
                missing.append(f"{template.name}: {form.group(0)[:80]}")
    assert missing == []
