"""Maps drawn on the server: the shipped shapes, the SVG they make, and the pages that
show them (statistics, a car's journey; a meet's map is tested with the meets)."""

import datetime
import re
from types import SimpleNamespace

import pytest
from defusedxml import ElementTree as ET
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django_countries.data import ALT_CODES

from register.maps import Stop, choropleth, classes, journey, journey_stops, shapes
from register.maps.build_shapes import DROPPED, OUTPUT
from register.maps.projection import to_view
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, OwnershipFactory

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(html: str):
    """The first inline SVG in `html`, parsed as XML (which fails on malformed markup)."""
    match = re.search(r"<svg xmlns=.*?</svg>", html, re.S)
    assert match, "no map on the page"
    return ET.fromstring(match.group(0))


def figure(html: str, slug: str) -> str:
    match = re.search(rf'<figure class="country-map[^"]*" id="map-{slug}">.*?</figure>', html, re.S)
    assert match, f"no map #{slug}"
    return match.group(0)


def table_rows(html: str) -> list[tuple[str, str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return re.findall(r'<tr><th scope="row"[^>]*>(.*?)</th><td[^>]*>(.*?)</td></tr>', body)


def titles(svg, tag: str) -> list[str]:
    found = (el.find(f"{SVG}title") for el in svg.iter(f"{SVG}{tag}"))
    return [title.text for title in found if title is not None]


# --- The shapes ---------------------------------------------------------------------------


def test_the_projection_puts_berlin_right_of_and_above_madrid():
    frame = shapes()["frame"]
    berlin = to_view(13.40, 52.52, frame)
    madrid = to_view(-3.70, 40.42, frame)
    sydney = to_view(151.21, -33.87, frame)

    assert berlin[0] > madrid[0] and berlin[1] < madrid[1]  # y grows downwards in SVG
    assert sydney[0] > berlin[0] and sydney[1] > madrid[1]
    width, height = shapes()["width"], shapes()["height"]
    assert all(0 <= x <= width and 0 <= y <= height for x, y in (berlin, madrid, sydney))


def test_a_country_s_marker_point_lies_in_the_country():
    frame, points = shapes()["frame"], shapes()["points"]
    for code, lon, lat in [("DE", 10.4, 51.1), ("AU", 134.0, -25.0), ("LU", 6.13, 49.8)]:
        x, y = to_view(lon, lat, frame)
        assert abs(points[code][0] - x) < 25 and abs(points[code][1] - y) < 25, code


def test_every_country_django_countries_knows_has_a_shape_or_a_marker():
    data = shapes()

    without_a_place = set(ALT_CODES) - set(data["points"])

    assert without_a_place == DROPPED == {"AQ"}  # Antarctica, deliberately
    assert set(data["shapes"]) <= set(data["points"])
    assert {"DE", "NL", "US", "JP", "AU", "FR", "RU", "FJ"} <= set(data["shapes"])
    assert {"MC", "LI", "SG", "AD"} & set(data["shapes"]) == set()  # too small at 1:110m


def test_the_shapes_file_is_small_and_says_where_it_comes_from():
    assert OUTPUT.stat().st_size < 120_000
    assert "Natural Earth" in shapes()["source"]


# --- The choropleth -----------------------------------------------------------------------


def test_the_choropleth_is_an_svg_image_named_by_its_title():
    html = choropleth({"DE": 212, "NL": 3}, slug="test", title="Where the cars live")

    svg = svg_of(html)

    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    assert svg.get("aria-labelledby") == title.get("id") == "map-test-title"
    assert title.text == "Where the cars live"


def test_each_counted_country_has_a_path_with_its_count_and_the_rest_is_one_grey_path():
    svg = svg_of(choropleth({"DE": 212, "NL": 1, "US": 30}, slug="t", title="Cars"))

    assert sorted(titles(svg, "path")) == [
        "Germany: 212 cars",
        "Netherlands: 1 car",
        "United States of America: 30 cars",
    ]
    untitled = [path for path in svg.iter(f"{SVG}path") if path.find(f"{SVG}title") is None]
    assert len(untitled) == 1


def test_a_country_too_small_for_the_shapes_is_a_dot_and_a_table_row():
    html = choropleth({"SG": 4, "MC": 1, "DE": 10}, slug="t", title="Cars")

    assert sorted(titles(svg_of(html), "circle")) == ["Monaco: 1 car", "Singapore: 4 cars"]
    assert ("Singapore", "4") in table_rows(html)


def test_the_table_holds_the_same_numbers_largest_first():
    counts = {"DE": 1212, "NL": 7, "LU": 7, "ZZ": 2, "FR": 0}

    with translation.override("en"):
        html = choropleth(counts, slug="t", title="Cars")

    assert table_rows(html) == [
        ("Germany", "1,212"),
        ("Luxembourg", "7"),
        ("Netherlands", "7"),
        ("ZZ", "2"),  # a code the map has no place for is still counted
    ]


def test_country_names_and_the_table_follow_the_reader_s_language():
    with translation.override("de"):
        html = choropleth({"DE": 1212, "NL": 2}, slug="t", title="Autos")

    assert ("Deutschland", "1.212") in table_rows(html)
    assert [t.split(":")[0] for t in titles(svg_of(html), "path")] == ["Deutschland", "Niederlande"]


def test_the_classes_cover_every_count_from_one_to_the_largest():
    for top in [1, 2, 3, 5, 6, 17, 212, 100_000]:
        ranges = classes(top)
        assert 1 <= len(ranges) <= 5
        assert ranges[0][0] == 1 and ranges[-1][1] == top
        for (_low, high), (next_low, _high) in zip(ranges, ranges[1:], strict=False):
            assert next_low == high + 1
    assert classes(3) == [(1, 1), (2, 2), (3, 3)]
    assert classes(212) == [(1, 3), (4, 9), (10, 25), (26, 73), (74, 212)]
    assert classes(0) == []


def test_more_cars_are_a_darker_shade_and_the_legend_names_the_ranges():
    html = choropleth({"DE": 212, "FR": 30, "NL": 2}, slug="t", title="Cars")
    fills = {
        p.find(f"{SVG}title").text.split(":")[0]: p.get("fill")
        for p in svg_of(html).iter(f"{SVG}path")
        if p.find(f"{SVG}title") is not None
    }

    def darkness(hex_colour: str) -> int:
        return -sum(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))

    assert darkness(fills["Germany"]) > darkness(fills["France"]) > darkness(fills["Netherlands"])
    legend = re.search(r'<ul class="list-inline[^"]*" aria-label="[^"]*">(.*?)</ul>', html).group(1)
    assert re.sub(r"<[^>]+>", "|", legend).replace("|", " ").split() == [
        "1–3",
        "4–9",
        "10–25",
        "26–73",
        "74–212",
    ]


def test_the_svg_has_no_script_no_link_and_no_style_attribute():
    html = choropleth({"DE": 3, "LU": 1}, slug="t", title='<script>alert("x")</script>')
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)

    assert "<script" not in svg
    assert "href" not in svg and "style=" not in svg
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    assert not re.search(r"\son\w+=", svg)
    assert "&lt;script&gt;" in svg  # a title is text, escaped


