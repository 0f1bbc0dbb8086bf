"""A VTIMEZONE (RFC 5545, 3.6.5) for an IANA zone, over a range of years, from zoneinfo.

Each change of UTC offset in the range becomes an onset of a STANDARD or DAYLIGHT
observance. RFC 5545 gives an onset's DTSTART (and RDATE) as local time in the offset in
force *before* it, TZOFFSETFROM: Berlin's spring change (01:00 UTC) is 02:00 +0100, its
autumn change (01:00 UTC again) 03:00 +0200. icalendar's own Timezone.from_tzinfo writes
the local time after the change, an hour late every spring (issue 18), so the onsets are
found here from the zone's offsets and written as the standard says.

Onsets are listed as RDATEs, not RRULEs: a rule that changes inside the range (a country
that stops changing its clocks, Morocco's Ramadan hours) needs no special case.
"""

import datetime
import zoneinfo
from collections.abc import Iterator
from typing import NamedTuple

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

# Since 1970 no zone has changed its offset twice within a week (the closest, Cambridge
# Bay in 2000, 6.9 days apart): reading the offset once a day finds every change.
STEP = 24 * 3600


class Onset(NamedTuple):
    at: datetime.datetime  # UTC
    offset_from: datetime.timedelta
    offset_to: datetime.timedelta
    name: str
    daylight: bool


def _offset(zone: zoneinfo.ZoneInfo, timestamp: int) -> datetime.timedelta:
    return datetime.datetime.fromtimestamp(timestamp, zone).utcoffset()


def offset_changes(zone: zoneinfo.ZoneInfo, start: int, end: int) -> Iterator[Onset]:
    """Every change of the zone's UTC offset after the timestamp `start`, up to `end`.

    The offset is read once a day (STEP), and a change found is narrowed to the second
    by bisection."""
    before = _offset(zone, start)
    low = start
    while low < end:
        high = min(low + STEP, end)
        after = _offset(zone, high)
        if after != before:
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            moment = datetime.datetime.fromtimestamp(high, zone)
            yield Onset(
                at=moment.astimezone(datetime.UTC),
                offset_from=before,
                offset_to=after,
                name=moment.tzname() or "",
                daylight=bool(moment.dst()),
            )
            before = after
        low = high


def vtimezone(tzid: str, first_date: datetime.date, last_date: datetime.date) -> Timezone:
    """The zone's VTIMEZONE from the start of `first_date` to the end of `last_date`
    (local time). Raises zoneinfo.ZoneInfoNotFoundError for an unknown zone."""
    zone = zoneinfo.ZoneInfo(tzid)
    start = datetime.datetime.combine(first_date, datetime.time(), zone)
    end = datetime.datetime.combine(last_date + datetime.timedelta(days=1), datetime.time(), zone)
    start_ts, end_ts = int(start.timestamp()), int(end.timestamp())
    # The observance in force as the range starts, with no change: its onset is the start.
    onsets = [
        Onset(
            at=start.astimezone(datetime.UTC),
            offset_from=start.utcoffset(),
            offset_to=start.utcoffset(),
            name=start.tzname() or "",
            daylight=bool(start.dst()),
        )
    ]
    onsets.extend(offset_changes(zone, start_ts, end_ts))

    # One observance per kind, name and pair of offsets; its onsets in order.
    observances: dict[tuple, list[datetime.datetime]] = {}
    for onset in onsets:
        key = (onset.daylight, onset.name, onset.offset_from, onset.offset_to)
        # DTSTART and RDATE: local time in the offset before the onset.
        local = (onset.at + onset.offset_from).replace(tzinfo=None)
        observances.setdefault(key, []).append(local)

    timezone = Timezone()
    timezone.add("tzid", tzid)
    timezone.add("comment", f"This time zone only works from {first_date} to {last_date}.")
    for (daylight, name, offset_from, offset_to), starts in observances.items():
        observance = TimezoneDaylight() if daylight else TimezoneStandard()
        observance.add("dtstart", starts[0])
        if len(starts) > 1:
            observance.add("rdate", starts[1:])
        observance.add("tzname", name)
        observance.add("tzoffsetfrom", offset_from)
        observance.add("tzoffsetto", offset_to)
        timezone.add_component(observance)
    return timezone
