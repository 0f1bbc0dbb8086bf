"""The accounts pages, the shared templates and the language switcher, in German.

A visitor picks German with the switcher in the footer (a cookie); a member's choice is
kept on their profile and wins over the browser's Accept-Language on every device. E-mails
go out in the recipient's language, whoever's request sent them.
"""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.services import member_approve
from tests.accounts.images import noise_jpeg_bytes, upload
from tests.factories import TEST_PASSWORD, MemberFactory, PendingMemberFactory

HOME = reverse("home")
LANGUAGE = reverse("accounts:language")
PROFILE = reverse("accounts:profile")
EDIT = reverse("accounts:profile_edit")
DIRECTORY = reverse("members:directory")
LOGIN = reverse("account_login")


def german(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def german_member(db):
    return MemberFactory(display_name="Greta Gruber", language="de")


@pytest.fixture
def german_member_client(client, german_member):
    client.force_login(german_member)
    return client


# --- The language switcher, end to end ----------------------------------------------------


def test_the_footer_offers_each_language_in_its_own_name(client):
    html = page(client, HOME)

    assert f'action="{LANGUAGE}"' in html
    assert 'name="language" value="de" lang="de"' in html
    assert ">Deutsch</button>" in html
    assert ">English</button>" in html
    assert '<html lang="en-gb"' in html

    html = page(german(client), HOME)
    assert ">Deutsch</button>" in html
    assert ">English</button>" in html  # not "Englisch": a reader of English must find it


def test_an_anonymous_visitor_who_picks_german_sees_the_home_page_in_german(client):
    assert "Join the club" in page(client, HOME)

    response = client.post(LANGUAGE, {"language": "de", "next": HOME})

    assert response.status_code == 302
    assert response["Location"] == HOME
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    html = page(client, HOME)
    assert '<html lang="de"' in html
    assert "Mitglied werden" in html
    assert "Das Register" in html
    assert "Zum Hauptinhalt springen" in html
    assert "Join the club" not in html


def test_a_member_who_picks_german_keeps_it_on_their_profile_and_on_another_device(client, member):
    assert member.language == "en-gb"
    client.post(LOGIN, {"login": member.email, "password": TEST_PASSWORD})

    response = client.post(LANGUAGE, {"language": "de", "next": PROFILE})

    assert response["Location"] == PROFILE
    member.refresh_from_db()
    assert member.language == "de"

    # Another visit from a fresh browser (no cookie), which asks for English.
    other_device = Client(HTTP_ACCEPT_LANGUAGE="en")
    logged_in = other_device.post(LOGIN, {"login": member.email, "password": TEST_PASSWORD})
    assert logged_in.status_code == 302
    html = page(other_device, PROFILE)
    assert "Mein Profil" in html
    assert "Mitgliedsnummer" in html
    assert "My profile" not in html


def test_a_member_who_goes_back_to_english_gets_english_again(german_member_client):
    german_member_client.post(LANGUAGE, {"language": "en-gb", "next": HOME})

    assert User.objects.get(display_name="Greta Gruber").language == "en-gb"
    assert "My profile" in page(german_member_client, HOME)


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/profile/", "http://testserver.evil.example/", ""],
)
def test_the_switcher_never_sends_anyone_off_the_site(client, next_url):
    response = client.post(LANGUAGE, {"language": "de", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == HOME


def test_the_switcher_ignores_a_language_the_site_does_not_offer(client, member):
    client.force_login(member)

    response = client.post(LANGUAGE, {"language": "fr", "next": HOME})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    member.refresh_from_db()
    assert member.language == "en-gb"


def test_the_switcher_answers_only_a_post(client):
    assert client.get(LANGUAGE, {"language": "de"}).status_code == 405


def test_a_member_whose_profile_says_german_gets_german_whatever_the_browser_asks(
    german_member,
):
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"
    browser.force_login(german_member)

    html = page(browser, HOME)

    assert '<html lang="de"' in html
    assert "Mein Profil" in html
    assert "Ausloggen" in html


# --- Pages --------------------------------------------------------------------------------


def test_the_profile_in_german_with_localised_dates(german_member):
    User.objects.filter(pk=german_member.pk).update(
        member_since=datetime.date(2026, 3, 15), renewal_date=datetime.date(2027, 3, 15)
    )
    browser = Client()
    browser.force_login(german_member)

    html = page(browser, PROFILE)

    assert "<title>Mein Profil · Paddock</title>" in html
    assert "Über Sie" in html
    assert "Privatsphäre" in html
    assert "Nur Clubmitglieder" in html  # the choice's label
    assert "Aktiv" in html  # the membership status
    assert f"Nr. {german_member.membership_number}" in html
    assert "15. März 2026" in html
    assert "15. März 2027" in html
    assert "Meine Daten herunterladen (JSON)" in html


def test_the_profile_form_in_german(german_member_client):
    html = page(german_member_client, EDIT)

    assert "Ihr Profil bearbeiten" in html
    assert "Anzeigename" in html
    assert "Wer meinen Namen sehen darf" in html
    assert "Alle, auch die Öffentlichkeit" in html
    assert "Mich im Mitgliederverzeichnis aufführen" in html
    assert "Profil speichern" in html


def test_a_photo_over_the_limit_is_refused_in_german_with_a_decimal_comma(
    german_member_client, german_member, settings
):
    settings.PADDOCK_MAX_UPLOAD_BYTES = 1024 * 1024
    data = {
        "display_name": german_member.display_name,
        "country": "DE",
        "city": "",
        "bio": "",
        "name_visibility": german_member.name_visibility,
        "language": "de",
        "avatar": upload(noise_jpeg_bytes(1000)),
    }

    response = german_member_client.post(EDIT, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Bitte korrigieren Sie die Fehler unten." in html
    assert "erlaubt sind höchstens 1,0 MB. Bitte laden Sie ein kleineres Foto hoch." in html


def test_a_wrong_password_when_deleting_the_account_is_told_in_german(german_member_client):
    response = german_member_client.post(
        reverse("accounts:delete"), {"password": "wrong", "confirm": "on"}
    )

    html = response.content.decode()
    assert "Das ist nicht Ihr Passwort." in html
    assert "Mein Konto löschen" in html


def test_the_directory_in_german(german_member_client):
    MemberFactory(display_name="Karl Klein")

    html = page(german_member_client, DIRECTORY)

    assert "Mitgliederverzeichnis" in html
    assert "2 Mitglieder haben sich eintragen lassen." in html
    assert "Nach Name oder Stadt suchen" in html

    html = page(german_member_client, DIRECTORY + "?q=Nora")
    assert "Kein Mitglied passt zu „Nora“." in html


def test_a_pending_member_is_told_in_german_why_the_directory_is_closed(db):
    applicant = PendingMemberFactory(language="de")
    browser = Client()
    browser.force_login(applicant)

    response = browser.get(DIRECTORY)

    assert response.status_code == 403
    html = response.content.decode()
    assert "Ihre Mitgliedschaft wartet noch auf die Bestätigung durch das Team des Clubs." in html
    assert "Sobald sie bestätigt ist, steht Ihnen das Mitgliederverzeichnis offen" in html


def test_the_not_found_page_in_german(client):
    response = german(client).get("/no-such-page/")

    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_the_server_error_page_renders_without_context_in_german():
    with translation.override("de"):
        html = get_template("500.html").render()

    assert '<html lang="de">' in html
    assert "Etwas ist schiefgelaufen" in html
    assert "Zurück zur Startseite" in html


def test_the_staff_admin_in_german(client, staff):
    User.objects.filter(pk=staff.pk).update(language="de")
    client.force_login(staff)

    html = page(client, reverse("admin:accounts_user_changelist"))

    assert "— Team" in html
    assert "Ausgewählte Mitglieder bestätigen (Mitgliedsnummern vergeben)" in html
    assert "Mitgliedsnummer" in html


# --- E-mails in the recipient's language ----------------------------------------------------


def test_the_welcome_email_to_a_german_member_is_german(db, django_capture_on_commit_callbacks):
    applicant = PendingMemberFactory(display_name="Greta Gruber", language="de")

    with django_capture_on_commit_callbacks(execute=True):
        member = member_approve(member=applicant)

    [message] = mail.outbox
    assert message.subject == f"Willkommen beim {settings.PADDOCK_CLUB_NAME}"
    assert "Hallo Greta Gruber," in message.body
    assert f"Ihre Mitgliedsnummer ist {member.membership_number}." in message.body
    assert "Ihre Mitgliedschaft läuft bis zum " in message.body
    assert "Bis zum nächsten Treffen!" in message.body


def test_approval_from_a_german_admin_still_welcomes_an_english_member_in_english(
    client, staff, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=staff.pk).update(language="de")
    applicant = PendingMemberFactory(display_name="Nina Newcomer")
    assert applicant.language == "en-gb"
    german(client).force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "approve_members", "_selected_action": [applicant.pk]},
            follow=True,
        )

    assert "1 Mitglied bestätigt." in response.content.decode()
    [message] = mail.outbox
    assert message.to == [applicant.email]
    assert message.subject == f"Welcome to the {settings.PADDOCK_CLUB_NAME}"
    assert "Hello Nina Newcomer," in message.body
    assert "See you at the next meet!" in message.body


def test_a_german_member_approved_again_hears_it_in_german(db, django_capture_on_commit_callbacks):
    member = MemberFactory(language="de")
    User.objects.filter(pk=member.pk).update(membership_status=User.Status.LAPSED)

    with django_capture_on_commit_callbacks(execute=True), translation.override("en-gb"):
        member_approve(member=member)

    [message] = mail.outbox
    assert message.subject == "Ihre Mitgliedschaft ist wieder aktiv"
    assert f"ist wieder aktiv (Nr. {member.membership_number})" in message.body


def test_a_password_reset_is_mailed_in_the_members_language_whatever_the_page_s(
    client, member, django_capture_on_commit_callbacks
):
    member.language = "de"
    member.save(update_fields=["language"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": member.email})

    assert len(mail.outbox) == 1
    assert "Passwort" in mail.outbox[0].subject + mail.outbox[0].body
