"""The API's HTTP: ETags and 304, caching headers, CORS, read-only, rate limits, schema, docs."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.threads import run_together

CARS = reverse("api:cars")
SCHEMA = reverse("api:openapi-json")
DOCS = reverse("api:openapi-view")
GETS = [
    "/api/v1/",
    reverse("api:model_lines"),
    reverse("api:production_figures"),
    reverse("api:colours"),
    CARS,
    reverse("api:statistics"),
    SCHEMA,
]


@pytest.mark.parametrize("url", GETS)
def test_every_get_has_an_etag_and_answers_304_when_it_matches(api, register, url):
    response = api.get(url)
    assert response.status_code == 200
    etag = response["ETag"]
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag)
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Access-Control-Allow-Origin"] == "*"
    again = api.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Access-Control-Allow-Origin"] == "*"


def test_the_etag_changes_when_the_data_does(api, register, django_capture_on_commit_callbacks):
    etag = api.get(CARS)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        register["first"].status = "stolen"
        register["first"].save()
    response = api.get(CARS, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_car_by_id_has_its_etag_too(api, register):
    url = reverse("api:car", args=[register["first"].pk])
    etag = api.get(url)["ETag"]
    assert api.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_errors_are_not_cached(api, register):
    response = api.get(reverse("api:car", args=[10**9]))
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"
    assert "ETag" not in response


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", [CARS, "/api/v1/cars/1/", SCHEMA, DOCS])
def test_writes_are_a_405_in_json(api, register, method, url):
    response = getattr(api, method)(url, data="{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert "read-only" in json.loads(response.content)["detail"]


def test_a_logged_in_post_without_a_csrf_token_is_a_405_too(member, register):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(CARS).status_code == 405


def test_a_preflight_is_answered_for_any_origin(api, register):
    response = api.options(CARS, headers={"Origin": "https://other.example"})
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response["Access-Control-Allow-Headers"]


def test_head_answers_the_headers_without_the_body(api, register):
    get = api.get(CARS)
    head = api.head(CARS)
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == get["ETag"]


def test_too_many_requests_are_a_429_with_retry_after(api, register, settings):
    settings.PADDOCK_API_RATE_LIMIT = "3/m"
    assert [api.get(CARS).status_code for _ in range(3)] == [200, 200, 200]
    response = api.get(CARS)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many requests" in json.loads(response.content)["detail"]
    # Another address has its own allowance.
    assert api.get(CARS, REMOTE_ADDR="198.51.100.7").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_when_requests_arrive_at_once(settings):
    settings.PADDOCK_API_RATE_LIMIT = "5/m"

    def call():
        return Client().get(reverse("api:model_lines")).status_code

    results, errors = run_together([call] * 12)
    assert errors == []
    assert sorted(results) == [200] * 5 + [429] * 7


def test_no_limit_when_the_setting_is_empty(api, register, settings):
    settings.PADDOCK_API_RATE_LIMIT = ""
    assert {api.get(CARS).status_code for _ in range(70)} == {200}


def test_the_schema_is_openapi_3_with_a_path_for_each_endpoint(api, register):
    response = api.get(SCHEMA)
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Paddock register API"
    paths = schema["paths"]
    for path in [
        "/api/v1/",
        "/api/v1/model-lines/",
        "/api/v1/production-figures/",
        "/api/v1/colours/",
        "/api/v1/cars/",
        "/api/v1/cars/{car_id}/",
        "/api/v1/cars/by-plaque/{plaque}/",
        "/api/v1/statistics/",
    ]:
        assert set(paths[path]) == {"get"}, path
        assert "200" in paths[path]["get"]["responses"]
    parameters = {p["name"] for p in paths["/api/v1/cars/"]["get"]["parameters"]}
    assert {"model_line", "colour", "country", "status", "year", "verified", "q"} <= parameters
    assert {"limit", "offset"} <= parameters
    # Every reference resolves.
    text = response.content.decode()
    for ref in set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', text)):
        assert ref in schema["components"]["schemas"], ref


def test_the_docs_load_only_the_sites_own_files(api, register):
    response = api.get(DOCS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, html
    assert all(url.startswith("/static/") for url in urls), urls
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    # No inline script: the site's CSP allows none.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        attributes, body = script
        assert "src=" in attributes or 'type="application/json"' in attributes
    settings_json = re.search(r'id="swagger-settings">(.*?)</script>', html, re.S)[1]
    assert json.loads(settings_json)["url"] == SCHEMA
    assert json.loads(settings_json)["validatorUrl"] is None


def test_the_docs_static_files_are_served(api, register):
    html = api.get(DOCS).content.decode()
    for url in re.findall(r'src="([^"]+\.js)"', html):
        assert api.get(url).status_code == 200, url


@pytest.mark.parametrize("page", ["register:stats", "register:list"])
def test_the_register_pages_link_to_the_api_docs(api, register, page):
    response = api.get(reverse(page))
    assert f'href="{DOCS}">API</a>' in response.content.decode()
