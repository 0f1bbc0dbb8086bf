"""What make bench needs from the site: a baseline page and a query count per response."""

import pytest
from django.urls import reverse

from config.middleware import QueryCountMiddleware

BASELINE = reverse("bench_baseline")


@pytest.mark.django_db
def test_the_baseline_page_renders_the_site_frame_without_a_query(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get(BASELINE)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="h3">Baseline</h1>' in html
    assert reverse("account_login") in html  # the navigation bar of base.html


@pytest.mark.django_db
def test_a_logged_in_member_costs_the_baseline_only_the_session_and_the_user(
    client, member, django_assert_num_queries
):
    client.force_login(member)

    with django_assert_num_queries(2):
        response = client.get(BASELINE)

    assert str(member) in response.content.decode()


@pytest.mark.django_db
def test_responses_carry_no_query_count_by_default(client):
    assert "X-Query-Count" not in client.get(BASELINE).headers


@pytest.mark.django_db
def test_with_the_middleware_every_response_says_how_many_queries_it_ran(client, member, settings):
    settings.MIDDLEWARE = ["config.middleware.QueryCountMiddleware", *settings.MIDDLEWARE]

    assert client.get(BASELINE).headers[QueryCountMiddleware.header] == "0"
    client.force_login(member)
    assert client.get(BASELINE).headers[QueryCountMiddleware.header] == "2"
