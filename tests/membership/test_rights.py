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
from membership import rights
from membership.models import Level, Membership, Seat
from tests.factories import MemberFactory, PendingMemberFactory

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
