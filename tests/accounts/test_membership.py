"""Membership: approval, numbers that are handed out once, the welcome e-mail, the admin."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.models import ORGANISERS_GROUP, Sequence, User
from accounts.services import member_approve, member_delete, member_set_status
from tests.factories import MemberFactory, PendingMemberFactory

CHANGELIST = reverse("admin:accounts_user_changelist")


@pytest.fixture
def today(monkeypatch):
    """Pin the club's calendar to 15 March 2026."""
    day = datetime.date(2026, 3, 15)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day)
    return day


# --- Approval and numbers -----------------------------------------------------------------


def test_approval_gives_sequential_numbers(db):
    applicants = PendingMemberFactory.create_batch(3)

    numbers = [member_approve(member=a, notify=False).membership_number for a in applicants]

    first = numbers[0]
    assert first is not None
    assert numbers == [first, first + 1, first + 2]
    assert sorted(User.objects.values_list("membership_number", flat=True)) == numbers


def test_the_first_member_of_a_new_club_is_number_one(db):
    assert member_approve(member=PendingMemberFactory(), notify=False).membership_number == 1


def test_approval_sets_member_since_and_a_renewal_date_a_year_ahead(db, today):
    member = member_approve(member=PendingMemberFactory(), notify=False)

    member.refresh_from_db()
    assert member.membership_status == User.Status.ACTIVE
    assert member.member_since == datetime.date(2026, 3, 15)
    assert member.renewal_date == datetime.date(2027, 3, 15)


def test_a_renewal_date_after_a_leap_day_falls_on_the_last_day_of_february(db, monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2028, 2, 29)
    )

    member = member_approve(member=PendingMemberFactory(), notify=False)

    member.refresh_from_db()
    assert member.renewal_date == datetime.date(2029, 2, 28)


def test_approving_twice_keeps_the_number(db):
    member = member_approve(member=PendingMemberFactory(), notify=False)
    number = member.membership_number

    again = member_approve(member=member, notify=False)

    assert again.membership_number == number
    assert Sequence.objects.get(name="membership-number").last_value == number


def test_a_lapsed_member_approved_again_keeps_their_number_and_member_since(db, monkeypatch):
    joined = datetime.date(2024, 5, 1)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: joined)
    member = member_approve(member=PendingMemberFactory(), notify=False)
    number = member.membership_number
    member_set_status(member=member, status=User.Status.LAPSED)
    MemberFactory()  # someone else joins in the meantime

    back = datetime.date(2026, 3, 15)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: back)
    member_approve(member=member, notify=False)

    member.refresh_from_db()
    assert member.membership_status == User.Status.ACTIVE
    assert member.membership_number == number
    assert member.member_since == joined
    assert member.renewal_date == datetime.date(2027, 3, 15)


def test_a_member_who_was_approved_cannot_go_back_to_pending(member):
    with pytest.raises(ValueError, match="cannot go back to pending"):
        member_set_status(member=member, status=User.Status.PENDING)

    member.refresh_from_db()
    assert member.membership_status == User.Status.ACTIVE


def test_a_deleted_members_number_is_never_given_again(db):
    first, last = MemberFactory(), MemberFactory()
    retired = last.membership_number

    member_delete(member=last)
    newcomer = member_approve(member=PendingMemberFactory(), notify=False)

    assert newcomer.membership_number == retired + 1
    last.refresh_from_db()
    assert last.membership_number == retired  # the anonymised row keeps it
    assert first.membership_number < retired


def test_a_number_stays_retired_even_when_its_row_is_deleted_from_the_database(db):
    MemberFactory()
    last = MemberFactory()
    retired = last.membership_number
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM account_emailaddress WHERE user_id = %s", [last.pk])
        cursor.execute("DELETE FROM membership_seat WHERE member_id = %s", [last.pk])
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [last.pk])
    assert not User.objects.filter(membership_number=retired).exists()

    newcomer = member_approve(member=PendingMemberFactory(), notify=False)

    assert newcomer.membership_number == retired + 1


# --- Database constraints ------------------------------------------------------------------


def test_the_database_refuses_two_members_with_the_same_number(db):
    first, second = MemberFactory(), MemberFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=second.pk).update(membership_number=first.membership_number)

    second.refresh_from_db()
    assert second.membership_number != first.membership_number


