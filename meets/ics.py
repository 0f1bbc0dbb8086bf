"""Calendar files (RFC 5545) for meets, in the venue's time zone."""

import datetime
import functools
import zoneinfo

from icalendar import Calendar, Event, Timezone

from config.lib.site import absolute_url, site_domain
from config.lib.vtimezone import vtimezone
from meets.models import Meet


def _event(meet: Meet) -> Event:
    event = Event()
    event.add("uid", f"meet-{meet.pk}@{site_domain()}")
    event.add("summary", meet.title)
    event.add("dtstart", meet.local_start)
    event.add("dtend", meet.local_end)
    # Without a METHOD, DTSTAMP is when the event was last revised (RFC 5545, 3.8.7.2):
    # a calendar app that sees it move knows to take the new details.
    changed = meet.updated_at.astimezone(datetime.UTC)
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("created", meet.created_at.astimezone(datetime.UTC))
    location = ", ".join(part for part in [meet.venue_name, meet.venue_address] if part)
    event.add("location", location)
    event.add("url", absolute_url(meet.get_absolute_url()))
    if meet.description:
        event.add("description", meet.description)
    if meet.latitude is not None and meet.longitude is not None:
        event.add("geo", (float(meet.latitude), float(meet.longitude)))
    event.add("status", "CANCELLED" if meet.status == Meet.Status.CANCELLED else "CONFIRMED")
    return event


CONTENT_TYPE = "text/calendar; charset=utf-8"


def calendar_for(meets, *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Paddock//Car club meets//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    years = set()
    for meet in meets:
        cal.add_component(_event(meet))
        years |= {meet.local_start.year, meet.local_end.year}
    # A VTIMEZONE holds the zone's rules for the years of the meets only, and each is
    # built once per process: one with every rule since 1970 took longer to build and to
    # write out than all the rest of an RSVP's confirmation.
    for tzid in sorted(cal.get_missing_tzids()):
        timezone = _vtimezone(tzid, min(years), max(years))
        if timezone is not None:
            cal.subcomponents.insert(len(cal.timezones), timezone)
    return cal.to_ical()


@functools.lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone | None:
    try:
        return vtimezone(
            tzid,
            first_date=datetime.date(first_year - 1, 1, 1),
            last_date=datetime.date(last_year + 1, 12, 31),
        )
    except (ValueError, OverflowError, zoneinfo.ZoneInfoNotFoundError):
        return None
