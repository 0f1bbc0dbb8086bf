"""The membership card: its page, its PNG, and what scanning its code shows at the gate.

A scanned code shows staff, organisers and check-in helpers the membership number and one
line: "Valid until …" (green) or "Lapsed" (red). A token the site did not sign, or of a card
replaced since, answers 404 with a red "Not valid".
"""

import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core import signing
from django.urls import reverse
from PIL import Image

from accounts.models import ORGANISERS_GROUP, User
from membership import card as cards
from membership.models import Seat
from tests.factories import MemberFactory, PendingMemberFactory
from tests.meets.factories import MeetFactory
from tests.membership import member_states
from tests.membership.member_states import days, dues_for, long_date, member_in, text_of

club_bank = member_states.club_bank  # autouse: the club's account, the renewal settings
levels = member_states.levels

CARD = reverse("membership:card")
PNG = reverse("membership:card_png")


def check_url(member: User) -> str:
    seat = Seat.objects.filter(member=member).first()
    return reverse("membership:card_check", args=[cards.card_token(member, seat)])


@pytest.fixture
def holder(levels):
    return member_in(
        levels.full, valid_until=days(200), display_name="Olga Owner", email="olga@example.org"
    )


@pytest.fixture
def checkers(db):
    """Who may check cards: staff, an organiser, a meet's organiser, a meet's helper."""
    organiser = MemberFactory(display_name="Oscar Organiser")
    organiser.groups.add(Group.objects.get_or_create(name=ORGANISERS_GROUP)[0])
    helper = MemberFactory(display_name="Hanna Helper")
    meet_organiser = MemberFactory(display_name="Mia Meetorganiser")
    MeetFactory(checkin_helpers=[helper], organisers=[meet_organiser])
    staff = MemberFactory(display_name="Stella Staff", is_staff=True)
    return {"staff": staff, "organiser": organiser, "helper": helper, "meet": meet_organiser}


# --- The card page -----------------------------------------------------------------------


def test_the_card_sends_anonymous_visitors_to_log_in(client):
    for url in (CARD, PNG):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_an_applicant_is_told_the_card_comes_after_approval(client, db):
    client.force_login(PendingMemberFactory())

    response = client.get(CARD)

    assert response.status_code == 200
    assert "Your membership card comes once the club's staff have approved" in text_of(response)
    assert "<svg" not in response.content.decode()
    assert client.get(PNG).status_code == 404


def test_a_resigned_member_has_no_card(client, levels):
    client.force_login(member_in(levels.full, valid_until=days(10), status=User.Status.RESIGNED))

    assert "your membership has ended" in text_of(client.get(CARD))
    assert client.get(PNG).status_code == 404


def test_the_card_shows_name_number_level_valid_until_and_a_code(client, holder):
    client.force_login(holder)

    response = client.get(CARD)
    text = text_of(response)

    assert response.status_code == 200
    assert "Olga Owner" in text
    assert str(holder.membership_number) in text
    assert "Full member" in text
    assert long_date(days(199)) in text
    assert response.content.decode().count("<svg") == 1
    assert f'href="{PNG}"' in response.content.decode()


def test_the_profile_and_the_membership_page_lead_to_the_card(client, holder):
    client.force_login(holder)

    for url in (reverse("accounts:profile"), reverse("membership:home")):
        assert f'href="{CARD}"' in client.get(url).content.decode()


def test_an_applicants_pages_offer_no_card(client, db):
    client.force_login(PendingMemberFactory())

    for url in (reverse("accounts:profile"), reverse("membership:home")):
        assert f'href="{CARD}"' not in client.get(url).content.decode()


def test_a_lapsed_member_still_has_a_card_that_says_so(client, levels):
    member = member_in(levels.full, valid_until=days(-60), status=User.Status.LAPSED)
    client.force_login(member)

    text = text_of(client.get(CARD))

    assert str(member.membership_number) in text
    assert "Lapsed" in text


def test_a_member_for_life_has_a_card_for_life(client, levels):
    client.force_login(member_in(levels.life, valid_until=None))

    assert "For life" in text_of(client.get(CARD))


def test_the_code_carries_the_membership_number_and_card_version_only(holder):
    token = cards.card_token(holder, holder.seat)

    assert signing.Signer(salt=cards.SALT).unsign_object(token) == [holder.membership_number, 1]
    assert "olga" not in token.lower()


