"""Bounded input: every free text has a length limit, checked by its form with a message.

Only the 5 MB request cap stood between a member and a 1,000,000-character options field,
a 100,000-character story or a 1 MB organiser message (which was mailed out). A TextField
has no max_length, so the form field Django makes for it takes any length: the forms
declare each with `model_text_field(..., max_length=...)`, and the first test below fails
for any text field of any form of ours that has no limit.
"""

import importlib
import pkgutil

import pytest
from django import forms
from django.core import mail
from django.test import Client
from django.urls import reverse

from meets.forms import MESSAGE_BODY_MAX_LENGTH
from meets.models import Message
from meets.questions import LABEL_MAX_LENGTH, QUESTIONS_MAX
from register.forms import OPTION_MAX_LENGTH, OPTIONS_MAX_LINES, STORY_MAX_LENGTH
from register.models import Car
from tests.meets.factories import MeetFactory, RSVPFactory
from tests.register.factories import CarFactory
from tests.register.test_workflows import car_data

APPS = ("accounts", "membership", "register", "meets", "config")
NOT_FREE_TEXT = {
    # Not typed by anyone: the admin's list of ticked rows, a list of ids read with getlist().
    ("register.admin", "ReasonForm", "_selected_action"),
    # Django's own password fields, for staff in the admin: hashed, never stored as typed.
    ("accounts.admin", "MemberCreationForm", "password1"),
    ("accounts.admin", "MemberCreationForm", "password2"),
    # allauth's username, inherited by our sign-up form: allauth bounds it when the form is
    # made, and drops it, since members log in with their e-mail address and have no username.
    ("accounts.forms", "SignupForm", "username"),
}


def _project_forms() -> list[type[forms.BaseForm]]:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module.name or module.name.endswith(("wsgi", "asgi")):
                continue
            importlib.import_module(module.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in APPS:
            found.append(cls)
    return found


def test_the_walk_finds_the_forms_of_every_app():
    names = {form.__name__ for form in _project_forms()}
    assert {"CarForm", "MessageForm", "ProfileForm", "ImportForm", "ReasonForm"} <= names


def test_every_text_field_of_every_form_of_ours_has_a_length_limit():
    unbounded = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _project_forms()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.CharField)
        and not field.max_length
        and (form.__module__, form.__name__, name) not in NOT_FREE_TEXT
    ]
    assert unbounded == []


def test_a_text_field_says_its_limit_to_the_browser():
    from register.forms import CarForm

    html = str(CarForm()["story"])
    assert f'maxlength="{STORY_MAX_LENGTH}"' in html


# --- On the pages: a clear message, nothing stored, nothing sent ----------------------------


@pytest.fixture
def car(member):
    return CarFactory(owner=member, story="", options="")


@pytest.fixture
def client_for(db):
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def post_car(client_for, member, car, **changes):
    data = car_data(car.model_line, car.colour, vin=car.vin, **changes)
    return client_for(member).post(reverse("register:edit", args=[car.pk]), data)


def test_a_story_of_100000_characters_is_refused_with_its_limit(client_for, member, car):
    response = post_car(client_for, member, car, story="x" * 100_000)

    assert response.status_code == 200
    assert (
        f"Ensure this value has at most {STORY_MAX_LENGTH} characters (it has 100000)."
        in response.content.decode()
    )
    car.refresh_from_db()
    assert car.story == ""


