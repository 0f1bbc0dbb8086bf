"""A `next` leads only to a path on this site: never to a URL name, another site or a 500.

Every view that redirects to a target the visitor sends — our language switch and
allauth's log-in, log-out, sign-up, reauthentication and password change — goes through
config/lib/urls.py (allauth through the adapter's `is_safe_url`). Each hostile value falls
back to that page's own default; a local path such as the RSVP page's "Log in to RSVP"
link sends is honoured.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from config.lib.urls import MAX_LENGTH, is_local_path, safe_next
from tests.factories import TEST_PASSWORD

HOSTILE = [
    pytest.param("x", id="a bare word"),
    pytest.param("account_logout", id="a URL name"),
    pytest.param("home", id="the home page's URL name"),
    pytest.param("//evil.example/", id="scheme-relative"),
    pytest.param("///evil.example", id="three slashes"),
    pytest.param("/\\evil.example", id="slash backslash"),
    pytest.param("\\\\evil.example", id="two backslashes"),
    pytest.param("https://evil.example/", id="another site"),
    pytest.param("https://testserver/accounts/profile/", id="this site with a host"),
    pytest.param("http:evil.example", id="a scheme and no slashes"),
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("JaVaScRiPt:alert(1)", id="JaVaScRiPt"),
    pytest.param(" /accounts/profile/", id="a leading space"),
    pytest.param("\t/accounts/profile/", id="a leading tab"),
    pytest.param("/%0d%0aSet-Cookie:x=1", id="an encoded line break"),
    pytest.param("/accounts/profile/\r\nSet-Cookie: x=1", id="a raw line break"),
    pytest.param("/%2F%2Fevil.example", id="encoded slashes"),
    pytest.param("/%5Cevil.example", id="an encoded backslash"),
    pytest.param("/\u202eelpmaxe.live", id="a right-to-left override"),
    pytest.param("", id="empty"),
    pytest.param("/" + "a" * 4999, id="5000 characters"),
]
LOCAL = "/register/?page=2"

LANGUAGE = reverse("accounts:language")
LOGIN = reverse("account_login")
LOGOUT = reverse("account_logout")
SIGNUP = reverse("account_signup")
REAUTHENTICATE = reverse("account_reauthenticate")
CHANGE_PASSWORD = reverse("account_change_password")
PROFILE = reverse("accounts:profile")  # LOGIN_REDIRECT_URL
HOME = reverse("home")


def where_it_leads(response) -> str:
    """The Location of a redirect, once it is sure to be a path on this site."""
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    return location


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


# --- The helper -----------------------------------------------------------------------


@pytest.mark.parametrize("candidate", HOSTILE)
def test_the_helper_refuses_anything_but_a_local_path(candidate):
    assert is_local_path(candidate) is False
    assert safe_next(candidate, default="/fallback/") == "/fallback/"


@pytest.mark.parametrize(
    "candidate",
    [
        "/",
        LOCAL,
        "/meets/eifel-sunday-drive/#rsvp",
        "/register/?q=M%C3%BCller&colour=red%20metallic",
        "/members/?q=Grünwald",
        "/" + "a" * (MAX_LENGTH - 1),
    ],
)
def test_the_helper_keeps_a_local_path_as_it_is(candidate):
    assert is_local_path(candidate) is True
    assert safe_next(candidate, default="/fallback/") == candidate


@pytest.mark.parametrize("candidate", [None, ["/register/"], b"/register/", 42])
def test_the_helper_refuses_what_is_not_text(candidate):
    assert safe_next(candidate, default="/fallback/") == "/fallback/"


# --- The language switch ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", HOSTILE)
def test_the_language_switch_ignores_a_next_that_is_not_a_local_path(client, next_url):
    response = client.post(LANGUAGE, {"language": "de", "next": next_url})

    assert where_it_leads(response) == HOME
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


@pytest.mark.django_db
def test_the_language_switch_goes_back_to_the_page_it_was_on(client):
    response = client.post(LANGUAGE, {"language": "de", "next": LOCAL})

    assert where_it_leads(response) == LOCAL
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


@pytest.mark.django_db
def test_the_language_switch_without_a_next_goes_home(client):
    response = client.post(LANGUAGE, {"language": "de"})

    assert where_it_leads(response) == HOME


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [pytest.param("account_logout", HOME, id="a URL name"), pytest.param(LOCAL, LOCAL, id="local")],
)
def test_the_language_switch_remembers_a_members_language_whatever_the_next(
    client, member, next_url, expected
):
    client.force_login(member)

    response = client.post(LANGUAGE, {"language": "de", "next": next_url})

    assert where_it_leads(response) == expected
    assert logged_in(client)  # "account_logout" was not followed
    member.refresh_from_db()
    assert member.language == "de"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


@pytest.mark.django_db
def test_the_footer_posts_the_page_the_visitor_is_on_as_next(client):
    html = client.get(LOCAL).content.decode()

    assert re.search(r'name="next" value="/register/\?page=2"', html)


# --- allauth: logging in ------------------------------------------------------------------


def log_in(client, member, next_url: str):
    return client.post(LOGIN, {"login": member.email, "password": TEST_PASSWORD, "next": next_url})


@pytest.mark.parametrize("next_url", HOSTILE)
def test_logging_in_ignores_a_next_that_is_not_a_local_path(client, member, next_url):
    response = log_in(client, member, next_url)

    assert where_it_leads(response) == PROFILE
    assert logged_in(client)


def test_logging_in_goes_on_to_a_local_next(client, member):
    response = log_in(client, member, LOCAL)

    assert where_it_leads(response) == LOCAL
    assert logged_in(client)


@pytest.mark.parametrize("next_url", HOSTILE)
def test_the_login_page_sends_a_logged_in_member_to_the_default_not_to_a_hostile_next(
    client, member, next_url
):
    client.force_login(member)

    response = client.get(LOGIN, {"next": next_url})

    assert where_it_leads(response) == PROFILE


@pytest.mark.parametrize("next_url", HOSTILE)
def test_the_login_page_shows_its_form_whatever_the_next(client, db, next_url):
    response = client.get(LOGIN, {"next": next_url})

    assert response.status_code == 200


# --- allauth: logging out ----------------------------------------------------------------


@pytest.mark.parametrize("next_url", HOSTILE)
def test_logging_out_ignores_a_next_that_is_not_a_local_path(client, member, next_url):
    client.force_login(member)

    response = client.post(LOGOUT, {"next": next_url})

    assert where_it_leads(response) == HOME
    assert not logged_in(client)


def test_logging_out_goes_on_to_a_local_next(client, member):
    client.force_login(member)

    response = client.post(LOGOUT, {"next": LOCAL})

    assert where_it_leads(response) == LOCAL
    assert not logged_in(client)


@pytest.mark.parametrize("next_url", HOSTILE)
def test_the_logout_page_sends_a_visitor_home_not_to_a_hostile_next(client, db, next_url):
    response = client.get(LOGOUT, {"next": next_url})

    assert where_it_leads(response) == HOME


# --- allauth: signing up, then confirming the address -----------------------------------------


def sign_up_and_confirm(client, next_url: str):
    """Sign up with a `next`, then confirm the address from the e-mail: both responses."""
    password = "valencia-orange-2011"
    with TestCase.captureOnCommitCallbacks(execute=True):  # the e-mail goes out on commit
        signed_up = client.post(
            SIGNUP,
            {
                "email": "nina@example.org",
                "password1": password,
                "password2": password,
                "next": next_url,
            },
        )
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)
    return signed_up, client.post(link)


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", HOSTILE)
def test_signing_up_ignores_a_next_that_is_not_a_local_path(client, next_url):
    signed_up, confirmed = sign_up_and_confirm(client, next_url)

    assert where_it_leads(signed_up) == reverse("account_email_verification_sent")
    assert where_it_leads(confirmed) == PROFILE
    assert logged_in(client)


@pytest.mark.django_db
def test_signing_up_goes_on_to_a_local_next_once_the_address_is_confirmed(client):
    signed_up, confirmed = sign_up_and_confirm(client, LOCAL)

    assert where_it_leads(signed_up) == reverse("account_email_verification_sent")
    assert where_it_leads(confirmed) == LOCAL
    assert logged_in(client)


@pytest.mark.parametrize("next_url", HOSTILE)
def test_the_signup_page_sends_a_logged_in_member_to_the_default_not_to_a_hostile_next(
    client, member, next_url
):
    client.force_login(member)

    response = client.get(SIGNUP, {"next": next_url})

    assert where_it_leads(response) == PROFILE


# --- allauth: reauthenticating and changing the password ------------------------------------


@pytest.mark.parametrize("next_url", HOSTILE)
def test_reauthenticating_ignores_a_next_that_is_not_a_local_path(client, member, next_url):
    client.force_login(member)

    response = client.post(REAUTHENTICATE, {"password": TEST_PASSWORD, "next": next_url})

    assert where_it_leads(response) == PROFILE


def test_reauthenticating_goes_on_to_a_local_next(client, member):
    client.force_login(member)

    response = client.post(REAUTHENTICATE, {"password": TEST_PASSWORD, "next": LOCAL})

    assert where_it_leads(response) == LOCAL


def change_password(client, next_url: str):
    new = "monte-carlo-blue-2011"
    return client.post(
        CHANGE_PASSWORD,
        {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new, "next": next_url},
    )


@pytest.mark.parametrize("next_url", HOSTILE)
def test_changing_the_password_ignores_a_next_that_is_not_a_local_path(client, member, next_url):
    client.force_login(member)

    response = change_password(client, next_url)

    assert where_it_leads(response) == CHANGE_PASSWORD
    member.refresh_from_db()
    assert member.check_password("monte-carlo-blue-2011")


def test_changing_the_password_goes_on_to_a_local_next(client, member):
    client.force_login(member)

    response = change_password(client, LOCAL)

    assert where_it_leads(response) == LOCAL
