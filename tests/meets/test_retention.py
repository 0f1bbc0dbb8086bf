"""Retention: who came to old meets is forgotten; how many came is not."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from meets.models import RSVP
from tests.meets.factories import MeetFactory, RSVPFactory


def meet_ended(days_ago: int, **kwargs):
    ends = timezone.now() - datetime.timedelta(days=days_ago)
    return MeetFactory(starts_at=ends - datetime.timedelta(hours=6), ends_at=ends, **kwargs)


@pytest.mark.django_db
def test_old_meets_lose_their_attendees_names_and_answers_but_keep_the_counts(organiser):
    old = meet_ended(800)
    for _ in range(3):
        RSVPFactory(
            meet=old,
            answers={"Dietary needs": "Vegetarian"},
            checked_in_at=old.starts_at,
            checked_in_by=organiser,
        )
    recent = meet_ended(30)
    kept = RSVPFactory(meet=recent, answers={"Dietary needs": "None"})
    out = io.StringIO()

    call_command("purge_old_rsvps", "--days", "730", stdout=out)

    purged = RSVP.objects.filter(meet=old)
    assert purged.count() == 3
    assert purged.filter(checked_in_at__isnull=False).count() == 3
    assert not purged.filter(member__isnull=False).exists()
    assert not purged.exclude(answers={}).exists()
    assert not purged.filter(checked_in_by__isnull=False).exists()
    kept.refresh_from_db()
    assert kept.member is not None and kept.answers == {"Dietary needs": "None"}
    assert "Purged personal data from 3 RSVP(s)" in out.getvalue()


@pytest.mark.django_db
def test_running_the_purge_twice_purges_nothing_the_second_time():
    RSVPFactory(meet=meet_ended(800))
    call_command("purge_old_rsvps", "--days", "730", stdout=io.StringIO())
    out = io.StringIO()

    call_command("purge_old_rsvps", "--days", "730", stdout=out)

    assert "from 0 RSVP(s)" in out.getvalue()


@pytest.mark.django_db
def test_the_default_period_comes_from_the_settings(settings):
    settings.PADDOCK_RSVP_RETENTION_DAYS = 10
    RSVPFactory(meet=meet_ended(11))

    call_command("purge_old_rsvps", stdout=io.StringIO())

    assert RSVP.objects.get().member is None


@pytest.mark.django_db
def test_a_purged_meet_page_still_shows_its_attendance(client):
    old = meet_ended(800, attendee_visibility="public")
    RSVPFactory(meet=old, checked_in_at=old.starts_at)
    call_command("purge_old_rsvps", "--days", "730", stdout=io.StringIO())

    response = client.get(old.get_absolute_url())

    assert response.status_code == 200
    assert "1</strong> car checked in" in response.content.decode()


def test_a_negative_period_is_refused():
    with pytest.raises(CommandError, match="cannot be negative"):
        call_command("purge_old_rsvps", "--days", "-1")
