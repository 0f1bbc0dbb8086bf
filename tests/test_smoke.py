import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_says_what_the_club_is_and_links_everywhere(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "BMW 1 Series M Register" in html
    assert reverse("members:directory") in html
    assert reverse("account_signup") in html
    assert reverse("account_login") in html