# --- The PNG -----------------------------------------------------------------------------


def test_the_png_is_a_card_sized_image_to_save(client, holder):
    client.force_login(holder)

    response = client.get(PNG)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        f'attachment; filename="membership-card-{holder.membership_number}.png"'
    )
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (1011, 638)
    assert 5_000 < len(response.content) < 500_000


@pytest.fixture(params=["the server's font", "Pillow's own font"])
def font(request, monkeypatch):
    """Each card drawn twice: with whatever font the machine has, and with none of them."""
    if request.param == "Pillow's own font":
        monkeypatch.setattr(cards, "SYSTEM_FONTS", ())
    return request.param


@pytest.mark.parametrize(
    "name",
    [
        "Ἀλέξανδρος Παπαδόπουλος",
        "山田 太郎",
        "محمد عبد الله",
        "שׂרה לוי",
        "Zoë 👨‍👩‍👧‍👦 O'Brien-Łukasiewicz",
        "\u202eevil\u200b\u0000name",
        "W" * 80,
    ],
)
def test_a_name_in_any_script_draws_without_failing(client, levels, font, name):
    member = member_in(levels.full, valid_until=days(100), display_name=name.replace("\0", ""))
    client.force_login(member)

    response = client.get(PNG)

    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == (1011, 638)


def test_what_the_font_lacks_is_written_in_latin_letters_not_as_boxes():
    ascii_only = frozenset(range(0x20, 0x7F))

    assert cards.drawable("Zoë Müller-Łukasiewicz", ascii_only) == "Zoe Muller-Lukasiewicz"
    assert cards.drawable("Jürgen Straße", ascii_only) == "Jurgen Strasse"
    assert cards.drawable("山田 太郎", ascii_only) == "Shan Tian Tai Lang"
    assert cards.drawable("Ἀλέξανδρος", ascii_only) == "Alexandros"
    assert cards.drawable("\u202eevil\u200b\tname\n", ascii_only) == "evil name"
    assert cards.drawable("👨‍👩‍👧", ascii_only) == ""
    with_umlauts = ascii_only | {ord("ü"), ord("ß")}
    assert cards.drawable("Jürgen Straße", with_umlauts) == "Jürgen Straße"


def test_pillows_own_font_is_known_to_draw_latin_letters(monkeypatch):
    monkeypatch.setattr(cards, "SYSTEM_FONTS", ())

    path, covered = cards.typeface()

    assert path is None
    assert {ord(c) for c in "AZaz09 -.'"} <= covered


# --- Checking a card at the gate ---------------------------------------------------------


def test_checking_sends_anonymous_visitors_to_log_in_and_back(client, holder):
    url = check_url(holder)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]
    assert "check" in response["Location"]


@pytest.mark.parametrize("who", ["staff", "organiser", "helper", "meet"])
def test_the_gate_sees_valid_until_and_the_number_and_nothing_more(client, holder, checkers, who):
    client.force_login(checkers[who])

    response = client.get(check_url(holder))
    text = text_of(response)

    assert response.status_code == 200
    assert f"Valid until {long_date(days(199))}" in text
    assert f"Membership No. {holder.membership_number}" in text
    assert 'data-verdict="valid"' in response.content.decode()
    assert "Olga" not in text
    assert "olga@example.org" not in response.content.decode()
    assert "Full member" not in text


@pytest.mark.parametrize("who", ["staff", "helper"])
def test_the_gate_sees_a_lapsed_member_as_lapsed(client, levels, checkers, who):
    member = member_in(
        levels.full,
        valid_until=days(-60),
        status=User.Status.LAPSED,
        display_name="Lena Lapsed",
    )
    client.force_login(checkers[who])

    response = client.get(check_url(member))
    text = text_of(response)

    assert response.status_code == 200
    assert "Lapsed" in text
    assert "Valid" not in text
    assert 'data-verdict="lapsed"' in response.content.decode()
    assert "Lena" not in text


def test_the_gate_sees_a_member_in_grace_valid_until_the_last_day_to_pay(client, levels, checkers):
    member = member_in(levels.full, valid_until=days(-5))
    dues_for(member, issued=days(-35), due=days(-5))
    client.force_login(checkers["helper"])

    text = text_of(client.get(check_url(member)))

    assert f"Valid until {long_date(days(25))}" in text


