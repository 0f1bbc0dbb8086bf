"""One vocabulary on every account page: "Join the club", "Log in", "Log out".

allauth's own templates and messages say "Sign Up", "Sign In" and "please sign in" (in
German "Registrieren" and "Anmelden"); the site says "Join the club" and "Log in"
("Mitglied werden", "Einloggen"). Each account page is rendered in English and German and
searched for allauth's words.
"""

import re

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from tests.factories import TEST_PASSWORD, MemberFactory, PendingMemberFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "valencia-orange-2011"

# allauth's words for what the site calls "Join the club" and "Log in".
ENGLISH = ["Sign Up", "Sign In", "sign in", "sign up", "Signup", "Sign Out", "sign out"]
GERMAN = [
    # "Anmeldung" is an RSVP to a meet: logging out is "Ausloggen", never "Abmelden".
    "Abmeld",
    "abmeld",
    "Anmeld",
    "anmeld",
    "Angemeldet",
    "angemeldet",
    "Registrier",
    "registrier",
    "Du hast",
    "Dein",
]
# The site's own words, as the German catalogue gives them.
SITE_WORDS = {
    "en": {"login": "Log in", "signup": "Join the club", "logout": "Log out"},
    "de": {"login": "Einloggen", "signup": "Mitglied werden", "logout": "Ausloggen"},
}


def visible_text(html: str) -> str:
    """The page's words, its tags and scripts left out (a CSS class is no word)."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def client_in(language: str, user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    return client


def confirmation_key(user) -> str:
    """The key of a confirmation link for `user`'s address, which is not confirmed yet."""
    EmailAddress.objects.filter(user=user).update(verified=False)
    address = EmailAddress.objects.get(user=user, email=user.email)
    return EmailConfirmationHMAC(address).key


def account_pages(language: str):
    """(name, html) of every account page a member or visitor sees, in `language`."""
    member = MemberFactory(language=language)  # a member's pages are in their language
    applicant = PendingMemberFactory()
    anonymous = client_in(language)
    logged_in = client_in(language, member)

    pages = {
        "login": anonymous.get(reverse("account_login")),
        "signup": anonymous.get(reverse("account_signup")),
        "logout": logged_in.get(reverse("account_logout")),
        "password reset": anonymous.get(reverse("account_reset_password")),
        "password reset done": anonymous.get(reverse("account_reset_password_done")),
        "reset from a bad key": anonymous.get(
            reverse("account_reset_password_from_key", args=["1", "bad-key"]), follow=True
        ),
        "verification sent": anonymous.get(reverse("account_email_verification_sent")),
        "email addresses": logged_in.get(reverse("account_email")),
        "password change": logged_in.get(reverse("account_change_password")),
        "bad confirmation": anonymous.get(reverse("account_confirm_email", args=["no-such-key"])),
    }
    key = confirmation_key(applicant)
    url = reverse("account_confirm_email", args=[key])
    pages["confirmation"] = anonymous.get(url)
    anonymous.post(url)
    pages["confirmation used twice"] = client_in(language).get(url)
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code)
        yield name, response.content.decode()


@pytest.mark.parametrize("language, words", [("en", ENGLISH), ("de", GERMAN)])
def test_every_account_page_says_log_in_and_join_the_club(language, words):
    pages = dict(account_pages(language))
    found = {
        name: [word for word in words if word in visible_text(html)] for name, html in pages.items()
    }

    assert {name: hits for name, hits in found.items() if hits} == {}
    site = SITE_WORDS[language]
    assert site["login"] in visible_text(pages["login"]).split("·")[0]  # the page's title
    assert site["signup"] in visible_text(pages["login"])
    assert site["signup"] in visible_text(pages["signup"]).split("·")[0]
    assert site["login"] in visible_text(pages["signup"])
    assert visible_text(pages["logout"]).count(site["logout"]) >= 3  # title, heading, button
    if language == "en":
        assert "Keep me logged in" in visible_text(pages["login"])


def test_a_member_asking_for_a_reset_is_told_they_are_logged_in():
    member = MemberFactory(display_name="Lena Logged")

    html = client_in("en", member).get(reverse("account_reset_password")).content.decode()

    assert "You are logged in as Lena Logged." in visible_text(html)


