"""A NUL byte in a query string is refused with 400 on every page, the admin's filters too."""

import pytest
from django.urls import reverse

from tests.factories import MemberFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "membership_status__exact=%00",
        "membership_status__exact=abc%00def",
        "q=Fuzz%00",
        "a%00b=1",
    ],
)
def test_a_nul_byte_in_an_admin_filter_is_a_bad_request_not_a_server_error(client, query):
    client.force_login(MemberFactory(is_staff=True, is_superuser=True))

    response = client.get(f"{reverse('admin:accounts_user_changelist')}?{query}")

    assert response.status_code == 400


@pytest.mark.django_db
def test_a_query_without_nul_is_served_as_before(client):
    client.force_login(MemberFactory(is_staff=True, is_superuser=True))

    response = client.get(
        f"{reverse('admin:accounts_user_changelist')}?membership_status__exact=pending"
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_public_page_refuses_a_nul_byte_too(client):
    assert client.get(reverse("register:list") + "?q=%00").status_code == 400
