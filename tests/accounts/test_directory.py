"""The members' directory honours each member's privacy choices, and names do too."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from accounts.models import User
from accounts.services import member_set_status
from accounts.views import DIRECTORY_PAGE_SIZE
from tests.factories import MemberFactory, PendingMemberFactory

DIRECTORY = reverse("members:directory")


def listed_names(response) -> list[str]:
    return [member.display_name for member in response.context["page"].object_list]


def test_it_lists_only_active_members_who_chose_to_be_listed(member_client, member):
    MemberFactory(display_name="Paula Public", name_visibility=User.Visibility.PUBLIC)
    MemberFactory(display_name="Mia Members", name_visibility=User.Visibility.MEMBERS)
    MemberFactory(display_name="Nora Nobody", name_visibility=User.Visibility.NOBODY)
    MemberFactory(display_name="Udo Unlisted", directory_listed=False)
    PendingMemberFactory(display_name="Petra Pending")
    member_set_status(member=MemberFactory(display_name="Lena Lapsed"), status="lapsed")
    member_set_status(member=MemberFactory(display_name="Rolf Resigned"), status="resigned")
    MemberFactory(display_name="Ida Inactive", is_active=False)

    response = member_client.get(DIRECTORY)

    assert listed_names(response) == ["Mia Members", "Olga Owner", "Paula Public"]
    html = response.content.decode()
    assert "3 members chose to be listed." in html
    for hidden in ["Nora", "Udo", "Petra", "Lena", "Rolf", "Ida"]:
        assert hidden not in html


def test_it_shows_the_city_only_to_members_who_chose_to_show_it(member_client):
    MemberFactory(display_name="Cleo City", country="NL", city="Utrecht", show_location=True)
    MemberFactory(display_name="Quinn Quiet", country="AT", city="Graz", show_location=False)

    html = member_client.get(DIRECTORY).content.decode()

    assert "Utrecht, Netherlands" in html
    assert "Austria" in html
    assert "Graz" not in html


def test_a_members_page_shows_the_city_only_when_they_chose_to_show_it(member_client):
    quiet = MemberFactory(display_name="Quinn Quiet", country="AT", city="Graz")

    html = member_client.get(reverse("members:detail", args=[quiet.membership_number]))
    html = html.content.decode()

    assert "Austria" in html
    assert "Graz" not in html


def test_it_finds_members_by_part_of_their_name(member_client):
    MemberFactory(display_name="Hugo Holloway")
    MemberFactory(display_name="Hanna Brandt")

    response = member_client.get(DIRECTORY, {"q": "  holl "})

    assert listed_names(response) == ["Hugo Holloway"]
    assert 'value="holl"' in response.content.decode()


def test_it_finds_members_by_a_city_they_show_but_not_by_one_they_hide(member_client):
    MemberFactory(display_name="Cleo City", city="Utrecht", show_location=True)
    MemberFactory(display_name="Quinn Quiet", city="Utrecht", show_location=False)

    response = member_client.get(DIRECTORY, {"q": "utrecht"})

    assert listed_names(response) == ["Cleo City"]


def test_it_does_not_find_a_hidden_member_by_name(member_client):
    MemberFactory(display_name="Nora Nobody", name_visibility=User.Visibility.NOBODY)

    response = member_client.get(DIRECTORY, {"q": "Nora"})

    assert listed_names(response) == []
    assert "No member matches “Nora”." in response.content.decode()


def test_it_shows_the_directory_a_page_at_a_time(member_client):
    for n in range(DIRECTORY_PAGE_SIZE + 4):  # 35 listed with the viewer
        MemberFactory(display_name=f"Member {n:02d}")

    first = member_client.get(DIRECTORY)
    second = member_client.get(DIRECTORY, {"page": 2})

    assert len(listed_names(first)) == DIRECTORY_PAGE_SIZE
    assert listed_names(second) == [
        "Member 30",
        "Member 31",
        "Member 32",
        "Member 33",
        "Olga Owner",
    ]
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?page=2">Next' in first.content.decode()
    assert 'href="?page=1">Previous' in second.content.decode()


def test_a_page_number_out_of_range_shows_the_last_page(member_client, other_member):
    response = member_client.get(DIRECTORY, {"page": 99})

    assert response.status_code == 200
    assert listed_names(response) == ["Olga Owner", "Otto Other"]


def test_the_pages_keep_the_search(member_client):
    for n in range(DIRECTORY_PAGE_SIZE + 1):
        MemberFactory(display_name=f"Kessler {n:02d}")

    html = member_client.get(DIRECTORY, {"q": "Kessler"}).content.decode()

    assert 'href="?q=Kessler&amp;page=2">Next' in html


@pytest.mark.parametrize("listed", [2, 50])
def test_the_directory_takes_the_same_few_queries_for_any_number_of_members(
    db, client, django_assert_num_queries, listed
):
    viewer = MemberFactory()
    MemberFactory.create_batch(listed - 1, show_location=True)
    client.force_login(viewer)

    # 1. the session
    # 2. the logged-in member
    # 3. their membership level: does it include the directory? (membership.rights)
    # 4. COUNT(*) of the listed members, for the paginator
    # 5. the page of listed members
    with django_assert_num_queries(5):
        response = client.get(DIRECTORY)

    assert len(listed_names(response)) == min(listed, DIRECTORY_PAGE_SIZE)


# --- User.name_for(viewer) -------------------------------------------------------------


@pytest.fixture
def viewers(member, pending_member, lapsed_member, staff):
    return {
        "anonymous": AnonymousUser(),
        "nobody": None,
        "pending": pending_member,
        "lapsed": lapsed_member,
        "active": member,
        "staff": staff,
    }


@pytest.mark.parametrize(
    ("visibility", "sees_the_name"),
    [
        (User.Visibility.PUBLIC, {"anonymous", "nobody", "pending", "lapsed", "active", "staff"}),
        (User.Visibility.MEMBERS, {"active", "staff"}),
        # The club office sees real names (accounts/privacy.py), as in the admin.
        (User.Visibility.NOBODY, {"staff"}),
    ],
)
def test_a_name_is_shown_only_to_those_the_member_chose(viewers, visibility, sees_the_name):
    carla = MemberFactory(display_name="Carla Chosen", name_visibility=visibility)
    # In place of the name: the number for insiders; outsiders cannot tie cars together.
    number = f"Member No. {carla.membership_number}"

    seen = {who: carla.name_for(viewer) for who, viewer in viewers.items()}

    assert seen == {
        who: "Carla Chosen"
        if who in sees_the_name
        else (number if who in {"active", "staff"} else "A member")
        for who in viewers
    }


@pytest.mark.parametrize("visibility", User.Visibility.values)
def test_a_member_always_sees_their_own_name(db, visibility):
    carla = MemberFactory(display_name="Carla Chosen", name_visibility=visibility)

    assert carla.name_for(carla) == "Carla Chosen"


def test_an_applicant_without_a_number_is_a_member_to_others(viewers):
    applicant = PendingMemberFactory(display_name="Anton", name_visibility="nobody")

    assert applicant.name_for(viewers["active"]) == "A member"