def test_with_cars_in_a_hundred_countries_the_map_stays_under_45_kb():
    largest = sorted(shapes()["shapes"], key=lambda code: -len(shapes()["shapes"][code]))
    counts = {code: n for n, code in enumerate(largest[:100], start=1)}

    html = choropleth(counts, slug="t", title="Cars")

    assert len(html.encode()) < 45_000
    assert len(titles(svg_of(html), "path")) == 100


def test_the_same_inputs_give_the_same_map_from_the_cache():
    first = choropleth({"DE": 2}, slug="t", title="Cars")

    assert choropleth({"DE": 2}, slug="t", title="Cars") is first
    assert choropleth({"DE": 3}, slug="t", title="Cars") != first


# --- A car's journey ----------------------------------------------------------------------


def owned(country, started, ended=None, pk=1):
    return SimpleNamespace(country=country, started_on=started, ended_on=ended, pk=pk)


def test_the_journey_runs_from_the_first_owner_to_today_one_stop_per_country_run():
    d = datetime.date
    stops = journey_stops(
        [
            owned("NL", d(2019, 4, 1), None, pk=4),
            owned("DE", d(2011, 6, 1), d(2014, 3, 1), pk=2),
            owned("", d(2014, 3, 1), d(2015, 1, 1), pk=5),  # no country: left out
            owned("DE", d(2015, 1, 1), d(2019, 4, 1), pk=3),
            owned("CH", None, d(2011, 6, 1), pk=9),  # no start: the earliest
        ]
    )

    assert stops == [
        Stop("CH", None, 2011, False),
        Stop("DE", 2011, 2019, False),
        Stop("NL", 2019, None, True),
    ]
    assert [s.years for s in stops] == ["until 2011", "2011–2019", "since 2019"]