@pytest.mark.parametrize("language, words", [("en", ENGLISH), ("de", GERMAN)])
def test_logging_in_and_out_says_so_in_the_sites_words(language, words):
    member = MemberFactory(language=language)
    client = client_in(language)

    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": TEST_PASSWORD},
        follow=True,
    )
    logged_in = visible_text(response.content.decode())
    response = client.post(reverse("account_logout"), follow=True)
    logged_out = visible_text(response.content.decode())

    for text in (logged_in, logged_out):
        assert [word for word in words if word in text] == []
    if language == "en":
        assert f"You are logged in as {member.display_name}." in logged_in
        assert "You have logged out." in logged_out


# --- A confirmation link used twice -------------------------------------------------------


def test_a_confirmation_link_clicked_twice_says_the_address_is_already_confirmed(client):
    applicant = PendingMemberFactory()
    url = reverse("account_confirm_email", args=[confirmation_key(applicant)])
    assert client.post(url).status_code == 302
    client.logout()

    again = visible_text(client.get(url).content.decode())
    posted_again = client.post(url)

    assert "This e-mail address is already confirmed" in again
    assert "expired" not in again
    assert f'<a href="{reverse("account_login")}" class="btn btn-primary">Log in</a>' in (
        client.get(url).content.decode()
    )
    assert posted_again.status_code == 200
    assert "already confirmed" in posted_again.content.decode()


def test_a_member_who_clicks_the_link_again_is_offered_their_profile(client):
    applicant = PendingMemberFactory()
    url = reverse("account_confirm_email", args=[confirmation_key(applicant)])
    client.post(url)
    client.force_login(applicant)

    html = client.get(url).content.decode()

    assert "This e-mail address is already confirmed" in html
    assert (
        f'<a href="{reverse("accounts:profile")}" class="btn btn-primary">Go to your profile</a>'
        in html
    )


def test_a_forged_or_unknown_link_still_says_it_is_not_valid(client):
    applicant = PendingMemberFactory()
    key = confirmation_key(applicant)
    EmailAddress.objects.filter(user=applicant).update(verified=True)

    forged = visible_text(
        client.get(reverse("account_confirm_email", args=[key + "x"])).content.decode()
    )
    unknown = visible_text(
        client.get(reverse("account_confirm_email", args=["nonsense"])).content.decode()
    )

    for text in (forged, unknown):
        assert "has expired or is not valid" in text
        assert "already confirmed" not in text


# --- allauth's e-mails about accounts -----------------------------------------------------


def test_the_emails_about_an_unknown_or_taken_address_use_the_sites_words(client):
    member = MemberFactory()
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
        client.post(
            reverse("account_signup"),
            {"email": member.email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )

    unknown, taken = mail.outbox
    assert unknown.to == ["nobody@example.org"]
    assert "join the club here:" in unknown.body
    assert "/accounts/signup/" in unknown.body
    assert taken.to == [member.email]
    assert "asked to join the club" in taken.body
    assert "/accounts/password/reset/" in taken.body
    assert unknown.subject == "No account uses this e-mail address"
    assert taken.subject == "You already have an account"
    for message in (unknown, taken):
        words = re.sub(r"https?://\S+", " ", message.body)  # /accounts/signup/ is no word
        assert [word for word in ENGLISH if word.lower() in words.lower()] == []


def test_allauths_own_messages_speak_the_sites_words_in_both_languages():
    from django.utils import translation

    from accounts.adapter import AccountAdapter

    adapter = AccountAdapter()
    # Those a member can meet on this site (no usernames, no phone numbers).
    reachable = [k for k in adapter.error_messages if not k.startswith(("username", "phone"))]
    for language, words in (("en", ENGLISH), ("de", GERMAN)):
        with translation.override(language):
            messages = [str(adapter.error_messages[k]) for k in reachable]
        for message in messages:
            assert not [w for w in words if w in message], (language, message)
            assert "email" not in message.lower().replace("e-mail", ""), message
    with translation.override("de"):
        assert str(adapter.error_messages["too_many_login_attempts"]).startswith("Zu viele")
        assert "Sie" in str(adapter.error_messages["enter_current_password"])
