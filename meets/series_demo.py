"""Demo series: a monthly "Cars & Coffee Rhein-Main", first Sunday 10:00 (Europe/Berlin).

Its next six or so dates are published, a few members are going to the first. Dates are
relative to today; a later `make run` makes the dates that have come into range, as the
daily `extend_series` would. Keyed by the series' slug: a second run makes nothing twice.
"""

import datetime
import zoneinfo

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_MEMBER_EMAIL, DEMO_ORGANISER_EMAIL
from accounts.models import User
from meets.models import RSVP, Meet, MeetSeries
from meets.questions import Question
from meets.series import Pattern, series_create, series_extend

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
SLUG = "cars-coffee-rhein-main"


def _first_sunday_ahead(today: datetime.date) -> datetime.date:
    """The first Sunday of a month, at least two days after `today`."""
    month = today.replace(day=1)
    while True:
        day = month + datetime.timedelta(days=(6 - month.weekday()) % 7)
        if day >= today + datetime.timedelta(days=2):
            return day
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def seed_series() -> list[str]:
    """The demo's series, or its next dates; what it did, for the demo's summary."""
    series = MeetSeries.objects.filter(slug=SLUG).first()
    if series is not None:
        made = series_extend(series=series)
        return [f"{len(made)} new Cars & Coffee dates"] if made else []
    from meets.demo import _member_cars

    organiser = User.objects.get(email=DEMO_ORGANISER_EMAIL)
    day = _first_sunday_ahead(timezone.localdate())
    start = datetime.datetime.combine(day, datetime.time(10), tzinfo=BERLIN)
    with transaction.atomic():
        first = Meet.objects.create(
            slug=f"{SLUG}-{day:%Y-%m-%d}",
            title="Cars & Coffee Rhein-Main",
            description="Coffee, pastries and an hour or two among the cars, every first "
            "Sunday of the month. No need to stay long: come by, park up, say hello.",
            venue_name="Kolbenring Café, Offenbach am Main",
            venue_address="Hafenallee 5, 63067 Offenbach am Main",
            venue_country="DE",
            time_zone="Europe/Berlin",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=3),
            capacity=40,
            status=Meet.Status.PUBLISHED,
            attendee_visibility=Meet.AttendeeVisibility.MEMBERS,
        )
        Question.objects.create(
            meet=first, label="Bringing a friend along?", kind=Question.Kind.YES_NO
        )
        first.organisers.add(organiser)
        series, made = series_create(meet=first, pattern=Pattern.MONTHLY_WEEKDAY, count=24)
        going = [
            (member, car)
            for member, car in _member_cars()
            if member.email != DEMO_MEMBER_EMAIL and member.is_active_member
        ][60:66]
        now = timezone.now()
        RSVP.objects.bulk_create(
            RSVP(
                meet=first,
                member=member,
                car=car,
                status=RSVP.Status.GOING,
                created_at=now - datetime.timedelta(hours=5 * (i + 1)),
            )
            for i, (member, car) in enumerate(going)
        )
    return [f"a monthly Cars & Coffee with {len(made) + 1} dates, {len(going)} going to the next"]
