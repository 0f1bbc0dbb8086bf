"""The meets admin under input no form of it sends."""

import pytest
from django.test import Client

from meets.models import Meet


@pytest.mark.parametrize("value", ["abc", "1.5", "\x00", "06/2011", str(2**63), str(-(2**63) - 1)])
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


@pytest.mark.parametrize("value", [str(2**63), "99999999999999999999999", "abc"])
@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("/admin/auth/group/add/", {"name": "Marshals"}, "permissions"),
        ("/admin/accounts/user/add/", {"email": "new@example.org"}, "groups"),
    ],
)
def test_a_many_to_many_choice_out_of_range_is_refused_with_a_message(
    staff, path, data, field, value
):
    # Found by the crawling fuzzer's long run: a permission id of 2**63 in the group form
    # made SQLite raise OverflowError (a 500) when Django looked the chosen ids up.
    client = Client()
    client.force_login(staff)

    response = client.post(path, {**data, field: value, "password1": "", "password2": ""})

    assert response.status_code == 200
    form = response.context_data["adminform"].form
    if field in form.fields:
        assert field in form.errors
