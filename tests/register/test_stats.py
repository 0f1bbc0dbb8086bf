"""The statistics page: produced versus registered, counted by the database.

Ten public cars of the 1M: two in Monte Carlo Blue, five in Valencia Orange, three in
Alpine White; besides them a pending and a rejected Monte Carlo Blue car that must never
be counted. Three sources report three different production figures.
"""

import datetime
import re

import pytest
from django.urls import reverse

from register.models import Car, Colour
from register.stats import register_stats
from tests.register.factories import (
    CarFactory,
    ColourFactory,
    ModelLineFactory,
    ProductionFigureFactory,
)

STATS_URL = reverse("register:stats")


@pytest.fixture
def one_m(db):
    line = ModelLineFactory(name="BMW 1 Series M Coupé (E82)")
    ProductionFigureFactory(
        model_line=line,
        label="customer cars",
        count=6309,
        source="The club's register",
        source_url="https://example.org/1m-register",
        is_primary=True,
    )
    ProductionFigureFactory(model_line=line, label="all cars", count=6331, source="Magazine A")
    ProductionFigureFactory(model_line=line, label="all cars", count=6339, source="Forum B")
    return line


@pytest.fixture
def colours(one_m):
    return {
        "blue": ColourFactory(
            model_line=one_m,
            name="Monte Carlo Blue",
            paint_code="X04",
            kind=Colour.Kind.SPECIAL,
            swatch="#1F4E9C",
            reported_production=2,
            source="BMW Individual",
        ),
        "orange": ColourFactory(
            model_line=one_m, name="Valencia Orange", paint_code="A76", swatch="#F58220"
        ),
        "white": ColourFactory(model_line=one_m, name="Alpine White", paint_code="300"),
        "java": ColourFactory(
            model_line=one_m, name="Java Green", kind=Colour.Kind.SPECIAL, swatch="#4CAF50"
        ),
    }


@pytest.fixture
def register(one_m, colours):
    """Ten public cars, and two that are not public."""
    for _ in range(2):
        CarFactory(model_line=one_m, colour=colours["blue"], country="GB")
    for month in (4, 5, 5, 6, 7):
        CarFactory(
            model_line=one_m,
            colour=colours["orange"],
            build_date=datetime.date(2011, month, 1),
            status=Car.Status.STORED,
        )
    for _ in range(2):
        CarFactory(model_line=one_m, colour=colours["white"], build_date=datetime.date(2012, 2, 1))
    CarFactory(
        model_line=one_m, colour=colours["white"], unverified=True, build_date=None, country=""
    )
    CarFactory(model_line=one_m, colour=colours["blue"], pending=True, country="FR")
    CarFactory(model_line=one_m, colour=colours["blue"], rejected=True, country="FR")


def bar(chart, label):
    return next(b for b in chart.bars if b.label == label)


def test_it_counts_only_public_cars(register):
    stats = register_stats()

    assert stats.total == 10
    assert stats.verified == 9
    assert stats.unverified == 1


def test_it_counts_two_monte_carlo_blue_among_ten_cars(register, one_m):
    [line] = register_stats().lines

    blue = bar(line.colour_chart, "Monte Carlo Blue")
    assert blue.value == 2
    assert blue.share == pytest.approx(20.0)
    assert blue.rare is True
    assert blue.details == (
        "Paint code X04 · Special (individual) paint",
        "One of 2 in Monte Carlo Blue on the register",
        "Reported built: 2 (source: BMW Individual)",
    )
    assert bar(line.colour_chart, "Valencia Orange").value == 5
    java = bar(line.colour_chart, "Java Green")
    assert java.value == 0
    assert "No Java Green car on the register yet" in java.details


def test_it_measures_coverage_against_the_primary_figure(register):
    [line] = register_stats().lines

    assert line.registered == 10
    assert line.primary.count == 6309
    assert line.coverage == pytest.approx(100 * 10 / 6309)
    assert line.figures_disagree
    assert line.figure_range == (6309, 6339)


