"""What a membership allows (membership.rights), and pages that offer no button a member
cannot use: they say why not and what to do instead, and a typed URL answers 403 with it."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from accounts.services import member_set_status
from meets.models import RSVP
from membership import rights
from membership.models import Level, Membership, Seat
from register.models import Car, Claim
from tests.factories import MemberFactory, PendingMemberFactory
from tests.meets.factories import MeetFactory
from tests.register.factories import CarFactory, ColourFactory, ModelLineFactory

pytestmark = pytest.mark.django_db

PENDING = "Your membership is still waiting for approval by the club's staff."
LAPSED_CARS = "Your membership has lapsed: renew it to register or claim cars again."
LAPSED_RSVP = "Your membership has lapsed: renew it to RSVP to meets again."
ASSOCIATE_CARS = "Your membership level (Associate) does not include registering or claiming cars."
NO_RSVP_LEVEL = "Your membership level (Supporter) does not include RSVPs to meets."
NO_DIRECTORY_LEVEL = "Your membership level (Quiet) does not include the members' directory."


def fresh(user: User) -> User:
    """The member as the next request loads them: nothing remembered from an earlier check."""
    return User.objects.get(pk=user.pk)


def on_level(member: User, name: str, **allows) -> User:
    """Move `member`'s membership to a new level named `name` with the given rights."""
    level = Level.objects.create(name=name, slug=name.lower(), **allows)
    Membership.objects.filter(seats__member=member).update(level=level)
    return fresh(member)


