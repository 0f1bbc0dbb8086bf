"""The VTIMEZONEs of the calendar files, read back and checked against zoneinfo (issue 18).

Each STANDARD/DAYLIGHT observance's onsets (DTSTART, RRULE, RDATE) are local times in
the offset before the change, TZOFFSETFROM (RFC 5545, 3.6.5): every onset the file
implies must be a change of offset zoneinfo knows, at the same instant and between the
same offsets, and every change zoneinfo knows in the years written must be in the file.
"""

import datetime
import functools
import zoneinfo

import pytest
from dateutil import rrule
from django.urls import reverse
from icalendar import Calendar

from meets.models import Meet
from tests.meets.factories import MeetFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Read every six hours, then bisected to the second: no zone changes its offset twice
# within six hours (the generator reads once a day; this is an independent reading).
STEP = 6 * 3600

# Zone, the year of a meet there: both hemispheres, half-hour and 45-minute offsets, a
# half-hour daylight-saving shift, zones without daylight saving, negative DST, and
# zones whose rules changed in the years written (São Paulo dropped DST in 2019, Tehran
# in 2022, Morocco's clocks go back for Ramadan).
ZONES = [
    ("Europe/Berlin", 2031),
    ("Europe/London", 2031),
    ("Europe/Dublin", 2031),
    ("America/New_York", 2031),
    ("America/Phoenix", 2031),
    ("America/St_Johns", 2031),
    ("Australia/Sydney", 2031),
    ("Australia/Adelaide", 2031),
    ("Australia/Lord_Howe", 2031),
    ("Asia/Kolkata", 2031),
    ("Pacific/Auckland", 2031),
    ("Pacific/Chatham", 2031),
    ("America/Sao_Paulo", 2019),
    ("Asia/Tehran", 2022),
    ("Africa/Casablanca", 2024),
]


def _offset(zone, timestamp: int) -> datetime.timedelta:
    return datetime.datetime.fromtimestamp(timestamp, zone).utcoffset()


@functools.cache
def zoneinfo_changes(tzid: str, year: int) -> tuple:
    """(UTC instant, offset before, offset after) of every change of offset in a UTC year."""
    zone = zoneinfo.ZoneInfo(tzid)
    start = int(datetime.datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime.datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    changes = []
    low, before = start - 1, _offset(zone, start - 1)
    while low < end:
        high = min(low + STEP, end)
        after = _offset(zone, high)
        if after != before:
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if _offset(zone, middle) == before else (low, middle)
            changes.append((datetime.datetime.fromtimestamp(high, UTC), before, after))
            before = after
        low = high
    return tuple(changes)


def onsets(vtimezone, until: datetime.datetime) -> list[tuple]:
    """(UTC instant, offset before, offset after) of every onset the VTIMEZONE implies."""
    found = []
    for observance in vtimezone.subcomponents:
        assert observance.name in {"STANDARD", "DAYLIGHT"}
        offset_from = observance["TZOFFSETFROM"].td
        offset_to = observance["TZOFFSETTO"].td
        before = datetime.timezone(offset_from)
        start = observance["DTSTART"].dt.replace(tzinfo=before)  # local, in the old offset
        local_starts = [start]
        if "RRULE" in observance:
            rule = rrule.rrulestr(observance["RRULE"].to_ical().decode(), dtstart=start)
            local_starts = list(rule.between(start, until, inc=True))
        rdates = observance.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            local_starts += [value.dt.replace(tzinfo=before) for value in rdate.dts]
        found += [(moment.astimezone(UTC), offset_from, offset_to) for moment in local_starts]
    return sorted(found)


def assert_matches_zoneinfo(calendar: Calendar, tzid: str, years: range) -> None:
    """The file's zone agrees with zoneinfo from its start to the end of `years`."""
    (vtimezone,) = [tz for tz in calendar.walk("VTIMEZONE") if str(tz["TZID"]) == tzid]
    end = datetime.datetime(years[-1] + 1, 1, 1, tzinfo=UTC)
    (first, first_from, first_to), *changes = onsets(vtimezone, end)
    zone = zoneinfo.ZoneInfo(tzid)
    # The first observance is the one in force as the file starts: no change, and before
    # the first of the years (in local time, whatever the zone's offset).
    assert first_from == first_to == first.astimezone(zone).utcoffset()
    assert first <= datetime.datetime(years[0], 1, 1, tzinfo=zone)
    expected = [
        change
        for year in range(first.year, end.year + 1)
        for change in zoneinfo_changes(tzid, year)
        if first < change[0] < end
    ]
    implied = [change for change in changes if change[0] < end]
    assert implied == expected
    assert expected or tzid in {"Asia/Kolkata", "America/Phoenix"}  # a test that can fail


def meet_in(tzid: str, year: int, **kwargs) -> Meet:
    starts = datetime.datetime(year, 7, 12, 10, tzinfo=zoneinfo.ZoneInfo(tzid))
    return MeetFactory(
        time_zone=tzid, starts_at=starts, ends_at=starts + datetime.timedelta(hours=8), **kwargs
    )


@pytest.mark.parametrize(("tzid", "year"), ZONES)
def test_a_meets_ics_has_every_change_of_its_zone_at_the_right_moment(client, tzid, year):
    meet = meet_in(tzid, year)

    response = client.get(reverse("meets:ics", args=[meet.slug]))

    assert_matches_zoneinfo(Calendar.from_ical(response.content), tzid, range(year, year + 1))


def test_the_feeds_zones_agree_with_zoneinfo_over_all_its_years(client):
    zones = ["Europe/Berlin", "Australia/Adelaide", "America/Sao_Paulo", "Asia/Kolkata"]
    for tzid in zones:
        meet_in(tzid, 2019, title=f"Summer drive {tzid}")
    meet_in("Europe/Berlin", 2022, title="Eifel drive")

    calendar = Calendar.from_ical(client.get(reverse("meets:calendar")).content)

    assert sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")) == sorted(zones)
    for tzid in zones:
        assert_matches_zoneinfo(calendar, tzid, range(2019, 2023))


def test_berlins_spring_change_is_at_two_in_the_night_an_hour_after_midnight_utc(client):
    meet = meet_in("Europe/Berlin", 2031)

    calendar = Calendar.from_ical(client.get(reverse("meets:ics", args=[meet.slug])).content)

    (daylight,) = calendar.walk("DAYLIGHT")
    assert daylight["DTSTART"].dt == datetime.datetime(2030, 3, 31, 2, 0)
    assert daylight["TZOFFSETFROM"].td == datetime.timedelta(hours=1)
    assert daylight["TZOFFSETTO"].td == datetime.timedelta(hours=2)
    autumn = [s for s in calendar.walk("STANDARD") if s["TZOFFSETFROM"].td.seconds == 7200]
    assert autumn[0]["DTSTART"].dt == datetime.datetime(2030, 10, 27, 3, 0)
