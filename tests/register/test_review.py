"""The registrar's review queue: new cars and claims, approved or rejected with a reason."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse

from register.models import Car, CarChangeRequest, Claim
from register.services import car_approve
from tests.register.factories import CarFactory, ClaimFactory, ColourFactory, ModelLineFactory

REVIEW_URL = reverse("register:review")


def car_url(car) -> str:
    return reverse("register:review_car", args=[car.pk])


def claim_url(claim) -> str:
    return reverse("register:review_claim", args=[claim.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def pending_car(member):
    line = ModelLineFactory()
    blue = ColourFactory(model_line=line, name="Monte Carlo Blue", paint_code="X04")
    return CarFactory(pending=True, model_line=line, colour=blue, owner=member)


@pytest.fixture
def claim(other_member, member):
    """Otto claims the car Olga owns now."""
    car = CarFactory(owner=member)
    return ClaimFactory(car=car, claimant=other_member, evidence="Bought it in Spa in May.")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


# --- Who may see the queue ------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_log_in(client, pending_car):
    response = client.get(REVIEW_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={REVIEW_URL}"


def test_it_is_forbidden_to_members(client, member, pending_car):
    client.force_login(member)

    response = client.get(REVIEW_URL)

    assert response.status_code == 403
    assert pending_car.vin.encode() not in response.content


def test_staff_see_waiting_cars_and_claims_oldest_first(staff_client, pending_car, claim):
    later = CarFactory(pending=True)

    response = staff_client.get(REVIEW_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(pending_car.vin) < html.index(later.vin)
    assert "Monte Carlo Blue" in html
    assert "Olga Owner" in html
    assert "Bought it in Spa in May." in html
    assert "Otto Other" in html
    assert f'href="{pending_car.get_absolute_url()}"' in html
    assert f'action="{car_url(pending_car)}"' in html
    assert f'action="{claim_url(claim)}"' in html


def test_the_queue_leaves_out_what_is_decided(staff_client, claim):
    decided = CarFactory()
    claim.state = Claim.State.REJECTED
    claim.save()

    html = staff_client.get(REVIEW_URL).content.decode()

    assert decided.vin not in html
    assert "Bought it in Spa in May." not in html
    assert "No new cars are waiting." in html
    assert "No claims are waiting." in html


def test_staff_see_the_evidence_photo(staff_client, other_member, settings):
    claim = ClaimFactory(claimant=other_member, evidence_photo="claims/papers.jpg")
    evidence_url = reverse("register:claim_evidence", args=[claim.pk])

    html = staff_client.get(REVIEW_URL).content.decode()

    assert f'<img src="{evidence_url}"' in html
    assert claim.evidence in html


def test_evidence_photos_are_for_staff_only_and_never_public_media(
    client, staff_client, other_member, settings
):
    claim = ClaimFactory(claimant=other_member)
    claim.evidence_photo.save("papers.jpg", ContentFile(b"\xff\xd8 not really"), save=True)
    evidence_url = reverse("register:claim_evidence", args=[claim.pk])

    assert staff_client.get(evidence_url).status_code == 200
    client.force_login(other_member)
    assert client.get(evidence_url).status_code == 403
    assert client.get(f"{settings.MEDIA_URL}{claim.evidence_photo.name}").status_code == 404


@pytest.mark.parametrize("waiting", [2, 50])
def test_the_queue_takes_the_same_queries_for_2_items_and_50(
    staff_client, member, other_member, waiting, django_assert_num_queries
):
    java_green = ColourFactory(name="Java Green", paint_code="B39")
    for _ in range(waiting):
        CarFactory(pending=True, owner=member)
        ClaimFactory(car=CarFactory(owner=member), claimant=other_member)
        CarChangeRequest.objects.create(
            car=CarFactory(owner=member), proposed_by=member, changes={"colour": java_green.pk}
        )

    # 1. the session, 2. the logged-in user,
    # 3. pending cars with model line and colour, 4. their current owners with members,
    # 5. pending claims with car, model line, colour and claimant, 6. the cars' current owners,
    # 7. pending changes with car, model line, colour and proposer, 8. the proposed colours,
    # 9. the staff inbox's count in the navigation bar (one query, then cached for a minute)
    with django_assert_num_queries(9):
        response = staff_client.get(REVIEW_URL)

    assert response.content.decode().count("<article") == 3 * waiting


# --- Who may decide ---------------------------------------------------------------------


def test_deciding_sends_anonymous_visitors_to_log_in(client, pending_car):
    response = client.post(car_url(pending_car), {"decision": "approve"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    pending_car.refresh_from_db()
    assert pending_car.review_status == Car.Review.PENDING


def test_members_cannot_decide(client, member, pending_car, claim):
    client.force_login(member)

    assert client.post(car_url(pending_car), {"decision": "approve"}).status_code == 403
    assert client.post(claim_url(claim), {"decision": "approve"}).status_code == 403
    pending_car.refresh_from_db()
    claim.refresh_from_db()
    assert pending_car.review_status == Car.Review.PENDING
    assert claim.state == Claim.State.PENDING


def test_an_unknown_car_or_claim_is_not_found(staff_client, pending_car, claim):
    for name in ("register:review_car", "register:review_claim"):
        response = staff_client.post(reverse(name, args=[999999]), {"decision": "approve"})

        assert response.status_code == 404


def test_a_decision_is_only_taken_by_post(staff_client, pending_car):
    assert staff_client.get(car_url(pending_car)).status_code == 405


# --- Cars --------------------------------------------------------------------------------


def test_approving_gives_plaque_numbers_in_order_and_never_again(
    staff_client, member, django_capture_on_commit_callbacks
):
    first, second, third = (CarFactory(pending=True, owner=member) for _ in range(3))
    already = CarFactory()  # a verified car holds the plaque sequence's first number

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(car_url(first), {"decision": "approve"})
        staff_client.post(car_url(second), {"decision": "approve"})
    second.refresh_from_db()
    second.delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(car_url(third), {"decision": "approve"})

    first.refresh_from_db()
    third.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"{REVIEW_URL}#cars"
    assert first.review_status == Car.Review.VERIFIED
    assert first.verified_at is not None
    assert first.plaque_number == already.plaque_number + 1
    assert third.plaque_number == already.plaque_number + 3  # the deleted car's number stays used
    assert [m.to for m in mail.outbox] == [[member.email]] * 3
    assert f"plaque No. {third.plaque_number}" in mail.outbox[-1].body


def test_rejecting_a_car_tells_the_owner_why(
    staff_client, pending_car, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            car_url(pending_car), {"decision": "reject", "reason": "The VIN belongs to a 135i."}
        )

    pending_car.refresh_from_db()
    assert pending_car.review_status == Car.Review.REJECTED
    assert pending_car.rejection_reason == "The VIN belongs to a 135i."
    assert pending_car.plaque_number is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "The VIN belongs to a 135i." in mail.outbox[0].body
    assert any("Rejected" in m for m in messages_of(response))


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_without_a_reason_changes_nothing(
    staff_client, pending_car, reason, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(car_url(pending_car), {"decision": "reject", "reason": reason})

    assert response.status_code == 302
    assert "Please give a reason" in " ".join(messages_of(response))
    pending_car.refresh_from_db()
    assert pending_car.review_status == Car.Review.PENDING
    assert mail.outbox == []


def test_a_second_decision_on_a_car_is_refused_with_a_message(
    staff_client, pending_car, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(car_url(pending_car), {"decision": "approve"})
        again = staff_client.post(car_url(pending_car), {"decision": "reject", "reason": "Oops"})
        once_more = staff_client.post(car_url(pending_car), {"decision": "approve"})

    pending_car.refresh_from_db()
    assert pending_car.review_status == Car.Review.VERIFIED
    assert "already been decided" in " ".join(messages_of(again))
    assert "already been decided" in " ".join(messages_of(once_more))
    assert len(mail.outbox) == 1


def test_a_rejected_car_is_not_approved_by_a_late_click(staff_client, pending_car):
    staff_client.post(car_url(pending_car), {"decision": "reject", "reason": "Not a 1M."})

    response = staff_client.post(car_url(pending_car), {"decision": "approve"})

    pending_car.refresh_from_db()
    assert pending_car.review_status == Car.Review.REJECTED
    assert pending_car.plaque_number is None
    assert "already been decided" in " ".join(messages_of(response))


@pytest.mark.parametrize("decision", ["", "delete", "APPROVE"])
def test_a_tampered_decision_changes_nothing(staff_client, pending_car, decision):
    response = staff_client.post(car_url(pending_car), {"decision": decision, "reason": "x"})

    assert response.status_code == 302
    assert "Please choose Approve or Reject." in messages_of(response)
    pending_car.refresh_from_db()
    assert pending_car.review_status == Car.Review.PENDING


# --- Claims ------------------------------------------------------------------------------


def test_approving_a_claim_hands_the_car_over(
    staff_client, claim, member, other_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(claim_url(claim), {"decision": "approve"})

    assert response["Location"] == f"{REVIEW_URL}#claims"
    claim.refresh_from_db()
    assert claim.state == Claim.State.APPROVED
    assert claim.car.current_owner.member == other_member
    # The claimant is told, and so is the owner they replace.
    assert [m.to for m in mail.outbox] == [[other_member.email], [member.email]]
    assert "approved" in mail.outbox[0].body
    assert "the register now shows them as its owner" in mail.outbox[1].body


def test_rejecting_a_claim_tells_the_claimant_why(
    staff_client, claim, member, other_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            claim_url(claim), {"decision": "reject", "reason": "The papers name someone else."}
        )

    claim.refresh_from_db()
    assert claim.state == Claim.State.REJECTED
    assert claim.car.current_owner.member == member
    assert [m.to for m in mail.outbox] == [[other_member.email]]
    assert "The papers name someone else." in mail.outbox[0].body


def test_rejecting_a_claim_without_a_reason_changes_nothing(staff_client, claim):
    response = staff_client.post(claim_url(claim), {"decision": "reject", "reason": ""})

    claim.refresh_from_db()
    assert claim.state == Claim.State.PENDING
    assert "Please give a reason" in " ".join(messages_of(response))


def test_a_second_decision_on_a_claim_is_refused_with_a_message(
    staff_client, claim, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(claim_url(claim), {"decision": "approve"})
        again = staff_client.post(claim_url(claim), {"decision": "reject", "reason": "No"})

    claim.refresh_from_db()
    assert claim.state == Claim.State.APPROVED
    assert "This claim has already been decided." in messages_of(again)
    assert len(mail.outbox) == 2  # the approval's two: claimant and previous owner


def test_the_approval_email_names_the_plaque(member, django_capture_on_commit_callbacks):
    colour = ColourFactory(name="Black & Gold 'Edition'")
    car = CarFactory(pending=True, owner=member, colour=colour)

    with django_capture_on_commit_callbacks(execute=True):
        car = car_approve(car=car, staff=None)

    [message] = mail.outbox
    assert f"plaque No. {car.plaque_number}" in message.body
    assert "Olga Owner" in message.body
    assert "Black & Gold 'Edition'" in message.body  # plain text: nothing HTML-escaped


def test_the_record_keeps_which_staff_member_verified_or_rejected_it(staff, member):
    from register.services import car_reject

    verified = car_approve(car=CarFactory(pending=True, owner=member), staff=staff)
    rejected = car_reject(
        car=CarFactory(pending=True, owner=member), staff=staff, reason="Not a 1M"
    )

    verified.refresh_from_db()
    rejected.refresh_from_db()
    assert verified.reviewed_by == staff
    assert rejected.reviewed_by == staff
