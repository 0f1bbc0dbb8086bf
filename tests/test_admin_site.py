"""The admin as a club administrator sees it: its icon, its index's groups, its time zone."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import MemberFactory


class _Captions(HTMLParser):
    """The index's group headings: the text of each <caption> of the app list."""

    def __init__(self):
        super().__init__()
        self.captions: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._in = True
            self.captions.append("")

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in = False

    def handle_data(self, data):
        if self._in:
            self.captions[-1] += data


def _captions(html: str) -> list[str]:
    parser = _Captions()
    parser.feed(html)
    return [" ".join(caption.split()) for caption in parser.captions]


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_favicon_ico_leads_to_the_sites_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon.svg")
    assert client.get(response["Location"]).status_code == 200


def test_the_admin_pages_name_the_sites_icon_and_the_admins_style_sheet(staff_client):
    html = staff_client.get("/admin/accounts/user/").content.decode()

    assert re.search(r'<link rel="icon" href="[^"]*img/favicon\.svg"', html)
    assert "css/admin.css" in html


def test_the_index_groups_the_models_as_the_club_thinks_of_them(staff_client):
    response = staff_client.get("/admin/")

    captions = _captions(response.content.decode())
    assert captions[1:] == ["Members", "Register", "Meets", "Club office", "Site"]
    assert captions[0] == "Staff inbox"
    groups = {
        app["name"]: [m["object_name"] for m in app["models"]]
        for app in response.context["app_list"]
    }
    assert groups["Members"] == ["EmailAddress", "User"]  # e-mail addresses, members
    assert {"Group", "OutgoingMail", "Site"} <= set(groups["Site"])
    assert "Sequence" not in groups["Site"]


def test_the_index_shows_no_sequences_nor_a_heading_of_only_e_mail_addresses(staff_client):
    html = staff_client.get("/admin/").content.decode()

    assert "Sequences" not in html
    assert "Accounts" not in _captions(html)
    assert "Authentication and Authorization" not in html


def test_an_apps_own_page_still_lists_its_models(staff_client):
    response = staff_client.get("/admin/accounts/")

    assert response.status_code == 200
    assert [app["app_label"] for app in response.context["app_list"]] == ["accounts"]


def test_the_members_change_list_shows_the_columns_an_administrator_scans(staff_client):
    MemberFactory(email="ada@example.org", display_name="Ada")

    response = staff_client.get("/admin/accounts/user/")

    assert response.status_code == 200
    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', response.content.decode())
    assert columns == [
        "email",
        "display_name",
        "membership_number",
        "membership_status",
        "renewal_date",
    ]


@pytest.mark.django_db
def test_a_date_and_time_field_says_the_club_time_zone_and_the_browser_warning_is_hidden(
    staff_client, settings
):
    response = staff_client.get("/admin/meets/meet/add/")

    html = response.content.decode()
    assert "Times are in the club’s time zone (Europe/Berlin)." in html
    css = staff_client.get("/static/css/admin.css")
    text = b"".join(css.streaming_content).decode() if css.streaming else css.content.decode()
    assert re.search(r"\.timezonewarning\s*\{\s*display:\s*none", text)


def test_a_superuser_still_reaches_the_sequences_by_their_address(staff_client):
    assert staff_client.get("/admin/accounts/sequence/").status_code == 200
    assert User.objects.filter(is_superuser=True).exists()


class _Breadcrumbs(HTMLParser):
    """The text of the admin page's breadcrumbs (<div class="breadcrumbs">)."""

    def __init__(self):
        super().__init__()
        self.text = ""
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += tag == "div"
        elif tag == "div" and "breadcrumbs" in (dict(attrs).get("class") or "").split():
            self._depth = 1

    def handle_endtag(self, tag):
        if self._depth and tag == "div":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.text += data


def test_the_e_mail_addresses_breadcrumbs_name_them_as_the_index_does(staff_client):
    # staff is a superuser.
    response = staff_client.get("/admin/account/emailaddress/")

    assert response.status_code == 200
    parser = _Breadcrumbs()
    parser.feed(response.content.decode())
    assert " ".join(parser.text.split()) == "Home › Members › E-mail addresses"


def test_the_accounts_app_starts_with_its_own_config_beside_allauths():
    from django.apps import apps

    from accounts.apps import AccountsConfig

    # Two AppConfigs in one module left Django starting the accounts app with a bare one:
    # none of its signals, inbox items or checks connected.
    assert type(apps.get_app_config("accounts")) is AccountsConfig
    assert str(apps.get_app_config("account").verbose_name) == "Members"
