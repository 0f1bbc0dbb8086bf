"""Server-drawn maps in templates: `{% country_map counts slug=... title=... %}` and
`{% car_journey ownerships %}` (see `register.maps`)."""

from django import template
from django.utils.translation import gettext as _

from register.maps import choropleth, journey, journey_stops

register = template.Library()


@register.simple_tag
def country_map(counts, *, slug: str, title: str, caption: str = ""):
    """A choropleth of `counts` (alpha-2 code → cars); nothing when there is nothing."""
    if not counts:
        return ""
    return choropleth(counts, slug=slug, title=title, caption=caption)


@register.simple_tag
def car_journey(ownerships, *, slug: str = "journey"):
    """The countries a car's owners kept it in, in order. `ownerships` may hold
    (ownership, name) pairs as the car page has them: only the ownership is read."""
    rows = [row[0] if isinstance(row, tuple | list) else row for row in ownerships or ()]
    stops = journey_stops(rows)
    if not stops:
        return ""
    route = " → ".join(stop.name for stop in stops)
    return journey(
        stops, slug=slug, title=_("Where this car has lived: %(route)s") % {"route": route}
    )