def test_the_database_allows_many_applicants_without_a_number(db):
    PendingMemberFactory.create_batch(3)

    assert User.objects.filter(membership_number=None).count() == 3


@pytest.mark.parametrize("status", [User.Status.ACTIVE, User.Status.LAPSED, User.Status.RESIGNED])
def test_the_database_refuses_an_approved_member_without_a_number(db, status):
    member = MemberFactory()
    User.objects.filter(pk=member.pk).update(membership_status=status)

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=member.pk).update(membership_number=None)

    member.refresh_from_db()
    assert member.membership_number is not None


def test_validation_explains_that_an_approved_member_needs_a_number(db):
    member = PendingMemberFactory.build(membership_status=User.Status.ACTIVE)

    with pytest.raises(ValidationError) as excinfo:
        member.full_clean()

    assert "A member who has been approved needs a membership number." in str(excinfo.value)


# --- The welcome e-mail -------------------------------------------------------------------


def test_approval_sends_the_welcome_email_with_the_number(db, django_capture_on_commit_callbacks):
    applicant = PendingMemberFactory(display_name="Nina Newcomer", email="nina@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        member = member_approve(member=applicant)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@example.org"]
    assert message.subject == "Welcome to the BMW 1 Series M Register"
    assert "Hello Nina Newcomer," in message.body
    assert f"Your membership number is {member.membership_number}." in message.body


def test_the_welcome_email_links_back_to_the_members_profile_on_the_site(
    db, django_capture_on_commit_callbacks, settings
):
    settings.PADDOCK_SITE_URL = "https://club.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        member_approve(member=PendingMemberFactory())

    body = mail.outbox[0].body
    assert "https://club.example.org/accounts/profile/" in body


def test_re_approval_says_the_membership_is_active_again(
    lapsed_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member_approve(member=lapsed_member)

    assert [m.subject for m in mail.outbox] == ["Your membership is active again"]
    assert f"(No. {lapsed_member.membership_number})" in mail.outbox[0].body


def test_approving_an_active_member_again_sends_nothing(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        member_approve(member=member)

    assert mail.outbox == []


def test_approval_without_notify_sends_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        member = member_approve(member=PendingMemberFactory(), notify=False)

    assert member.membership_number is not None
    assert mail.outbox == []


def test_the_welcome_email_waits_for_the_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        member_approve(member=PendingMemberFactory())

    assert mail.outbox == []
    for callback in callbacks:  # the commit
        callback()
    assert len(mail.outbox) == 1


# --- Groups ----------------------------------------------------------------------------


def test_the_organisers_group_exists_from_the_start(db):
    assert Group.objects.filter(name=ORGANISERS_GROUP).exists()


def test_an_organiser_is_known_as_one(organiser, member, staff):
    assert organiser.is_organiser
    assert staff.is_organiser
    assert not member.is_organiser


# --- The admin -------------------------------------------------------------------------


def changelist_members(response) -> list[User]:
    return list(response.context["cl"].result_list)


def test_staff_can_open_the_members_list(staff_client, member, pending_member):
    response = staff_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert member.email in html
    assert pending_member.email in html
    assert "Pending approval" in html


def test_a_member_who_is_not_staff_is_sent_away_from_the_admin(member_client):
    for url in [reverse("admin:index"), CHANGELIST]:
        response = member_client.get(url)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_a_member_who_is_not_staff_cannot_approve_anyone(member_client, pending_member):
    member_client.post(
        CHANGELIST, {"action": "approve_members", "_selected_action": [pending_member.pk]}
    )

    pending_member.refresh_from_db()
    assert pending_member.membership_status == User.Status.PENDING


def test_admin_search_finds_a_member_by_email(staff_client, member, other_member):
    response = staff_client.get(CHANGELIST, {"q": member.email})

    assert changelist_members(response) == [member]


def test_admin_search_finds_a_member_by_part_of_their_name(staff_client, member, other_member):
    response = staff_client.get(CHANGELIST, {"q": "otto"})

    assert changelist_members(response) == [other_member]


@pytest.mark.parametrize("term", ["12", " 12 ", "#12"])
def test_admin_search_by_a_number_finds_exactly_that_member(staff_client, term):
    Sequence.objects.update_or_create(name="membership-number", defaults={"last_value": 11})
    twelve = MemberFactory(display_name="Twelve")
    Sequence.objects.filter(name="membership-number").update(last_value=111)
    MemberFactory(display_name="Hundred and twelve")  # No. 112
    MemberFactory(display_name="Mail twelve", email="club12@example.org")
    assert twelve.membership_number == 12

    response = staff_client.get(CHANGELIST, {"q": term})

    assert changelist_members(response) == [twelve]


def test_admin_filters_members_by_status(staff_client, member, pending_member, lapsed_member):
    response = staff_client.get(CHANGELIST, {"membership_status__exact": "lapsed"})

    assert changelist_members(response) == [lapsed_member]


def test_the_admin_approves_members_in_bulk(
    staff_client, member, django_capture_on_commit_callbacks
):
    applicants = PendingMemberFactory.create_batch(2)
    lapsed = member_set_status(member=MemberFactory(), status=User.Status.LAPSED)
    selected = [*applicants, lapsed, member]
    numbers_before = {u.pk: u.membership_number for u in selected}
    highest = Sequence.objects.get(name="membership-number").last_value

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            CHANGELIST,
            {"action": "approve_members", "_selected_action": [u.pk for u in selected]},
            follow=True,
        )

    assert response.status_code == 200
    assert "3 members approved." in response.content.decode()
    for user in selected:
        user.refresh_from_db()
        assert user.membership_status == User.Status.ACTIVE
    assert {a.membership_number for a in applicants} == {highest + 1, highest + 2}
    assert lapsed.membership_number == numbers_before[lapsed.pk]
    assert member.membership_number == numbers_before[member.pk]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in [*applicants, lapsed])


