"""World maps drawn by the site itself: inline SVG, no tiles, no script, no CDN.

`choropleth(counts, slug=..., title=...)` shades each country by its count of cars;
`journey(stops, slug=..., title=...)` draws a car's way through its owners' countries.
Both draw from `shapes.json` (Natural Earth 1:110m countries, projected once by
`build_shapes.py`, which says where they come from) and return one HTML piece: the SVG
(role="img", named by its <title>), a legend or list, and the same facts as text for
screen readers. Both are pure: the HTML is kept per process for the same inputs.

The SVG carries its own sea and land colours, so it reads the same on any page
background. Only counted countries get a path (and a tooltip) of their own; the rest of
the world is one grey path, which keeps a map near 40 KB. Countries too small for the
110m shapes (Luxembourg, Monaco, Singapore, …) are drawn as a dot at their label point.
"""

import datetime
import functools
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django_countries import countries

SHAPES_FILE = Path(__file__).with_name("shapes.json")

# ColorBrewer's YlGnBu, five classes from its six-class scale without the palest step:
# one hue ramp, readable with every common colour-vision deficiency, each step darker.
PALETTE = ("#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
SEA = "#eef3f7"
LAND = "#d5d9de"
BORDER = "#ffffff"
OUTLINE = "#212529"  # round counted countries and dots: never colour alone
VISITED = "#41b6c4"
ROUTE = "#c2410c"  # the journey's arrows: orange on blue-grey, and dashed


@functools.cache
def shapes() -> dict:
    """The projected shapes, read once per process."""
    return json.loads(SHAPES_FILE.read_text())


def country_name(code: str) -> str:
    return str(countries.name(code) or code)


def classes(top: int) -> list[tuple[int, int]]:
    """Up to five count ranges, log-spaced from 1 to `top`: (low, high), both included.

    Car counts are skewed (a few home countries, many with one or two cars), so equal
    steps would put almost every country in the palest class.
    """
    if top < 1:
        return []
    if top <= 5:
        return [(n, n) for n in range(1, top + 1)]
    highs = sorted({math.ceil(top ** (step / 5)) for step in range(1, 6)} | {top})
    ranges, low = [], 1
    for high in highs:
        if high >= low:
            ranges.append((low, high))
            low = high + 1
    return ranges


def class_colours(count: int) -> list[str]:
    """`count` colours spread over the palette, palest first."""
    if count <= 1:
        return list(PALETTE[-1:]) if count else []
    return [PALETTE[round(i * (len(PALETTE) - 1) / (count - 1))] for i in range(count)]


def range_label(low: int, high: int) -> str:
    if low == high:
        return number_format(low, force_grouping=True)
    return f"{number_format(low, force_grouping=True)}–{number_format(high, force_grouping=True)}"


def cars_text(code: str, count: int) -> str:
    return ngettext("%(country)s: %(count)s car", "%(country)s: %(count)s cars", count) % {
        "country": country_name(code),
        "count": number_format(count, force_grouping=True),
    }


def choropleth(counts: dict[str, int], *, slug: str, title: str, caption: str = "") -> SafeString:
    """Countries shaded by their number of cars, with a legend and a table of the numbers.

    `counts` maps ISO 3166-1 alpha-2 codes to counts; codes the map has no place for
    (and counts below 1) are still listed in the table. `slug` makes the ids unique on
    the page.
    """
    items = tuple(sorted((str(code), int(n)) for code, n in counts.items() if code and n > 0))
    return _choropleth(items, slug, str(title), str(caption), get_language())


def _joined(parts) -> SafeString:
    """SVG pieces made by format_html, joined; anything not already safe is escaped."""
    return format_html_join("", "{}", ((part,) for part in parts))


@functools.lru_cache(maxsize=128)
def _choropleth(items, slug, title, caption, _language) -> SafeString:
    data = shapes()
    ranges = classes(max((n for _code, n in items), default=0))
    colours = class_colours(len(ranges))

    def colour_of(n: int) -> str:
        return next(c for (low, high), c in zip(ranges, colours, strict=True) if low <= n <= high)

    counted = dict(items)
    shaded = [(code, n) for code, n in items if code in data["shapes"]]
    dotted = [
        (code, n) for code, n in items if code not in data["shapes"] and code in data["points"]
    ]
    rest = data["land"] + "".join(p for code, p in data["shapes"].items() if code not in counted)
    radius = 5
    body = [
        format_html('<rect width="{}" height="{}" fill="{}"/>', data["width"], data["height"], SEA),
        format_html(
            '<path d="{}" fill="{}" stroke="{}" stroke-width="0.5" stroke-linejoin="round"'
            ' vector-effect="non-scaling-stroke"/>',
            rest,
            LAND,
            BORDER,
        ),
        format_html(
            '<g stroke="{}" stroke-width="0.6" stroke-linejoin="round">{}{}</g>',
            OUTLINE,
            format_html_join(
                "",
                '<path d="{}" fill="{}"><title>{}</title></path>',
                ((data["shapes"][code], colour_of(n), cars_text(code, n)) for code, n in shaded),
            ),
            format_html_join(
                "",
                '<circle cx="{}" cy="{}" r="{}" fill="{}"><title>{}</title></circle>',
                (
                    (*data["points"][code], radius, colour_of(n), cars_text(code, n))
                    for code, n in dotted
                ),
            ),
        ),
    ]
    svg = _svg(data, slug, title, _joined(body))
    legend = format_html_join(
        "",
        '<li class="list-inline-item me-3"><svg aria-hidden="true" focusable="false" width="14"'
        ' height="14" viewBox="0 0 14 14" class="me-1 align-text-bottom"><rect x="0.5" y="0.5"'
        ' width="13" height="13" fill="{}" stroke="{}"/></svg>{}</li>',
        (
            (colour, OUTLINE, range_label(low, high))
            for (low, high), colour in zip(ranges, colours, strict=True)
        ),
    )
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td class="text-end">{}</td></tr>',
        (
            (country_name(code), number_format(n, force_grouping=True))
            for code, n in sorted(items, key=lambda item: (-item[1], country_name(item[0])))
        ),
    )
    return format_html(
        '<figure class="country-map mb-2" id="{slug}">{svg}'
        '<figcaption class="small text-body-secondary">'
        '<ul class="list-inline mb-1" aria-label="{legend_label}">{legend}</ul>{caption}'
        "</figcaption>"
        '<details class="small"><summary>{summary}</summary>'
        '<table class="table table-sm mb-0" id="{slug}-table">'
        '<caption class="visually-hidden">{title}</caption>'
        '<thead><tr><th scope="col">{country}</th><th scope="col" class="text-end">{cars}</th>'
        "</tr></thead><tbody>{rows}</tbody></table></details></figure>",
        slug=f"map-{slug}",
        svg=svg,
        legend_label=_("Legend: cars per country"),
        legend=legend,
        caption=caption,
        summary=_("The map's numbers as a table"),
        title=title,
        country=_("Country"),
        cars=_("Cars"),
        rows=rows,
    )


