"""The RSVP POST at the gate's burst: what it asks the database, and that its checks hold.

A burst is hundreds of members posting the form at once: every query the POST spares is
one fewer per member, and the meet's lock is held only for the decision itself.
"""

import re

import pytest
from django.db import connection
from django.urls import reverse

from meets.counts import counts_refresh
from meets.forms import RSVPForm, meets_for_rsvp
from meets.models import RSVP
from meets.questions import Question
from tests.meets.factories import MeetFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def rsvp_url(meet) -> str:
    return reverse("meets:rsvp", args=[meet.slug])


def form_data(client, meet, car, **extra) -> dict:
    """The form as the member's browser sends it: with its one-time token."""
    page = client.get(rsvp_url(meet)).content.decode()
    token = re.search(r'name="form_once" value="([0-9a-f]{64})"', page)[1]
    return {"car": car.pk, "guests": 0, "form_once": token, **extra}


def test_a_meet_says_whether_it_asks_anything_at_rsvp():
    quiet, asking, at_the_gate = MeetFactory(), MeetFactory(), MeetFactory()
    QuestionFactory(meet=asking)
    QuestionFactory(meet=at_the_gate, asked_at=Question.Stage.CHECKIN)

    found = {m.pk: m.asks_at_rsvp for m in meets_for_rsvp()}

    assert found == {quiet.pk: False, asking.pk: True, at_the_gate.pk: False}


def test_the_form_does_not_look_for_questions_a_meet_does_not_ask(
    member, member_car, django_assert_num_queries
):
    meet = meets_for_rsvp().get(pk=MeetFactory().pk)

    with django_assert_num_queries(0):
        form = RSVPForm({"car": member_car.pk, "guests": 0}, meet=meet, member=member)

    assert form.questions == []


def test_the_form_still_asks_the_questions_of_a_meet_that_has_some(member, member_car):
    plain = MeetFactory()
    QuestionFactory(meet=plain, label="Which club?", required=True)
    meet = meets_for_rsvp().get(pk=plain.pk)

    form = RSVPForm({"car": member_car.pk, "guests": 0}, meet=meet, member=member)

    assert [q.label for q in form.questions] == ["Which club?"]
    assert not form.is_valid()


def test_a_required_question_still_stops_a_posted_rsvp(client, member, member_car):
    meet = MeetFactory()
    QuestionFactory(meet=meet, label="Which club?", required=True)
    client.force_login(member)

    response = client.post(rsvp_url(meet), form_data(client, meet, member_car))

    assert response.status_code == 200
    assert not RSVP.objects.filter(meet=meet).exists()


def test_the_rsvp_post_asks_the_database_a_fixed_number_of_times(
    client, member, member_car, member_with_car, django_assert_num_queries
):
    meet = MeetFactory(capacity=1)
    # Others already going and waiting: the count does not grow with the meet's RSVPs.
    for _ in range(3):
        person, car = member_with_car()
        RSVP.objects.create(meet=meet, member=person, car=car)
    counts_refresh(meet.pk)  # written past the services: the meet's counters recounted
    client.force_login(member)
    data = form_data(client, meet, member_car)

    # session, user; the form's token claimed (SAVEPOINT, INSERT, RELEASE: the test's
    # transaction); the meet with whether it asks questions (none asked: no question
    # query); the membership level; the car is theirs; under the meet's lock (SAVEPOINT,
    # RELEASE): the meet locked with the car's ownership, the counts, the RSVP, its
    # history, its counters; the token's outcome. (The e-mail's task runs after commit in
    # tests; with the database backend it is one INSERT more, under the lock.) PostgreSQL
    # sets the lock's timeout first (SET LOCAL lock_timeout).
    with django_assert_num_queries(17 if connection.vendor == "postgresql" else 16):
        response = client.post(rsvp_url(meet), data)

    assert response.status_code == 302
    assert response["Location"] == meet.get_absolute_url()
    mine = RSVP.objects.get(meet=meet, member=member)
    assert mine.status == RSVP.Status.WAITLISTED
