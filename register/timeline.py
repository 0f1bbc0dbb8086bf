"""Timeline entries the site writes itself: stored as a kind with parameters, worded when shown.

An entry a member writes keeps their own words in `title`. An entry the site writes (a
transfer, a delivery, a sighting) stores a `system_text` key from `SYSTEM_TEXTS` and the
values it needs in `params`, so a German reader reads it in German and a wording fixed
later fixes every old entry too.

Parameters named `country` hold an ISO 3166 code and are shown as the country's name in
the reader's language. Other parameters are shown as stored.
"""

import datetime

from django.utils.translation import gettext_lazy as _
from django_countries import countries

SYSTEM_TEXTS = {
    "transfer_club": _("Changed hands within the club"),
    "delivered_in": _("Delivered new in %(country)s"),
    "delivered": _("Delivered new"),
    "sold_on": _("Sold to its next owner"),
    # A sighting the registrar accepted (register/sightings.py): the town, never the reporter.
    "sighting": _("Seen in %(town)s, %(country)s"),
    "sold_outside": _("Sold outside the club"),
    # Checked in at a meet's gate (meets' rsvp_check_in): the meet's title.
    "seen_at_meet": _("Seen at %(meet)s"),
}


def system_title(key: str, params: dict | None = None) -> str:
    """The wording of a system entry in the active language; unknown keys show as the key."""
    text = SYSTEM_TEXTS.get(key)
    if text is None:
        return key
    values = dict(params or {})
    if "country" in values:
        values["country"] = countries.name(values["country"]) or values["country"]
    try:
        return str(text) % values if values else str(text)
    except (KeyError, TypeError, ValueError):
        return str(text)


def system_entry(car, key: str, on: datetime.date, *, kind: str, **params):
    """An unsaved timeline entry the site writes; the caller saves or bulk-creates it."""
    from register.models import TimelineEntry

    if key not in SYSTEM_TEXTS:
        raise ValueError(key)
    return TimelineEntry(car=car, kind=kind, happened_on=on, system_text=key, params=params)
