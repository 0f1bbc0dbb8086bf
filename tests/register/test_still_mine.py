"""The yearly "is it still yours?" e-mail: once a year per car, in the owner's language, with
a signed link that only the car's current owner can answer, and only by POST."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from register.lastseen import still_mine_run, still_mine_token
from register.models import Car, Ownership
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, OwnershipFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)


def run(capture, today=TODAY) -> int:
    with capture(execute=True):
        return still_mine_run(today=today)


def link_in(message) -> str:
    return re.search(r"https?://\S+/still-mine/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return url[url.index("/", len("https://")) :]


def test_each_member_owner_is_asked_once_a_year(django_capture_on_commit_callbacks, member):
    car = CarFactory(owner=member)
    assert run(django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "still yours" in mail.outbox[0].subject
    car.refresh_from_db()
    assert car.still_mine_asked_on == TODAY

    # The same day again, the next week, eleven months on: nothing more.
    for later in (TODAY, TODAY + datetime.timedelta(days=7), TODAY + datetime.timedelta(days=330)):
        assert run(django_capture_on_commit_callbacks, later) == 0
    assert len(mail.outbox) == 1
    # A year on, unanswered: asked again.
    assert run(django_capture_on_commit_callbacks, TODAY + datetime.timedelta(days=365)) == 1


def test_a_car_confirmed_within_the_year_is_not_asked(django_capture_on_commit_callbacks, member):
    car = CarFactory(owner=member)
    Car.objects.filter(pk=car.pk).update(still_mine_confirmed_on=TODAY - datetime.timedelta(200))
    assert run(django_capture_on_commit_callbacks) == 0
    Car.objects.filter(pk=car.pk).update(still_mine_confirmed_on=TODAY - datetime.timedelta(400))
    assert run(django_capture_on_commit_callbacks) == 1


def test_only_public_cars_of_active_members_not_lost_are_asked(
    django_capture_on_commit_callbacks, member, pending_member
):
    CarFactory(owner=member, pending=True)
    CarFactory(owner=member, status=Car.Status.WRITTEN_OFF)
    CarFactory(owner=pending_member)
    lapsed = MemberFactory()
    User.objects.filter(pk=lapsed.pk).update(membership_status=User.Status.LAPSED)
    CarFactory(owner=lapsed)
    OwnershipFactory(car=CarFactory(), member=None, owner_name="Earlier Owner")
    sold = CarFactory(owner=member)
    Ownership.objects.filter(car=sold).update(ended_on=datetime.date(2025, 1, 1))
    assert run(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_the_mail_is_in_the_members_language(django_capture_on_commit_callbacks):
    CarFactory(owner=MemberFactory(language="de", display_name="Dora"))
    CarFactory(owner=MemberFactory(language="en", display_name="Emma"))
    run(django_capture_on_commit_callbacks)
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert len(bodies) == 2
    assert any(body.startswith("Hallo Dora,") for body in bodies.values())
    assert any(body.startswith("Hello Emma,") for body in bodies.values())


def test_the_command_sends_and_says_how_many(member):
    CarFactory(owner=member)
    out = io.StringIO()
    call_command("send_still_mine", "--date", TODAY.isoformat(), stdout=out)
    assert '"Still mine" e-mails: 1.' in out.getvalue()
    call_command("send_still_mine", "--date", TODAY.isoformat(), stdout=out)
    assert '"Still mine" e-mails: 0.' in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_once(member):
    cars = [CarFactory(owner=member) for _ in range(3)]
    results, errors = run_together([lambda: still_mine_run(today=TODAY)] * 2)
    assert errors == []
    assert sum(results) == 3
    assert len(mail.outbox) == 3
    assert {c.still_mine_asked_on for c in Car.objects.filter(pk__in=[c.pk for c in cars])} == {
        TODAY
    }


# --- The link ------------------------------------------------------------------------------


@pytest.fixture
def asked(django_capture_on_commit_callbacks, member):
    """The member's car, asked today; the link from the e-mail, as a path."""
    car = CarFactory(owner=member)
    run(django_capture_on_commit_callbacks, timezone.localdate())
    return car, path_of(link_in(mail.outbox[0]))


def test_the_link_shows_one_button_and_the_other_answers(client, member, asked):
    car, path = asked
    client.force_login(member)
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Yes, it is still mine" in html
    assert 'method="post"' in html
    assert reverse("register:transfer", args=[car.pk]) in html
    assert reverse("register:edit", args=[car.pk]) in html
    car.refresh_from_db()
    assert car.still_mine_confirmed_on is None  # a GET (a mail scanner) records nothing


def test_confirming_records_the_date_and_counts_as_seen(
    client, member, asked, django_capture_on_commit_callbacks
):
    car, path = asked
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == car.get_absolute_url()
    car.refresh_from_db()
    today = timezone.localdate()
    assert car.still_mine_confirmed_on == today
    assert (car.last_seen_on, car.last_seen_kind) == (today, "owner")
    page = client.get(car.get_absolute_url()).content.decode()
    assert "(owner confirmed)" in page
    # Posted twice (a double click): still fine.
    assert client.post(path).status_code in (200, 302)


def test_an_anonymous_visitor_is_sent_to_log_in(client, asked):
    _car, path = asked
    response = client.get(path)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_only_the_member_it_was_sent_to_may_answer(client, other_member, staff, asked):
    car, path = asked
    for someone in (other_member, staff):
        client.force_login(someone)
        assert client.get(path).status_code == 403
        assert client.post(path).status_code == 403
    car.refresh_from_db()
    assert car.still_mine_confirmed_on is None


def test_a_former_owner_may_not_answer(client, member, asked):
    car, path = asked
    Ownership.objects.filter(car=car).update(ended_on=datetime.date(2026, 1, 1))
    client.force_login(member)
    assert client.post(path).status_code == 403


def test_a_tampered_link_says_so(client, member, asked):
    _car, path = asked
    client.force_login(member)
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = path.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    response = client.post(tampered)
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert client.get(reverse("register:still_mine", args=["nonsense"])).status_code == 400


def test_an_expired_link_says_so(client, member, asked, monkeypatch):
    car, path = asked
    client.force_login(member)
    later = timezone.now() + datetime.timedelta(days=61)
    monkeypatch.setattr("time.time", lambda: later.timestamp())
    response = client.post(path)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    car.refresh_from_db()
    assert car.still_mine_confirmed_on is None


def test_a_link_for_an_earlier_ask_is_replaced(client, member):
    car = CarFactory(owner=member)
    Car.objects.filter(pk=car.pk).update(still_mine_asked_on=timezone.localdate())
    old = still_mine_token(
        car_id=car.pk, member_id=member.pk, asked_on=timezone.localdate() - datetime.timedelta(1)
    )
    client.force_login(member)
    response = client.post(reverse("register:still_mine", args=[old]))
    assert response.status_code == 400
    assert "A newer e-mail" in response.content.decode()


def test_a_link_to_a_deleted_car_is_not_found(client, member):
    token = still_mine_token(car_id=999_999, member_id=member.pk, asked_on=TODAY)
    client.force_login(member)
    assert client.get(reverse("register:still_mine", args=[token])).status_code == 404