@dataclass(frozen=True)
class Stop:
    """One country on a car's way, with the years it was there (None where unknown)."""

    country: str
    since: int | None = None
    until: int | None = None  # None with `current`: still there
    current: bool = False

    @property
    def name(self) -> str:
        return country_name(self.country)

    @property
    def years(self) -> str:
        if self.since and self.until:
            return str(self.since) if self.since == self.until else f"{self.since}–{self.until}"
        if self.since:
            text = _("since %(year)s") if self.current else _("from %(year)s")
            return text % {"year": self.since}
        if self.until:
            return _("until %(year)s") % {"year": self.until}
        return ""


def journey_stops(ownerships) -> list[Stop]:
    """A car's ownerships, oldest first, as the countries it lived in: one stop per run of
    owners in the same country, with years only (never a name or a finer date).

    Ownerships without a start come first, as in `Ownership.Meta.ordering`; those
    without a country are left out.
    """
    ordered = sorted(
        ownerships,
        key=lambda o: (o.started_on is not None, o.started_on or datetime.date.min, o.pk or 0),
    )
    stops: list[Stop] = []
    for ownership in ordered:
        code = str(ownership.country or "")
        if not code:
            continue
        since = ownership.started_on.year if ownership.started_on else None
        until = ownership.ended_on.year if ownership.ended_on else None
        current = ownership.ended_on is None
        if stops and stops[-1].country == code:
            last = stops[-1]
            stops[-1] = Stop(code, last.since or since, until, current)
        else:
            stops.append(Stop(code, since, until, current))
    return stops


def journey(stops: list[Stop], *, slug: str, title: str) -> SafeString:
    """The countries a car lived in, highlighted, with numbered markers joined by arrows
    in order, and an ordered list saying the same. Countries and years only."""
    return _journey(tuple(stops), slug, str(title), get_language())


