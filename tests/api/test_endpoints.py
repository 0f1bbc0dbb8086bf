"""The public API's endpoints: what each answers, its filters, its pages, its refusals."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from register.models import Car
from tests.register.factories import CarFactory

CARS = reverse("api:cars")
LINES = reverse("api:model_lines")
FIGURES = reverse("api:production_figures")
COLOURS = reverse("api:colours")
STATS = reverse("api:statistics")


def plaques(body) -> list:
    return [car["plaque_number"] for car in body["results"]]


def test_the_paths_are_the_documented_ones():
    assert CARS == "/api/v1/cars/"
    assert reverse("api:openapi-json") == "/api/openapi.json"
    assert reverse("api:openapi-view") == "/api/docs/"


def test_the_index_links_every_endpoint(api):
    response, body = api.get_json("/api/v1/")
    assert response.status_code == 200
    assert body["cars"] == "https://testserver/api/v1/cars/"
    assert body["schema"] == "https://testserver/api/openapi.json"
    assert set(body) == {
        "model_lines",
        "production_figures",
        "colours",
        "cars",
        "statistics",
        "schema",
        "docs",
    }


def test_model_lines_carry_their_count_of_public_cars(api, register):
    CarFactory(model_line=register["coupe"], pending=True)
    response, body = api.get_json(LINES)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    by_slug = {line["slug"]: line for line in body}
    coupe = by_slug[register["coupe"].slug]
    assert coupe["name"] == "BMW 1 Series M Coupé (E82)"
    assert coupe["production_start"] == 2011
    assert coupe["registered"] == 2  # the pending car does not count
    assert by_slug[register["other"].slug]["registered"] == 1


def test_production_figures_keep_every_source(api, register):
    response, body = api.get_json(FIGURES, {"model_line": register["coupe"].slug})
    assert response.status_code == 200
    assert body == [
        {
            "model_line": register["coupe"].slug,
            "label": "customer cars",
            "count": 6309,
            "source": "BMW press",
            "source_url": "",
            "note": "",
            "primary": True,
        },
        {
            "model_line": register["coupe"].slug,
            "label": "all cars",
            "count": 6342,
            "source": "Build sheets",
            "source_url": "",
            "note": "with tests",
            "primary": False,
        },
    ]


def test_colours_have_paint_code_production_and_registered_count(api, register):
    response, body = api.get_json(COLOURS, {"model_line": register["coupe"].slug})
    assert response.status_code == 200
    orange = next(colour for colour in body if colour["name"] == "Valencia Orange")
    assert orange == {
        "id": register["orange"].pk,
        "model_line": register["coupe"].slug,
        "name": "Valencia Orange",
        "paint_code": "A76",
        "kind": "standard",
        "reported_production": 2600,
        "source": "",
        "registered": 1,
    }
    assert "Silver Grey" not in {colour["name"] for colour in body}


@pytest.mark.parametrize("url", [FIGURES, COLOURS, STATS])
def test_an_unknown_model_line_is_a_404_in_json(api, register, url):
    response, body = api.get_json(url, {"model_line": "no-such-line"})
    assert response.status_code == 404
    assert body["detail"]


def test_a_car_shows_exactly_the_public_export_fields_and_its_photos(api, register):
    car = register["first"]
    response, body = api.get_json(reverse("api:car", args=[car.pk]))
    assert response.status_code == 200
    assert body == {
        "id": car.pk,
        "url": f"https://testserver/register/cars/{car.pk}/",
        "plaque_number": car.plaque_number,
        "vin": "••••••••••" + car.vin[-7:],
        "model_line": "BMW 1 Series M Coupé (E82)",
        "colour": "Valencia Orange",
        "paint_code": "A76",
        "build_month": "2011-06",
        "first_market": "DE",
        "country": "DE",
        "transmission": "manual",
        "steering": "lhd",
        "life_status": "road",
        "verified": True,
        "photos": [
            {
                "url": f"https://testserver/media/cars/{car.pk}/front.jpg",
                "thumbnail_url": f"https://testserver/media/cars/{car.pk}/front-thumb.jpg",
                "width": 1600,
                "height": 1200,
            }
        ],
    }


def test_a_car_by_plaque_is_the_same_car(api, register):
    car = register["second"]
    _response, by_id = api.get_json(reverse("api:car", args=[car.pk]))
    response, by_plaque = api.get_json(reverse("api:car_by_plaque", args=[car.plaque_number]))
    assert response.status_code == 200
    assert by_plaque == by_id


def test_the_car_list_pages_in_the_register_order(api, register):
    response, body = api.get_json(CARS)
    assert response.status_code == 200
    first, second = register["first"], register["second"]
    # Plaque numbers first, the unverified car (no plaque) last.
    assert plaques(body) == [first.plaque_number, second.plaque_number, None]
    assert body["count"] == 3 and body["offset"] == 0 and body["limit"] == 24
    assert body["next"] is None and body["previous"] is None


def test_pages_link_to_the_next_and_previous_with_the_filters_kept(api, register):
    _response, body = api.get_json(CARS, {"limit": 1, "model_line": register["coupe"].slug})
    assert body["count"] == 2
    assert plaques(body) == [register["first"].plaque_number]
    assert body["previous"] is None
    assert body["next"].startswith("https://testserver/api/v1/cars/?")
    _response, page_two = api.get_json(body["next"].removeprefix("https://testserver"))
    assert plaques(page_two) == [register["second"].plaque_number]
    assert page_two["next"] is None
    assert f"model_line={register['coupe'].slug}" in page_two["previous"]
    assert "offset=0" in page_two["previous"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "nl"}, ["second"]),
        ({"status": "stored"}, ["second"]),
        ({"year": 2012}, ["second"]),
        ({"verified": "false"}, ["third"]),
        ({"verified": "true"}, ["first", "second"]),
        ({"model_line": "bmw-m3-csl-e46"}, ["third"]),
        ({"model_line": "no-such-line"}, []),
        ({"colour": "COLOUR"}, ["first"]),
        ({"q": "LAST7"}, ["second"]),
        ({"q": "#PLAQUE"}, ["first"]),
    ],
)
def test_cars_filter(api, register, params, expected):
    params = dict(params)
    if params.get("colour") == "COLOUR":
        params["colour"] = register["orange"].pk
    if params.get("q") == "LAST7":
        params["q"] = register["second"].vin[-7:]
    if params.get("q") == "#PLAQUE":
        params["q"] = f"#{register['first'].plaque_number}"
    response, body = api.get_json(CARS, params)
    assert response.status_code == 200
    assert [car["id"] for car in body["results"]] == [register[name].pk for name in expected]
    assert body["count"] == len(expected)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
        {"offset": 10**30},
        {"year": "1e3"},
        {"year": 99999},
        {"colour": 2**64},
        {"colour": "blue"},
        {"country": "Germany"},
        {"status": "parked"},
        {"verified": "perhaps"},
        {"q": "x" * 41},
    ],
)
def test_bad_filters_are_a_422_in_json_never_a_500(api, register, params):
    response, body = api.get_json(CARS, params)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert body["detail"]


def test_an_offset_past_the_end_is_an_empty_page(api, register):
    response, body = api.get_json(CARS, {"offset": 1000})
    assert response.status_code == 200
    assert body["results"] == [] and body["count"] == 3 and body["next"] is None


@pytest.mark.parametrize("path", ["cars/0/", "cars/abc/", f"cars/{2**70}/", "cars/by-plaque/-3/"])
def test_bad_car_ids_are_4xx_json(api, register, path):
    response, body = api.get_json(f"/api/v1/{path}")
    assert response.status_code in (404, 422)
    assert body["detail"]


def test_a_missing_car_is_a_404(api, register):
    response, body = api.get_json(reverse("api:car", args=[10**9]))
    assert response.status_code == 404
    assert body == {"detail": "No such car on the register."}


def test_statistics_are_the_statistics_pages_numbers(api, register):
    CarFactory(model_line=register["coupe"], colour=None, country="", rejected=True)
    response, body = api.get_json(STATS)
    assert response.status_code == 200
    assert body["total"] == 3 and body["verified"] == 2 and body["unverified"] == 1
    assert body["without_country"] == 0
    assert body["by_build_year"] == [{"key": "2011", "cars": 2}, {"key": "2012", "cars": 1}]
    assert {"key": "2012-03", "cars": 1} in body["by_build_month"]
    # The page's order: most cars first, then by the country's name.
    assert body["by_country"] == [
        {"key": "DE", "cars": 1},
        {"key": "NL", "cars": 1},
        {"key": "GB", "cars": 1},
    ]
    assert {"key": "stored", "cars": 1} in body["by_life_status"]
    coupe = next(line for line in body["model_lines"] if line["slug"] == register["coupe"].slug)
    assert coupe["registered"] == 2
    assert coupe["figures_disagree"] is True
    assert coupe["coverage_percent"] == round(100 * 2 / 6309, 2)
    assert {"colour_id": register["orange"].pk, "name": "Valencia Orange", "cars": 1} in (
        coupe["colours"]
    )


def test_statistics_of_one_model_line(api, register):
    response, body = api.get_json(STATS, {"model_line": register["other"].slug})
    assert response.status_code == 200
    assert body["total"] == 1
    assert [line["slug"] for line in body["model_lines"]] == [register["other"].slug]


def test_a_change_to_the_register_shows_at_once(api, register, django_capture_on_commit_callbacks):
    _response, before = api.get_json(CARS)
    with django_capture_on_commit_callbacks(execute=True):
        car = register["second"]
        car.status = Car.Status.STOLEN
        car.save()
    _response, after = api.get_json(CARS)
    assert [c["life_status"] for c in before["results"]][1] == "stored"
    assert [c["life_status"] for c in after["results"]][1] == "stolen"


def _many_cars(register, count):
    for index in range(count):
        car = CarFactory(model_line=register["coupe"], colour=register["white"])
        if index % 2:
            from tests.api.conftest import add_photo

            add_photo(car)


@pytest.mark.parametrize("extra", [0, 48])
def test_the_car_list_runs_the_same_queries_for_2_cars_and_50(
    api, register, django_assert_num_queries, extra
):
    _many_cars(register, extra)
    cache.clear()
    # 1. count the matching cars, 2. the page with model line and colour (one join),
    # 3. the page's photos (one prefetch).
    with django_assert_num_queries(3):
        response, body = api.get_json(CARS, {"limit": 100})
    assert response.status_code == 200
    assert len(body["results"]) == 3 + extra
    # Then from the cache, until the register changes.
    with django_assert_num_queries(0):
        api.get_json(CARS, {"limit": 100})
