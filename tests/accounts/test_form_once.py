"""A form sent twice is handled once: the {% form_once %} token and its middleware."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import FormSubmission
from register.models import MileageReading
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


def token_of(response) -> str:
    return re.search(r'name="form_once" value="([0-9a-f]{64})"', response.content.decode())[1]


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
    member_client.post(path, data)

    assert MileageReading.objects.filter(car=car).count() == 2
    assert not FormSubmission.objects.exists()


# --- Only a token the server issued, to this session, for this form ------------------------

REFUSED = (
    "This form had expired or was not meant for this page, so it was not sent. "
    "Please fill it in and send it again."
)
READING = {"read_on": "2024-05-04", "distance": 48_000, "unit": "km"}


def assert_refused(response, *, back_to: str) -> None:
    assert response.redirect_chain == [(back_to, 302)]
    assert REFUSED in response.content.decode()
    assert not MileageReading.objects.exists()
    assert not FormSubmission.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("0123456789abcdef" * 2, id="32 hex, as tokens once were"),
        pytest.param("0123456789abcdef" * 4, id="64 hex, the shape of a real one"),
        pytest.param("not-a-token", id="not hex"),
    ],
)
def test_a_token_the_server_did_not_issue_is_refused(member_client, mileage, token):
    car, path, _ = mileage

    response = member_client.post(path, {**READING, "form_once": token}, follow=True)

    assert_refused(response, back_to=path)


def test_a_token_of_another_members_page_is_refused(other_member, mileage):
    car, path, token = mileage  # issued to the member's session
    other = Client()
    other.force_login(other_member)

    response = other.post(path, {**READING, "form_once": token}, follow=True)

    assert response.redirect_chain[0] == (path, 302)
    assert REFUSED in response.content.decode()
    assert not MileageReading.objects.exists()


def test_a_token_of_the_same_member_in_another_session_is_refused(member, mileage):
    car, path, token = mileage
    browser = Client()  # the member's other browser: another session
    browser.force_login(member)

    browser.post(path, {**READING, "form_once": token})

    assert not MileageReading.objects.exists()
    assert not FormSubmission.objects.exists()


def test_a_token_for_one_form_sent_with_another_is_refused(member, member_client, mileage):
    car, mileage_path, _ = mileage
    timeline_path = reverse("register:timeline_add", args=[car.pk])
    other_car = CarFactory(owner=member)
    other_path = reverse("register:mileage_add", args=[other_car.pk])
    token = token_of(member_client.get(mileage_path))

    to_timeline = member_client.post(
        timeline_path,
        {"kind": "service", "happened_on": "2024-05-04", "title": "Oil", "form_once": token},
        follow=True,
    )
    to_other_car = member_client.post(other_path, {**READING, "form_once": token}, follow=True)

    assert REFUSED in to_timeline.content.decode()
    assert not car.timeline.exists()
    assert_refused(to_other_car, back_to=other_path)


def test_a_refused_form_goes_back_to_the_page_it_was_on(member, member_client):
    car = CarFactory(owner=member)
    page = car.get_absolute_url()
    from tests.register.factories import PhotoFactory

    photo = PhotoFactory(car=car, is_cover=False)
    cover_path = reverse("register:photo_cover", args=[photo.pk])

    response = member_client.post(
        cover_path, {"form_once": "f" * 64}, HTTP_REFERER=f"http://testserver{page}"
    )

    assert (response.status_code, response["Location"]) == (302, f"http://testserver{page}")
    photo.refresh_from_db()
    assert not photo.is_cover


def test_a_token_for_a_form_with_an_action_is_issued_for_that_action(member, member_client):
    from tests.register.factories import PhotoFactory

    car = CarFactory(owner=member)
    PhotoFactory(car=car, is_cover=True)
    photo = PhotoFactory(car=car, is_cover=False)
    cover_path = reverse("register:photo_cover", args=[photo.pk])
    html = member_client.get(car.get_absolute_url()).content.decode()
    form = re.search(rf'<form[^>]*action="{cover_path}".*?</form>', html, re.S)[0]
    token = re.search(r'name="form_once" value="([0-9a-f]{64})"', form)[1]

    response = member_client.post(cover_path, {"form_once": token})

    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.is_cover


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


def test_every_form_of_ours_carries_a_one_time_token_for_its_own_address():
    """A form sent to its own page has `{% form_once %}`; a form with an action names the
    same URL in its tag as in the action, or its token would be refused."""
    wrong = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text()
        for form in re.finditer(r'<form\b[^>]*method="post"[^>]*>.*?</form>', text, re.S | re.I):
            head = form.group(0).split(">", 1)[0]
            action = re.search(r'action="([^"]*)"', head)
            urls = sorted(re.findall(r"{% url ([^%]+?) %}", action[1])) if action else []
            if urls and urls[0].split()[0].strip("'") in IDEMPOTENT:
                continue
            tags = sorted(
                args.strip() for args in re.findall(r"{% form_once([^%]*)%}", form.group(0))
            )
            if tags != (urls or [""]):
                wrong.append(f"{template.name}: {form.group(0)[:80]} has {tags}")
    assert wrong == []