def test_the_gate_sees_a_member_for_life_valid_for_life(client, levels, checkers):
    member = member_in(levels.life, valid_until=None)
    client.force_login(checkers["staff"])

    assert "Valid for life" in text_of(client.get(check_url(member)))


def test_the_check_follows_the_live_status_not_the_code(client, holder, checkers):
    url = check_url(holder)
    client.force_login(checkers["helper"])
    assert "Valid until" in text_of(client.get(url))

    User.objects.filter(pk=holder.pk).update(membership_status=User.Status.LAPSED)

    assert "Lapsed" in text_of(client.get(url))


@pytest.mark.parametrize("who", ["member", "holder"])
def test_a_plain_member_may_not_check_cards_not_even_their_own(client, holder, who):
    client.force_login(holder if who == "holder" else MemberFactory())

    assert client.get(check_url(holder)).status_code == 403


def test_a_tampered_token_is_not_valid_and_answers_404(client, holder, checkers):
    signer = signing.Signer(salt=cards.SALT)
    token = cards.card_token(holder, holder.seat)
    payload, signature = token.split(":")
    other = signer.sign_object([holder.membership_number + 1, 1]).split(":")[0]
    forged = [
        f"{other}:{signature}",  # another number under this card's signature
        f"{payload}:{signature[:-2]}xx",
        "not-a-token",
        signing.Signer(salt="another.salt").sign_object([holder.membership_number, 1]),
        signer.sign_object({"n": holder.membership_number}),
        signer.sign_object([holder.membership_number, -1]),
        signer.sign("not json"),
    ]
    client.force_login(checkers["staff"])

    for token in forged:
        response = client.get(reverse("membership:card_check", args=[token]))
        assert response.status_code == 404, token
        assert "Not valid" in text_of(response)
        assert 'data-verdict="not-valid"' in response.content.decode()
        assert "Membership No." not in text_of(response)


def test_a_card_replaced_by_a_new_version_is_not_valid(client, holder, checkers):
    url = check_url(holder)
    Seat.objects.filter(member=holder).update(card_version=2)
    client.force_login(checkers["helper"])

    assert client.get(url).status_code == 404
    assert client.get(check_url(holder)).status_code == 200


def test_a_deleted_members_card_is_not_valid(client, holder, checkers):
    url = check_url(holder)
    User.objects.filter(pk=holder.pk).update(is_active=False)
    client.force_login(checkers["staff"])

    assert client.get(url).status_code == 404


def test_the_card_page_code_opens_the_check_page(client, holder):
    client.force_login(holder)

    html = client.get(CARD).content.decode()

    token = cards.card_token(holder, holder.seat)
    assert re.search(r"<svg", html)
    assert cards.read_token(token) == (holder.membership_number, 1)
    assert cards.card_check_url(holder, holder.seat).endswith(
        reverse("membership:card_check", args=[token])
    )


def test_the_card_and_check_pages_name_their_links_and_buttons(client, holder, checkers):
    from tests.test_accessibility_markup import audit

    client.force_login(holder)
    pages = [client.get(CARD)]
    client.force_login(checkers["helper"])
    pages.append(client.get(check_url(holder)))

    for response in pages:
        found = audit(response.content.decode())
        assert (found.images_without_alt, found.unlabelled_controls(), found.unnamed) == (
            [],
            [],
            [],
        )


@pytest.mark.browser
def test_the_card_and_its_check_run_under_the_csp_and_pass_axe(live_server, page, holder):
    from axe_playwright_python.sync_playwright import Axe

    helper = MemberFactory()
    MeetFactory(checkin_helpers=[helper])
    violations = member_states.csp_violations(page)
    member_states.log_in(page, live_server, holder)
    page.goto(f"{live_server.url}{CARD}")
    found = Axe().run(page).response["violations"]
    assert [v["id"] for v in found if v["impact"] in {"serious", "critical"}] == []

    member_states.log_in(page, live_server, helper)
    page.goto(f"{live_server.url}{check_url(holder)}")

    assert page.get_by_text(f"Valid until {long_date(days(199))}").is_visible()
    assert violations == []