def test_a_story_at_the_limit_with_line_breaks_from_a_browser_is_kept(client_for, member, car):
    # The browser counts each line break as one character but sends \r\n.
    story = ("y" * 99 + "\r\n") * (STORY_MAX_LENGTH // 100)

    response = post_car(client_for, member, car, story=story)

    assert response.status_code == 302
    car.refresh_from_db()
    assert len(car.story) == STORY_MAX_LENGTH - 1  # the last line break is stripped
    assert "\r" not in car.story


def test_an_options_field_of_a_million_characters_is_refused(client_for, member, car):
    response = post_car(client_for, member, car, options="x" * 1_000_000)

    assert response.status_code == 200
    assert "Line 1 has 1000000 characters; please keep each line to" in (response.content.decode())
    assert Car.objects.get(pk=car.pk).options == ""


def test_too_many_options_are_refused_with_a_count(client_for, member, car):
    options = "\n".join(f"Option {n}" for n in range(OPTIONS_MAX_LINES + 1))

    response = post_car(client_for, member, car, options=options)

    assert response.status_code == 200
    assert (
        f"Please keep to {OPTIONS_MAX_LINES} lines (this has {OPTIONS_MAX_LINES + 1})."
        in response.content.decode()
    )


def test_an_option_too_long_is_refused_with_its_line(client_for, member, car):
    options = "Sunroof\n" + "z" * (OPTION_MAX_LENGTH + 1)

    response = post_car(client_for, member, car, options=options)

    assert response.status_code == 200
    assert (
        f"Line 2 has {OPTION_MAX_LENGTH + 1} characters; please keep each line to "
        f"{OPTION_MAX_LENGTH}." in response.content.decode()
    )


def test_options_are_kept_one_a_line_without_blank_lines(client_for, member):
    # Not verified: the owner's change is saved at once (a verified car's goes to review).
    car = CarFactory(owner=member, story="", options="", unverified=True)

    post_car(client_for, member, car, options="  Sunroof \r\n\r\n Navigation\r\n")

    assert Car.objects.get(pk=car.pk).options == "Sunroof\nNavigation"


def test_an_organiser_message_of_a_megabyte_is_refused_and_not_sent(client_for, organiser):
    meet = MeetFactory(organisers=[organiser])
    RSVPFactory(meet=meet)

    response = client_for(organiser).post(
        reverse("meets:message", args=[meet.slug]),
        {"audience": "going", "subject": "Hello", "body": "m" * 1_000_000},
    )

    assert response.status_code == 200
    assert (
        f"Ensure this value has at most {MESSAGE_BODY_MAX_LENGTH} characters"
        in response.content.decode()
    )
    assert not Message.objects.exists()
    assert mail.outbox == []


def test_too_many_questions_for_attendees_are_refused(organiser):
    from meets.question_forms import QuestionFormSet

    meet = MeetFactory(organisers=[organiser])
    count = QUESTIONS_MAX + 1
    data = {
        "questions-TOTAL_FORMS": str(count),
        "questions-INITIAL_FORMS": "0",
        **{f"questions-{n}-label": f"Question {n}?" for n in range(count)},
        **{f"questions-{n}-kind": "text" for n in range(count)},
        **{f"questions-{n}-asked_at": "rsvp" for n in range(count)},
        **{f"questions-{n}-position": str(n) for n in range(count)},
    }
    formset = QuestionFormSet(data, meet=meet, prefix="questions")

    assert not formset.is_valid()
    assert formset.non_form_errors() == [f"Please submit at most {QUESTIONS_MAX} forms."]
    data = {**data, "questions-TOTAL_FORMS": "1", "questions-0-label": "q" * (LABEL_MAX_LENGTH + 1)}
    long_question = QuestionFormSet(data, meet=meet, prefix="questions")
    assert not long_question.is_valid()
    assert "at most 200 characters" in long_question.forms[0].errors["label"][0]


# --- Lists a member can grow have a cap ----------------------------------------------------


def test_a_car_full_of_photos_takes_no_more(client_for, member, car, monkeypatch, settings):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from register import services
    from tests.accounts.images import jpeg_bytes
    from tests.register.factories import PhotoFactory

    monkeypatch.setattr(services, "PHOTOS_PER_CAR", 2)
    PhotoFactory.create_batch(2, car=car)
    files_before = set(Path(settings.MEDIA_ROOT).rglob("*"))

    response = client_for(member).post(
        reverse("register:photo_add", args=[car.pk]),
        {"image": SimpleUploadedFile("car.jpg", jpeg_bytes(), "image/jpeg"), "caption": "One more"},
    )

    assert response.status_code == 200
    assert (
        "This car has 2 photos, the most it can have. Delete one to add another."
        in response.content.decode()
    )
    assert car.photos.count() == 2
    assert set(Path(settings.MEDIA_ROOT).rglob("*")) == files_before


def test_a_full_timeline_takes_no_more_entries(client_for, member, car, monkeypatch):
    from register import services
    from tests.register.factories import TimelineEntryFactory

    monkeypatch.setattr(services, "TIMELINE_ENTRIES_PER_CAR", 2)
    TimelineEntryFactory.create_batch(2, car=car)

    response = client_for(member).post(
        reverse("register:timeline_add", args=[car.pk]),
        {"kind": "service", "happened_on": "2024-05-04", "title": "Oil change"},
    )

    assert response.status_code == 200
    assert "This car&#x27;s timeline has 2 entries, the most it can hold." in (
        response.content.decode()
    )
    assert car.timeline.count() == 2


def test_a_car_full_of_mileage_readings_takes_no_more(client_for, member, car, monkeypatch):
    from register import services
    from tests.register.factories import MileageReadingFactory

    monkeypatch.setattr(services, "MILEAGE_READINGS_PER_CAR", 2)
    MileageReadingFactory.create_batch(2, car=car, kilometres=10_000)

    response = client_for(member).post(
        reverse("register:mileage_add", args=[car.pk]),
        {"read_on": "2024-05-04", "distance": "48000", "unit": "km"},
    )

    assert response.status_code == 200
    assert "This car has 2 mileage readings, the most it can hold." in response.content.decode()
    assert car.mileage_readings.count() == 2


def test_a_meet_sends_at_most_so_many_messages_a_day(client_for, organiser, monkeypatch):
    import datetime

    from django.utils import timezone

    from meets import services

    monkeypatch.setattr(services, "MESSAGES_PER_MEET_PER_DAY", 2)
    meet = MeetFactory(organisers=[organiser])
    RSVPFactory(meet=meet)
    now = timezone.now()
    for hours_ago in (25, 23, 1):  # the one of yesterday no longer counts
        Message.objects.create(
            meet=meet,
            audience="going",
            subject=f"{hours_ago} hours ago",
            body="Hi",
            sent_at=now - datetime.timedelta(hours=hours_ago),
        )

    response = client_for(organiser).post(
        reverse("meets:message", args=[meet.slug]),
        {"audience": "going", "subject": "Once more", "body": "Hello again"},
    )

    assert response.status_code == 200
    assert (
        "This meet&#x27;s attendees have had 2 messages in the last 24 hours, the most they "
        "can be sent. Please wait before sending another." in response.content.decode()
    )
    assert not Message.objects.filter(subject="Once more").exists()
    assert mail.outbox == []
    Message.objects.filter(subject="1 hours ago").update(sent_at=now - datetime.timedelta(days=2))
    client_for(organiser).post(
        reverse("meets:message", args=[meet.slug]),
        {"audience": "going", "subject": "Once more", "body": "Hello again"},
    )
    assert Message.objects.filter(subject="Once more").exists()


def test_a_meet_has_at_most_so_many_checkin_helpers(client_for, organiser, monkeypatch):
    from meets import services
    from tests.factories import MemberFactory

    monkeypatch.setattr(services, "HELPERS_PER_MEET", 2)
    meet = MeetFactory(organisers=[organiser], checkin_helpers=MemberFactory.create_batch(2))
    newcomer = MemberFactory(email="new.helper@example.org")

    response = client_for(organiser).post(
        reverse("meets:helpers", args=[meet.slug]), {"member": newcomer.email}
    )

    assert response.status_code == 200
    assert "This meet has 2 check-in helpers, the most it can have." in response.content.decode()
    assert meet.checkin_helpers.count() == 2