@functools.lru_cache(maxsize=256)
def _journey(stops, slug, title, _language) -> SafeString:
    data = shapes()
    codes = {stop.country for stop in stops}
    placed = [stop for stop in stops if stop.country in data["points"]]
    # Show the part of the world the car went through, not all of it: a box round the
    # markers, at least a seventh of the world wide, in the map's proportions.
    width, height = data["width"], data["height"]
    xs = [data["points"][s.country][0] for s in placed] or [width / 2]
    ys = [data["points"][s.country][1] for s in placed] or [height / 2]
    box_w = max(width / 7, (max(xs) - min(xs)) * 1.6, (max(ys) - min(ys)) * 1.6 * width / height)
    box_w = min(box_w, width)
    box_h = box_w * height / width
    left = min(max((max(xs) + min(xs) - box_w) / 2, 0), width - box_w)
    top = min(max((max(ys) + min(ys) - box_h) / 2, 0), height - box_h)
    radius = box_w * 0.02
    rest = data["land"] + "".join(p for code, p in data["shapes"].items() if code not in codes)
    visited = "".join(data["shapes"][code] for code in sorted(codes) if code in data["shapes"])

    seen: dict[tuple[int, int], int] = {}
    markers = []
    for number, stop in enumerate(placed, start=1):
        x, y = data["points"][stop.country]
        repeat = seen.get((x, y), 0)
        seen[(x, y)] = repeat + 1
        markers.append((number, stop, x + repeat * radius * 2.2, y))
    arrows = []
    for (_n, _a, x0, y0), (_m, _b, x1, y1) in itertools.pairwise(markers):
        length = math.hypot(x1 - x0, y1 - y0)
        if length < radius * 2.5:
            continue
        # Stop short of both markers; bend a little so a way back does not hide the way out.
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        sx, sy = x0 + ux * radius * 1.2, y0 + uy * radius * 1.2
        ex, ey = x1 - ux * radius * 1.5, y1 - uy * radius * 1.5
        cx, cy = (sx + ex) / 2 + uy * length * 0.15, (sy + ey) / 2 - ux * length * 0.15
        arrows.append(f"M{sx:.1f} {sy:.1f}Q{cx:.1f} {cy:.1f} {ex:.1f} {ey:.1f}")

    arrow_id = f"map-{slug}-arrow"
    body = [
        format_html('<rect width="{}" height="{}" fill="{}"/>', width, height, SEA),
        format_html(
            '<path d="{}" fill="{}" stroke="{}" stroke-width="0.5"'
            ' vector-effect="non-scaling-stroke"/>',
            rest,
            LAND,
            BORDER,
        ),
    ]
    if visited:
        body.append(
            format_html(
                '<path d="{}" fill="{}" stroke="{}" stroke-width="0.75"'
                ' vector-effect="non-scaling-stroke"/>',
                visited,
                VISITED,
                OUTLINE,
            )
        )
    if arrows:
        body.append(
            format_html(
                '<defs><marker id="{}" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="4"'
                ' markerHeight="4" orient="auto-start-reverse">'
                '<path d="M0 0L10 5L0 10z" fill="{}"/>'
                "</marker></defs>"
                '<path d="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-dasharray="6 3"'
                ' stroke-linecap="round" marker-end="url(#{})"'
                ' vector-effect="non-scaling-stroke"/>',
                arrow_id,
                ROUTE,
                "".join(arrows),
                ROUTE,
                arrow_id,
            )
        )
    body.append(
        format_html_join(
            "",
            '<g><title>{label}</title><circle cx="{x}" cy="{y}" r="{r}" fill="#ffffff"'
            ' stroke="{ink}" stroke-width="1.5" vector-effect="non-scaling-stroke"/>'
            '<text x="{x}" y="{y}" font-size="{size}" font-family="system-ui, sans-serif"'
            ' font-weight="700" text-anchor="middle" dominant-baseline="central" fill="{ink}">'
            "{number}</text></g>",
            (
                {
                    "label": f"{number}. {stop.name}",
                    "x": f"{x:.1f}",
                    "y": f"{y:.1f}",
                    "r": f"{radius:.1f}",
                    "size": f"{radius * 1.25:.1f}",
                    "ink": OUTLINE,
                    "number": number,
                }
                for number, stop, x, y in markers
            ),
        )
    )
    view_box = f"{left:.0f} {top:.0f} {box_w:.0f} {box_h:.0f}"
    svg = _svg(data, slug, title, _joined(body), view_box=view_box)
    items = format_html_join(
        "",
        "<li>{}{}</li>",
        (
            (
                stop.name,
                format_html(' <span class="text-body-secondary">({})</span>', stop.years)
                if stop.years
                else "",
            )
            for stop in stops
        ),
    )
    return format_html(
        '<figure class="country-map mb-2" id="map-{}">{}<figcaption>'
        '<ol class="small mb-0 mt-2">{}</ol></figcaption></figure>',
        slug,
        svg,
        items,
    )


def _svg(data: dict, slug: str, title: str, body: SafeString, *, view_box: str = "") -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="{}" role="img"'
        ' aria-labelledby="map-{}-title"'
        ' class="d-block w-100 h-auto border rounded" preserveAspectRatio="xMidYMid meet">'
        '<title id="map-{}-title">{}</title>{}</svg>',
        view_box or f"0 0 {data['width']} {data['height']}",
        slug,
        slug,
        title,
        body,
    )


__all__ = ["Stop", "choropleth", "classes", "journey", "journey_stops", "shapes"]