def test_it_breaks_the_register_down_by_year_month_country_and_status(register):
    charts = register_stats().charts

    assert {b.label: b.value for b in charts["years"].bars} == {"2011": 7, "2012": 2}
    months = {b.label: b.value for b in charts["months"].bars}
    assert months["May 2011"] == 2
    assert months["June 2011"] == 2 + 1  # two blue cars of the factory's June, one orange
    assert months["January 2012"] == 0  # empty months are shown, not skipped
    assert {b.label: b.value for b in charts["countries"].bars} == {
        "Germany": 7,
        "United Kingdom": 2,
    }
    assert "1 registered car without a recorded country" in charts["countries"].note
    assert bar(charts["status"], "Stored").value == 5
    assert bar(charts["status"], "On the road").value == 5
    assert bar(charts["status"], "Stolen").value == 0
    assert bar(charts["verified"], "Verified (with a plaque)").value == 9


def test_the_page_shows_every_figure_with_its_source(client, register):
    response = client.get(STATS_URL)

    assert response.status_code == 200
    html = response.content.decode()
    for figure, source in (
        ("6,309", "The club&#x27;s register"),
        ("6,331", "Magazine A"),
        ("6,339", "Forum B"),
    ):
        assert figure in html
        assert source in html
    assert 'href="https://example.org/1m-register"' in html
    assert "These figures differ</strong> (6,309 to 6,339)" in html
    assert "0.2%" in html  # coverage: 10 of 6,309
    assert "Monte Carlo Blue" in html
    assert "BMW Individual" in html  # the source of the colour's reported production


def test_the_page_draws_charts_as_tables_without_scripts(client, register):
    html = client.get(STATS_URL).content.decode()

    assert "<caption" in html
    # Every bar is a decorative SVG; the table's numbers are the source of truth.
    assert re.search(r'<svg[^>]*aria-hidden="true"', html)
    # A white car's bar has an outline, so it shows on a white page.
    assert 'fill="#F4F4F2" stroke="#212529"' in html
    # No inline script and no style attribute: ready for a strict CSP.
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert "style=" not in html


@pytest.mark.parametrize("cars", [2, 50])
def test_the_page_takes_the_same_number_of_queries_for_2_cars_and_50(
    client, one_m, colours, cars, django_assert_num_queries
):
    for i in range(cars):
        CarFactory(
            model_line=one_m,
            colour=list(colours.values())[i % 4],
            build_date=datetime.date(2011, 1 + i % 12, 1),
            country=["DE", "GB", "US"][i % 3],
            status=Car.Status.choices[i % 7][0],
        )

    # 1. the tallies, summed per kind, line and key (register/tallies.py)
    # 2. model lines
    # 3. the production figures of those lines
    # 4. colours of those lines
    # (5. survivors: cars seen in the month five years ago from that day on, only when
    # a car was last seen in that month: none here)
    with django_assert_num_queries(4):
        response = client.get(STATS_URL)

    assert response.status_code == 200
    assert f"{cars} cars on the register" in response.content.decode()


def test_it_filters_by_model_line_when_there_are_several(client, register, one_m):
    other = ModelLineFactory(name="BMW M2 CS (G87)")
    ColourFactory(model_line=other, name="Frozen Brooklyn Grey")
    CarFactory(model_line=other, colour=None)

    everything = client.get(STATS_URL).content.decode()
    only_1m = client.get(STATS_URL, {"line": one_m.slug}).content.decode()

    assert "11 cars on the register" in everything
    assert 'name="line"' in everything
    assert "BMW M2 CS (G87)" in everything
    assert "10 cars on the register" in only_1m
    assert "Frozen Brooklyn Grey" not in only_1m


def test_an_unknown_model_line_is_not_found(client, one_m):
    assert client.get(STATS_URL, {"line": "no-such-model"}).status_code == 404


def test_an_empty_register_shows_the_page(client, one_m):
    response = client.get(STATS_URL)

    assert response.status_code == 200
    assert "0 cars on the register" in response.content.decode()