def text_of(response) -> str:
    """What a person reads: tags stripped, entities decoded, spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style|title|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def lapsed(db):
    return member_set_status(member=MemberFactory(display_name="Lena Lapsed"), status="lapsed")


@pytest.fixture
def associate(db):
    """An active member whose level has no cars (but RSVPs and the directory)."""
    return on_level(MemberFactory(display_name="Asta Associate"), "Associate", allows_cars=False)


@pytest.fixture
def cast(pending_member, lapsed, associate):
    return {"pending": pending_member, "lapsed": lapsed, "associate": associate}


# Who may not register cars, what they read instead, and the link that helps (if any).
CARS_REFUSED = [
    ("pending", PENDING, None),
    ("lapsed", LAPSED_CARS, "Renew your membership"),
    ("associate", ASSOCIATE_CARS, "Your membership"),
]


def assert_refusal_shown(response, sentence: str, action: str | None) -> None:
    assert response.status_code == 200
    assert sentence in text_of(response)
    if action:
        link = f'<a href="{rights.membership_url()}"'
        assert link in response.content.decode()
        assert action in text_of(response)


# --- The rule ----------------------------------------------------------------------------


@pytest.mark.parametrize("right", rights.RIGHTS)
def test_staff_may_do_everything_even_without_a_membership(right):
    officer = PendingMemberFactory(is_staff=True)

    assert rights.may(officer, right)
    assert rights.refusal(officer, right) is None


@pytest.mark.parametrize("right", rights.RIGHTS)
def test_an_anonymous_visitor_is_asked_to_log_in(right):
    refusal = rights.explain(AnonymousUser(), right)

    assert refusal.reason == "Log in as a club member first."
    assert (refusal.action, refusal.url) == ("Log in", reverse("account_login"))


@pytest.mark.parametrize(
    ("right", "sentence"),
    [
        (rights.CARS, "Once they approve it, you can register and claim cars"),
        (rights.RSVP, "Once they approve it, you can RSVP to meets"),
        (rights.DIRECTORY, "Once they approve it, the members' directory is open to you"),
    ],
)
def test_an_applicant_waits_for_approval_and_has_nothing_to_click(pending_member, right, sentence):
    refusal = rights.explain(pending_member, right)

    assert refusal.reason.startswith(PENDING)
    assert sentence in refusal.reason
    assert refusal.url == ""
    assert not rights.may(pending_member, right)


@pytest.mark.parametrize(
    ("right", "sentence"),
    [
        (rights.CARS, LAPSED_CARS + " The cars in your garage stay yours."),
        (rights.RSVP, LAPSED_RSVP),
        (
            rights.DIRECTORY,
            "Your membership has lapsed: renew it to see the members' directory again.",
        ),
    ],
)
def test_a_lapsed_member_is_told_to_renew_with_a_link(lapsed, right, sentence):
    refusal = rights.explain(lapsed, right)

    assert refusal.reason == sentence
    assert (refusal.action, refusal.url) == ("Renew your membership", rights.membership_url())


def test_the_renewal_link_goes_to_the_membership_page_or_else_the_profile():
    try:
        expected = reverse("membership:home")
    except NoReverseMatch:  # the membership page is not there yet
        expected = reverse("accounts:profile")

    assert rights.membership_url() == expected


@pytest.mark.parametrize("right", rights.RIGHTS)
def test_a_member_who_resigned_may_not_and_is_told_whom_to_ask(right):
    gone = member_set_status(member=MemberFactory(), status=User.Status.RESIGNED)

    assert rights.refusal(gone, right) == (
        "You have resigned from the club, and this is for its members. Please ask the "
        "club's staff if you would like to rejoin."
    )


@pytest.mark.parametrize("right", rights.RIGHTS)
def test_a_switched_off_account_may_not(right):
    off = MemberFactory(is_active=False)

    assert (
        rights.refusal(off, right)
        == "This account is switched off. Please contact the club's staff."
    )


@pytest.mark.parametrize(
    ("right", "flag", "sentence"),
    [
        (rights.CARS, "allows_cars", ASSOCIATE_CARS.replace("Associate", "Limited")),
        (rights.RSVP, "allows_rsvp", NO_RSVP_LEVEL.replace("Supporter", "Limited")),
        (rights.DIRECTORY, "allows_directory", NO_DIRECTORY_LEVEL.replace("Quiet", "Limited")),
    ],
)
def test_an_active_member_may_not_what_their_level_leaves_out(right, flag, sentence):
    member = on_level(MemberFactory(), "Limited", **{flag: False})

    refusal = rights.explain(member, right)

    assert refusal.reason == sentence
    assert (refusal.action, refusal.url) == ("Your membership", rights.membership_url())
    assert [r for r in rights.RIGHTS if rights.may(member, r)] == [
        r for r in rights.RIGHTS if r != right
    ]


def test_an_associate_may_rsvp_and_see_the_directory_but_not_register_cars(associate):
    assert rights.may(associate, rights.RSVP)
    assert rights.may(associate, rights.DIRECTORY)
    assert not rights.may(associate, rights.CARS)


@pytest.mark.parametrize("right", rights.RIGHTS)
def test_an_active_member_without_a_membership_row_keeps_every_right(right):
    # Approved before the club office existed: no membership yet, full rights.
    legacy = MemberFactory()
    Seat.objects.filter(member=legacy).delete()

    assert rights.may(fresh(legacy), right)


def test_it_asks_the_database_once_per_member(django_assert_num_queries):
    member = fresh(MemberFactory())

    # 1. the member's level
    with django_assert_num_queries(1):
        answers = [rights.may(member, right) for right in rights.RIGHTS * 2]

    assert answers == [True] * 6


def test_members_loaded_with_their_levels_ask_nothing_more(django_assert_num_queries):
    on_level(MemberFactory(display_name="Asta"), "Associate", allows_cars=False)
    MemberFactory(display_name="Bert")
    legacy = MemberFactory(display_name="Cleo")
    Seat.objects.filter(member=legacy).delete()

    # 1. the members, with their seat, membership and level joined
    with django_assert_num_queries(1):
        members = list(rights.with_levels(User.objects.order_by("display_name")))
        answers = {m.display_name: rights.may(m, rights.CARS) for m in members}

    assert answers == {"Asta": False, "Bert": True, "Cleo": True}


def test_an_unknown_right_is_a_mistake_in_the_code(member):
    with pytest.raises(ValueError):
        rights.may(member, "fly")


def test_require_answers_403_with_the_reason(lapsed, member):
    with pytest.raises(PermissionDenied, match="renew it to register or claim cars"):
        rights.require(lapsed, rights.CARS)

    rights.require(member, rights.CARS)  # no exception: an active member may


# --- The register: no button that would answer 403 ----------------------------------------


@pytest.fixture
def public_car(db, other_member):
    return CarFactory(owner=other_member)


@pytest.mark.parametrize(("who", "sentence", "action"), CARS_REFUSED)
def test_the_car_page_shows_why_instead_of_the_claim_link(cast, public_car, who, sentence, action):
    response = client_for(cast[who]).get(public_car.get_absolute_url())

    assert_refusal_shown(response, sentence, action)
    assert "Is this your car?" in text_of(response)
    assert reverse("register:claim", args=[public_car.pk]) not in response.content.decode()


def test_the_car_page_offers_an_active_member_the_claim_link(member, public_car):
    response = client_for(member).get(public_car.get_absolute_url())

    claim_url = reverse("register:claim", args=[public_car.pk])
    assert f'<a href="{claim_url}">Claim it</a>' in response.content.decode()


@pytest.mark.parametrize(("who", "sentence", "action"), CARS_REFUSED)
def test_the_register_list_shows_why_instead_of_register_your_car(cast, who, sentence, action):
    response = client_for(cast[who]).get(reverse("register:list"))

    assert_refusal_shown(response, sentence, action)
    assert "Register your car" not in text_of(response)
    assert reverse("register:add") not in response.content.decode()


def test_the_register_list_offers_an_active_member_to_register_a_car(member):
    response = client_for(member).get(reverse("register:list"))

    assert f'href="{reverse("register:add")}">Register your car</a>' in response.content.decode()


def test_an_anonymous_visitor_sees_the_register_list_as_before(client):
    text = text_of(client.get(reverse("register:list")))

    assert "Register your car" not in text
    assert "Log in as a club member first." not in text


@pytest.mark.parametrize(("who", "sentence", "action"), CARS_REFUSED)
def test_the_garage_shows_why_instead_of_register_and_claim(cast, who, sentence, action):
    response = client_for(cast[who]).get(reverse("register:garage"))

    assert_refusal_shown(response, sentence, action)
    html, text = response.content.decode(), text_of(response)
    assert "No cars yet." in text
    assert reverse("register:add") not in html
    assert reverse("register:claim_find") not in html
    assert "Claim a car" not in text


def test_the_garage_offers_an_active_member_to_register_and_claim(member):
    html = client_for(member).get(reverse("register:garage")).content.decode()

    assert f'href="{reverse("register:add")}">Register a car</a>' in html
    assert f'href="{reverse("register:claim_find")}">Claim a car</a>' in html


@pytest.mark.parametrize(("who", "sentence", "action"), CARS_REFUSED)
def test_the_home_page_shows_why_instead_of_register_your_car(cast, who, sentence, action):
    response = client_for(cast[who]).get(reverse("home"))

    assert_refusal_shown(response, sentence, action)
    assert reverse("register:add") not in response.content.decode()


def test_the_home_page_offers_an_active_member_to_register_a_car(member):
    html = client_for(member).get(reverse("home")).content.decode()

    assert f'href="{reverse("register:add")}">Register your car</a>' in html


def test_the_home_page_asks_an_anonymous_visitor_to_join_or_log_in(client):
    text = text_of(client.get(reverse("home")))

    assert "Join the club" in text
    assert "Log in" in text
    assert "Log in as a club member first." not in text


@pytest.mark.parametrize("name", ["register:add", "register:claim_find", "register:claim"])
@pytest.mark.parametrize(("who", "sentence", "action"), CARS_REFUSED)
def test_a_typed_url_to_register_or_claim_answers_403_with_the_reason(
    cast, public_car, name, who, sentence, action
):
    args = [public_car.pk] if name == "register:claim" else []

    response = client_for(cast[who]).get(reverse(name, args=args))

    assert response.status_code == 403
    text = text_of(response)
    assert sentence in text
    assert text.count("waiting for approval") <= 1  # said once, not twice
    if who == "lapsed":
        assert f'href="{rights.membership_url()}">Renew your membership</a>' in (
            response.content.decode()
        )


@pytest.mark.parametrize(("who", "sentence", "action"), CARS_REFUSED)
def test_posting_a_car_or_a_claim_anyway_saves_nothing(cast, public_car, who, sentence, action):
    line = ModelLineFactory()
    client = client_for(cast[who])
    car = {
        "vin": "WBSUR9C50B9999999",
        "model_line": line.pk,
        "colour": ColourFactory(model_line=line).pk,
        "build_date": "2011-06-01",
        "market": "DE",
        "country": "DE",
        "transmission": "manual",
        "steering": "left",
    }

    added = client.post(reverse("register:add"), car)
    claimed = client.post(
        reverse("register:claim", args=[public_car.pk]), {"evidence": "It is mine."}
    )

    assert (added.status_code, claimed.status_code) == (403, 403)
    assert list(Car.objects.all()) == [public_car]
    assert not Claim.objects.exists()


def test_a_lapsed_member_keeps_their_cars(lapsed):
    car = CarFactory(owner=lapsed)
    client = client_for(lapsed)

    garage = client.get(reverse("register:garage"))
    page = client.get(car.get_absolute_url())

    assert [c.pk for c in garage.context["cars"]] == [car.pk]
    assert f"No. {car.plaque_number}" in text_of(garage)
    assert page.context["body"] and "Lena Lapsed" in text_of(page)
    assert f'href="{reverse("register:edit", args=[car.pk])}"' in page.content.decode()
    assert car.current_owner.member == lapsed


# --- Meets: no RSVP button a member cannot use ----------------------------------------


RSVP_REFUSED = [
    ("pending", PENDING, None),
    ("lapsed", LAPSED_RSVP, "Renew your membership"),
    ("supporter", NO_RSVP_LEVEL, "Your membership"),
]


@pytest.fixture
def rsvp_cast(pending_member, lapsed):
    supporter = on_level(
        MemberFactory(display_name="Sven Supporter"), "Supporter", allows_rsvp=False
    )
    people = {"pending": pending_member, "lapsed": lapsed, "supporter": supporter}
    for person in people.values():
        CarFactory(owner=person)  # a car to come with: the membership is what stops them
    return people


@pytest.mark.parametrize("members_only", [False, True], ids=["open meet", "members only"])
@pytest.mark.parametrize(("who", "sentence", "action"), RSVP_REFUSED)
def test_the_meet_page_shows_why_instead_of_the_rsvp_button(
    rsvp_cast, who, sentence, action, members_only
):
    meet = MeetFactory(members_only=members_only)

    response = client_for(rsvp_cast[who]).get(meet.get_absolute_url())

    assert_refusal_shown(response, sentence, action)
    assert "RSVP with your car" not in text_of(response)
    assert reverse("meets:rsvp", args=[meet.slug]) not in response.content.decode()


def test_the_meet_page_offers_an_associate_the_rsvp_button(associate):
    meet = MeetFactory()

    text = text_of(client_for(associate).get(meet.get_absolute_url()))

    assert "RSVP with your car" in text


@pytest.mark.parametrize(("who", "sentence", "action"), RSVP_REFUSED)
def test_posting_an_rsvp_anyway_says_why_and_saves_nothing(rsvp_cast, who, sentence, action):
    person = rsvp_cast[who]
    meet = MeetFactory()
    car = Car.objects.owned_by(person).get()

    response = client_for(person).post(
        reverse("meets:rsvp", args=[meet.slug]), {"car": car.pk, "guests": 0}
    )

    assert_refusal_shown(response, sentence, action)
    assert "Send my RSVP" not in text_of(response)
    assert not RSVP.objects.exists()


def test_an_associate_without_a_car_is_not_sent_to_register_one(associate):
    meet = MeetFactory()

    response = client_for(associate).get(reverse("meets:rsvp", args=[meet.slug]))

    assert_refusal_shown(response, ASSOCIATE_CARS, "Your membership")
    assert "your garage is empty" in text_of(response)
    assert reverse("register:add") not in response.content.decode()


# --- The directory ----------------------------------------------------------------------


def test_the_directory_leaves_out_members_whose_level_does_not_include_it(member):
    on_level(MemberFactory(display_name="Quentin Quiet"), "Quiet", allows_directory=False)
    legacy = MemberFactory(display_name="Lara Legacy")
    Seat.objects.filter(member=legacy).delete()

    response = client_for(member).get(reverse("members:directory"))

    names = [m.display_name for m in response.context["page"].object_list]
    assert names == ["Lara Legacy", "Olga Owner"]
    assert "Quentin" not in text_of(response)
    assert list(User.objects.in_directory().order_by("display_name")) == [fresh(legacy), member]


def test_a_member_left_out_of_the_directory_has_no_page_there(member):
    quiet = on_level(MemberFactory(display_name="Quentin Quiet"), "Quiet", allows_directory=False)

    response = client_for(member).get(reverse("members:detail", args=[quiet.membership_number]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "sentence", "action"),
    [
        ("pending", PENDING, None),
        (
            "lapsed",
            "Your membership has lapsed: renew it to see the members' directory again.",
            "Renew your membership",
        ),
        ("quiet", NO_DIRECTORY_LEVEL, "Your membership"),
    ],
)
def test_the_directory_needs_its_right_and_the_home_page_says_why(
    pending_member, lapsed, who, sentence, action
):
    quiet = on_level(MemberFactory(display_name="Quentin Quiet"), "Quiet", allows_directory=False)
    person = {"pending": pending_member, "lapsed": lapsed, "quiet": quiet}[who]
    client = client_for(person)

    directory = client.get(reverse("members:directory"))
    home = client.get(reverse("home"))

    assert directory.status_code == 403
    assert sentence in text_of(directory)
    assert_refusal_shown(home, sentence, action)
    assert f'href="{reverse("members:directory")}">Members\' directory</a>' not in (
        home.content.decode()
    )


def test_the_home_page_links_an_active_member_to_the_directory(member):
    html = client_for(member).get(reverse("home")).content.decode()

    assert f'href="{reverse("members:directory")}">Members\' directory</a>' in html