def test_the_admin_marks_members_as_lapsed_in_bulk(staff_client, member, other_member):
    applicant = PendingMemberFactory()

    response = staff_client.post(
        CHANGELIST,
        {
            "action": "lapse_members",
            "_selected_action": [member.pk, other_member.pk, applicant.pk],
        },
        follow=True,
    )

    assert "2 members marked as lapsed." in response.content.decode()
    statuses = dict(User.objects.values_list("pk", "membership_status"))
    assert statuses[member.pk] == User.Status.LAPSED
    assert statuses[other_member.pk] == User.Status.LAPSED
    assert statuses[applicant.pk] == User.Status.PENDING


def test_the_admin_marks_members_as_resigned_but_not_applicants(staff_client, member):
    applicant = PendingMemberFactory()

    response = staff_client.post(
        CHANGELIST,
        {"action": "resign_members", "_selected_action": [member.pk, applicant.pk]},
        follow=True,
    )

    assert "1 member marked as resigned." in response.content.decode()
    member.refresh_from_db()
    applicant.refresh_from_db()
    assert member.membership_status == User.Status.RESIGNED
    assert applicant.membership_status == User.Status.PENDING


def change_form_data(response) -> dict:
    """What the browser would send back from an admin change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += [formset.management_form, *formset.forms]
    for form in forms:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif value is not None:
                data[key] = str(value)
    return data


def test_setting_the_status_to_active_in_the_change_form_gives_a_number(
    staff_client, pending_member, django_capture_on_commit_callbacks
):
    url = reverse("admin:accounts_user_change", args=[pending_member.pk])
    data = change_form_data(staff_client.get(url))
    data["membership_status"] = User.Status.ACTIVE
    data["city"] = "Adenau"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    pending_member.refresh_from_db()
    assert pending_member.membership_status == User.Status.ACTIVE
    assert pending_member.membership_number is not None
    assert pending_member.member_since is not None
    assert pending_member.city == "Adenau"
    assert [m.to for m in mail.outbox] == [[pending_member.email]]


def test_the_change_form_keeps_the_number_of_a_member_approved_again(staff_client, lapsed_member):
    number = lapsed_member.membership_number
    url = reverse("admin:accounts_user_change", args=[lapsed_member.pk])
    data = change_form_data(staff_client.get(url))
    data["membership_status"] = User.Status.ACTIVE

    response = staff_client.post(url, data)

    assert response.status_code == 302
    lapsed_member.refresh_from_db()
    assert lapsed_member.membership_status == User.Status.ACTIVE
    assert lapsed_member.membership_number == number


def test_the_change_form_shows_the_number_but_cannot_change_it(staff_client, member):
    url = reverse("admin:accounts_user_change", args=[member.pk])
    data = change_form_data(staff_client.get(url))
    data["membership_number"] = "999"

    staff_client.post(url, data)

    member.refresh_from_db()
    assert member.membership_number != 999