def test_the_journey_numbers_each_stop_and_joins_them_with_arrows():
    stops = [Stop("DE", 2011, 2015), Stop("NL", 2015, 2019), Stop("DE", 2019, None, True)]

    html = journey(stops, slug="journey", title="Where this car has lived")
    svg = svg_of(html)

    assert titles(svg, "g") == ["1. Germany", "2. Netherlands", "3. Germany"]
    assert len(re.findall(r"Q", svg.find(f"{SVG}path[@marker-end]").get("d"))) == 2
    items = re.findall(r"<li>(.*?)</li>", html)
    assert [re.sub(r"<[^>]+>", "", item) for item in items] == [
        "Germany (2011–2015)",
        "Netherlands (2015–2019)",
        "Germany (since 2019)",
    ]
    # Zoomed to the countries: a small part of the world's 1000 units.
    assert float(svg.get("viewBox").split()[2]) < 200


def test_a_journey_in_one_country_has_a_marker_and_no_arrow():
    svg = svg_of(journey([Stop("JP", 2012, None, True)], slug="j", title="Japan"))

    assert titles(svg, "g") == ["1. Japan"]
    assert svg.find(f"{SVG}path[@marker-end]") is None


# --- The pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_statistics_page_maps_where_the_cars_live_beside_the_bars(client):
    cache.clear()
    for country in ["DE", "DE", "NL", "LU"]:
        CarFactory(country=country)
    CarFactory(country="FR", pending=True)  # not on the register: not on the map

    html = client.get(reverse("register:stats")).content.decode()

    page_map = figure(html, "countries")
    assert table_rows(page_map) == [("Germany", "2"), ("Luxembourg", "1"), ("Netherlands", "1")]
    assert html.index('id="map-countries"') < html.index('id="chart-countries"')
    assert len(page_map.encode()) < 45_000


@pytest.mark.django_db
def test_a_car_page_shows_its_journey_through_its_owners_countries(client):
    car = CarFactory(country="NL")
    OwnershipFactory(
        car=car,
        member=None,
        owner_name="Hans Früher",
        country="DE",
        started_on=datetime.date(2011, 6, 1),
        ended_on=datetime.date(2016, 2, 1),
    )
    OwnershipFactory(car=car, country="NL", started_on=datetime.date(2016, 2, 1))

    html = client.get(car.get_absolute_url()).content.decode()

    assert re.findall(r"<li>(.*?)</li>", figure(html, "journey")) == [
        'Germany <span class="text-body-secondary">(2011–2016)</span>',
        'Netherlands <span class="text-body-secondary">(since 2016)</span>',
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "member", "owner", "staff"])
def test_the_journey_names_no_owner_and_no_date_finer_than_the_year(client_for, who):
    owner = MemberFactory(display_name="Olivia Owner", name_visibility="everyone")
    car = CarFactory(country="NL")
    OwnershipFactory(
        car=car,
        member=None,
        owner_name="Hans Früher",
        name_visibility="public",
        country="DE",
        started_on=datetime.date(2011, 6, 14),
        ended_on=datetime.date(2016, 2, 3),
    )
    OwnershipFactory(car=car, member=owner, country="NL", started_on=datetime.date(2016, 2, 3))
    user = {
        "anonymous": None,
        "member": MemberFactory(),
        "owner": owner,
        "staff": MemberFactory(is_staff=True),
    }[who]

    html = client_for(user).get(car.get_absolute_url()).content.decode()

    # What the map and its list say in words: its titles and list items, no coordinates.
    journey_html = re.sub(r"<[^>]+>", " ", figure(html, "journey"))
    for secret in ["Hans", "Früher", "Olivia", "Owner", "Jun", "Feb", "14", "03"]:
        assert secret not in journey_html
    assert "Germany" in journey_html and "2011" in journey_html


@pytest.mark.django_db
def test_a_car_without_any_owner_s_country_has_no_journey(client):
    car = CarFactory()
    OwnershipFactory(car=car, country="")

    html = client.get(car.get_absolute_url()).content.decode()

    assert 'id="map-journey"' not in html
