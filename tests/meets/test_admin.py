"""The meets admin under input no form of it sends."""

import pytest
from django.test import Client

from meets.models import Meet


@pytest.mark.parametrize("value", ["abc", "1.5", "\x00", "06/2011"])
@pytest.mark.parametrize("field", ["organisers", "checkin_helpers"])
def test_it_shows_the_form_again_when_a_chosen_member_is_no_id(staff, field, value):
    # Found by the crawling fuzzer (tests/fuzz/test_crawl.py): the autocomplete widget
    # looked the value up to label it, and the query raised ValueError, a 500.
    client = Client()
    client.force_login(staff)

    response = client.post("/admin/meets/meet/add/", {"title": "Spring drive", field: value})

    assert response.status_code == 200
    assert field in response.context_data["adminform"].form.errors  # the form, with its error
    assert not Meet.objects.exists()
