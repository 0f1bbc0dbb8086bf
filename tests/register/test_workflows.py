"""A member's work on the register through the web: register, claim, edit, transfer."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import member_delete
from register import services
from register.models import Car, Claim, MileageReading, Ownership, TimelineEntry, Transfer
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, ColourFactory, OwnershipFactory, TransferFactory

pytestmark = pytest.mark.django_db

VIN = "WBSUR92050VK12345"
LOGIN = reverse("account_login")


def car_data(model_line, colour, **overrides) -> dict:
    """What a member types into the "Register your car" form."""
    return {
        "vin": VIN,
        "model_line": model_line.pk,
        "colour": colour.pk,
        "build_date": "2011-06",
        "market": "DE",
        "country": "DE",
        "transmission": Car.Transmission.MANUAL,
        "steering": Car.Steering.LEFT,
        "status": Car.Status.ON_THE_ROAD,
        "options": "Sunroof\nNavigation Professional",
        "story": "Bought new in Munich.",
        "vin_visibility": Car.VinVisibility.LAST7,
        "started_on": "2019-03-15",
        **overrides,
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


# --- Registering a new car -------------------------------------------------------------


def test_an_active_member_registers_a_new_car_which_waits_for_staff(
    client_for, member, model_line, monte_carlo_blue
):
    client = client_for(member)

    response = client.post(
        reverse("register:add"), car_data(model_line, monte_carlo_blue, vin="wbs-ur92050-vk12345")
    )

    car = Car.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("register:car", args=[car.pk])
    assert car.vin == VIN
    assert car.review_status == Car.Review.PENDING
    assert car.plaque_number is None
    assert car.registered_by == member
    assert car.colour == monte_carlo_blue
    assert car.build_date == datetime.date(2011, 6, 1)
    ownership = car.ownerships.get()
    assert (ownership.member, ownership.started_on, ownership.ended_on) == (
        member,
        datetime.date(2019, 3, 15),
        None,
    )

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "waiting for the registrar to verify it" in page.content.decode()
    assert "on its way" in messages_of(page)[0]


def test_a_vin_already_on_the_register_is_caught_at_entry_with_a_link_to_claim_it(
    client_for, member, model_line, monte_carlo_blue
):
    existing = CarFactory(vin=VIN)
    client = client_for(member)

    response = client.post(
        reverse("register:add"), car_data(model_line, monte_carlo_blue, vin=VIN.lower())
    )

    assert response.status_code == 200
    claim_url = reverse("register:claim", args=[existing.pk])
    assert (
        response.context["form"].errors["vin"][0].startswith("This car is already on the register.")
    )
    html = response.content.decode()
    assert f'<a href="{claim_url}">claim it</a>' in html
    assert Car.objects.count() == 1


def test_a_pending_member_may_not_register_a_car(client_for, pending_member, model_line):
    client = client_for(pending_member)

    page = client.get(reverse("register:add"))
    post = client.post(
        reverse("register:add"), car_data(model_line, ColourFactory(model_line=model_line))
    )

    assert page.status_code == 403
    assert "still waiting for approval" in page.content.decode()
    assert post.status_code == 403
    assert not Car.objects.exists()


def test_the_form_sent_twice_registers_one_car_and_tells_the_second_it_is_a_duplicate(
    client_for, member, model_line, valencia_orange
):
    client = client_for(member)
    data = car_data(model_line, valencia_orange)

    first = client.post(reverse("register:add"), data)
    second = client.post(reverse("register:add"), data)

    assert first.status_code == 302
    assert second.status_code == 200
    assert "This VIN is already waiting for the registrar." in second.content.decode()
    assert Car.objects.count() == 1
    assert Ownership.objects.count() == 1


def test_a_duplicate_that_slips_past_the_form_check_gets_the_message_not_an_error_page(
    client_for, member, model_line, valencia_orange, monkeypatch
):
    """Two requests in the same second: both pass the form's check, one saves first."""
    register = services.car_register

    def other_request_wins(**kwargs):
        CarFactory(vin=VIN)
        return register(**kwargs)

    monkeypatch.setattr(services, "car_register", other_request_wins)

    response = client_for(member).post(
        reverse("register:add"), car_data(model_line, valencia_orange)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["vin"] == ["This car is already on the register."]
    assert Car.objects.count() == 1
    assert not Ownership.objects.exists()


# --- Claiming a car already on the register ------------------------------------------


def test_finding_a_car_by_its_vin_leads_to_its_claim_page(client_for, member):
    car = CarFactory(vin=VIN)

    response = client_for(member).get(reverse("register:claim_find"), {"vin": " wbsur92050vk12345"})

    assert response.status_code == 302
    assert response["Location"] == reverse("register:claim", args=[car.pk])


def test_finding_a_vin_not_on_the_register_offers_to_register_it(client_for, member):
    response = client_for(member).get(reverse("register:claim_find"), {"vin": VIN})

    assert response.status_code == 200
    assert "No car with this VIN is on the register yet." in response.content.decode()


def test_a_member_claims_a_car_with_evidence_and_the_claim_waits_for_staff(
    client_for, member, other_member
):
    car = CarFactory(owner=other_member)
    client = client_for(member)

    response = client.post(
        reverse("register:claim", args=[car.pk]),
        {"evidence": "Bought it at auction in May; invoice and V5C attached."},
        follow=True,
    )

    claim = Claim.objects.get()
    assert (claim.car, claim.claimant, claim.state) == (car, member, Claim.State.PENDING)
    assert claim.evidence == "Bought it at auction in May; invoice and V5C attached."
    assert response.redirect_chain == [(reverse("register:garage"), 302)]
    assert messages_of(response) == ["Your claim is with the registrar. We will e-mail you."]
    # Nothing changes hands until staff decide.
    assert car.ownerships.current().get().member == other_member


def test_claiming_the_same_car_twice_says_so_and_keeps_one_claim(client_for, member, other_member):
    car = CarFactory(owner=other_member)
    client = client_for(member)
    url = reverse("register:claim", args=[car.pk])

    client.post(url, {"evidence": "It is mine."})
    response = client.post(url, {"evidence": "It is really mine."})

    assert response.status_code == 200
    # (The first claim's "with the registrar" message is still waiting to be shown.)
    assert messages_of(response)[-1] == "You already have a claim on this car waiting for staff."
    assert Claim.objects.filter(car=car, claimant=member).count() == 1


def test_approving_a_claim_closes_the_previous_ownership_and_opens_the_claimants(
    member, other_member, staff, django_capture_on_commit_callbacks
):
    car = CarFactory(owner=other_member)
    claim = services.claim_create(car=car, member=member, evidence="Bought it in May.")

    with django_capture_on_commit_callbacks(execute=True):
        services.claim_approve(claim=claim, staff=staff)

    previous = car.ownerships.get(member=other_member)
    current = car.ownerships.current().get()
    assert previous.ended_on == timezone.localdate()
    assert (current.member, current.started_on) == (member, timezone.localdate())
    claim.refresh_from_db()
    assert (claim.state, claim.decided_by) == (Claim.State.APPROVED, staff)
    assert [m.to for m in mail.outbox] == [[member.email], [other_member.email]]
    assert mail.outbox[0].subject == "Your claim was approved"
    assert mail.outbox[1].subject == "Your car has a new owner on the register"


# --- The owner keeps the car's record ---------------------------------------------------


def test_the_owner_edits_the_car_but_cannot_change_its_vin(
    client_for, member, model_line, valencia_orange
):
    car = CarFactory(vin=VIN, owner=member, model_line=model_line, colour=valencia_orange)

    response = client_for(member).post(
        reverse("register:edit", args=[car.pk]),
        car_data(
            model_line,
            valencia_orange,
            vin="WBSUR92050VK99999",
            status=Car.Status.STORED,
            story="Laid up for the winter.",
            vin_visibility=Car.VinVisibility.FULL,
        ),
    )

    assert response.status_code == 302
    car.refresh_from_db()
    assert car.vin == VIN
    assert car.status == Car.Status.STORED
    assert car.story == "Laid up for the winter."
    assert car.vin_visibility == Car.VinVisibility.FULL
    assert not Car.objects.filter(vin="WBSUR92050VK99999").exists()


def test_the_owner_adds_a_timeline_entry_signed_with_their_name(client_for, member):
    car = CarFactory(owner=member)

    response = client_for(member).post(
        reverse("register:timeline_add", args=[car.pk]),
        {
            "kind": TimelineEntry.Kind.TRACK_DAY,
            "happened_on": "2024-08-17",
            "title": "Nordschleife, 8:31",
            "body": "Dry, cool, no traffic.",
        },
        follow=True,
    )

    entry = car.timeline.get()
    assert (entry.title, entry.author, entry.happened_on) == (
        "Nordschleife, 8:31",
        member,
        datetime.date(2024, 8, 17),
    )
    assert "Nordschleife, 8:31" in response.content.decode()
    assert messages_of(response) == ["Added to the car's timeline."]


def test_a_reading_in_miles_is_stored_in_kilometres(client_for, member):
    car = CarFactory(owner=member)

    response = client_for(member).post(
        reverse("register:mileage_add", args=[car.pk]),
        {"read_on": yesterday(), "distance": "10000", "unit": "mi"},
        follow=True,
    )

    reading = MileageReading.objects.get()
    assert (reading.car, reading.kilometres, reading.recorded_by) == (car, 16_093, member)
    assert messages_of(response) == ["Mileage recorded: 16,093 km."]


@pytest.mark.parametrize(
    ("url_name", "data", "message"),
    [
        (
            "register:timeline_add",
            {"kind": "service", "happened_on": "{tomorrow}", "title": "Oil change"},
            "The date cannot be in the future.",
        ),
        (
            "register:mileage_add",
            {"read_on": "{tomorrow}", "distance": "1000", "unit": "km"},
            "The reading date cannot be in the future.",
        ),
    ],
)
def test_a_date_in_the_future_is_refused_with_a_message(
    client_for, member, url_name, data, message
):
    car = CarFactory(owner=member)
    data = {key: value.format(tomorrow=tomorrow()) for key, value in data.items()}

    response = client_for(member).post(reverse(url_name, args=[car.pk]), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not car.timeline.exists()
    assert not car.mileage_readings.exists()


def test_a_build_month_in_the_future_is_refused(client_for, member, model_line, valencia_orange):
    next_year = f"{timezone.localdate().year + 1}-01"

    response = client_for(member).post(
        reverse("register:add"), car_data(model_line, valencia_orange, build_date=next_year)
    )

    assert response.status_code == 200
    assert "The build month cannot be in the future." in response.content.decode()
    assert not Car.objects.exists()


# --- Transfers between members --------------------------------------------------------


@pytest.mark.parametrize("buyer_as", ["email", "EMAIL", "number", "No. number", "#number"])
def test_the_owner_starts_a_transfer_by_the_buyers_email_or_membership_number(
    client_for, member, other_member, buyer_as, django_capture_on_commit_callbacks
):
    car = CarFactory(owner=member)
    buyer = (
        buyer_as.replace("email", other_member.email)
        .replace("EMAIL", other_member.email.upper())
        .replace("number", str(other_member.membership_number))
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(
            reverse("register:transfer", args=[car.pk]),
            {"buyer": buyer, "transfer_date": yesterday(), "note": "Sold at the Ring"},
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("register:garage")
    transfer = Transfer.objects.get()
    assert (transfer.car, transfer.from_member, transfer.to_member, transfer.state) == (
        car,
        member,
        other_member,
        Transfer.State.PENDING,
    )
    assert [m.to for m in mail.outbox] == [[other_member.email]]
    # The seller owns the car until the buyer accepts.
    assert car.ownerships.current().get().member == member


@pytest.mark.parametrize(
    ("buyer", "error"),
    [
        ("nobody@example.org", "We found no member with that e-mail address or number."),
        ("99999", "We found no member with that e-mail address or number."),
        ("pending", "We found no member with that e-mail address or number."),
        ("self", "You cannot transfer a car to yourself."),
    ],
)
def test_a_transfer_to_an_unknown_buyer_or_to_oneself_is_refused(
    client_for, member, pending_member, buyer, error
):
    car = CarFactory(owner=member)
    buyer = {"pending": pending_member.email, "self": member.email}.get(buyer, buyer)

    response = client_for(member).post(
        reverse("register:transfer", args=[car.pk]),
        {"buyer": buyer, "transfer_date": yesterday()},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["buyer"] == [error]
    assert not Transfer.objects.exists()


def test_the_buyer_sees_the_transfer_in_their_garage_and_accepts_it(
    client_for, member, other_member, django_capture_on_commit_callbacks
):
    car = CarFactory(owner=member, colour__name="Java Green")
    sold_on = timezone.localdate() - datetime.timedelta(days=3)
    transfer = services.transfer_start(
        car=car, from_member=member, to_member=other_member, on=sold_on, note="Keys in the glovebox"
    )
    buyer = client_for(other_member)

    garage = buyer.get(reverse("register:garage")).content.decode()
    assert "Cars being transferred to you" in garage
    assert "Java Green" in garage
    assert "Keys in the glovebox" in garage
    assert reverse("register:transfer_respond", args=[transfer.pk]) in garage

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer.post(
            reverse("register:transfer_respond", args=[transfer.pk]),
            {"action": "accept"},
            follow=True,
        )

    assert messages_of(response) == ["The car is now in your garage. Welcome to its story!"]
    seller_ownership = car.ownerships.get(member=member)
    buyer_ownership = car.ownerships.current().get()
    assert seller_ownership.ended_on == sold_on
    assert (buyer_ownership.member, buyer_ownership.started_on) == (other_member, sold_on)
    entry = car.timeline.get()
    assert (entry.display_title, entry.happened_on) == ("Changed hands within the club", sold_on)
    assert (entry.system_text, entry.title) == ("transfer_club", "")
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.ACCEPTED
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert mail.outbox[0].subject == "Your car's transfer was accepted"
    # The car has moved from one garage to the other.
    assert car.get_absolute_url() in response.content.decode()
    seller_garage = client_for(member).get(reverse("register:garage")).content.decode()
    assert car.get_absolute_url() not in seller_garage


def test_accepting_a_transfer_twice_says_so_and_opens_one_ownership(
    client_for, member, other_member
):
    car = CarFactory(owner=member)
    transfer = TransferFactory(car=car, from_member=member, to_member=other_member)
    buyer = client_for(other_member)
    url = reverse("register:transfer_respond", args=[transfer.pk])

    buyer.post(url, {"action": "accept"}, follow=True)
    response = buyer.post(url, {"action": "accept"}, follow=True)

    assert messages_of(response) == ["This transfer is already accepted."]
    assert car.ownerships.filter(member=other_member).count() == 1
    assert car.ownerships.count() == 2
    assert car.timeline.count() == 1


def test_the_seller_cancels_a_transfer_and_keeps_the_car(client_for, member, other_member):
    car = CarFactory(owner=member)
    transfer = TransferFactory(car=car, from_member=member, to_member=other_member)

    response = client_for(member).post(
        reverse("register:transfer_respond", args=[transfer.pk]), {"action": "cancel"}, follow=True
    )

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.CANCELLED
    assert messages_of(response) == ["The transfer has been closed."]
    assert mail.outbox == []  # the seller knows: they pressed the button
    assert car.ownerships.current().get().member == member
    buyer_garage = client_for(other_member).get(reverse("register:garage")).content.decode()
    assert "Cars being transferred to you" not in buyer_garage


def test_the_buyer_declines_a_transfer_and_the_seller_is_told(
    client_for, member, other_member, django_capture_on_commit_callbacks
):
    car = CarFactory(owner=member)
    transfer = TransferFactory(car=car, from_member=member, to_member=other_member)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(other_member).post(
            reverse("register:transfer_respond", args=[transfer.pk]), {"action": "decline"}
        )

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.DECLINED
    assert car.ownerships.current().get().member == member
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert mail.outbox[0].subject == "Your car's transfer was declined"
    assert "was declined. The car stays in your garage." in mail.outbox[0].body


@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
def test_a_third_member_cannot_touch_someone_elses_transfer(
    client_for, member, other_member, action
):
    car = CarFactory(owner=member)
    transfer = TransferFactory(car=car, from_member=member, to_member=other_member)

    response = client_for(MemberFactory()).post(
        reverse("register:transfer_respond", args=[transfer.pk]), {"action": action}
    )

    assert response.status_code == 404
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.PENDING
    assert car.ownerships.current().get().member == member


# --- The garage -------------------------------------------------------------------------


def test_the_garage_shows_my_cars_my_claims_and_the_cars_coming_to_me(
    client_for, member, other_member
):
    mine = CarFactory(owner=member, colour__name="Alpine White")
    CarFactory(owner=other_member, colour__name="Black Sapphire")  # not mine
    claimed = CarFactory(owner=other_member, colour__name="Atacama Yellow")
    services.claim_create(car=claimed, member=member, evidence="Mine since May.")
    coming = CarFactory(owner=other_member, colour__name="Java Green")
    services.transfer_start(
        car=coming, from_member=other_member, to_member=member, on=timezone.localdate()
    )

    response = client_for(member).get(reverse("register:garage"))

    assert response.status_code == 200
    assert list(response.context["cars"]) == [mine]
    html = response.content.decode()
    my_cars = html.split('id="cars-title"')[1].split("</section>")[0]
    assert f"No. {mine.plaque_number}" in my_cars
    assert "Black Sapphire" not in html
    claims = html.split('id="claims-title"')[1]
    assert claimed.get_absolute_url() in claims
    assert "Waiting for staff" in claims
    incoming = html.split('id="incoming-title"')[1].split("</section>")[0]
    assert "Java Green" in incoming
    assert f"From {other_member.display_name}" in incoming


def test_an_empty_garage_invites_the_member_to_register_a_car(client_for):
    # A new member, with an empty garage (an applicant sees why they cannot yet instead:
    # tests/membership/test_rights.py).
    response = client_for(MemberFactory()).get(reverse("register:garage"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "No cars yet." in html
    assert f'<a href="{reverse("register:add")}">Register your car</a>' in html


# --- Leaving the club -----------------------------------------------------------------


def test_a_deleted_account_leaves_the_cars_history_without_the_name(
    client_for, other_member, django_capture_on_commit_callbacks
):
    owner = MemberFactory(display_name="Olga Owner", name_visibility=User.Visibility.PUBLIC)
    car = CarFactory(owner=owner)
    OwnershipFactory(
        car=car,
        member=None,
        owner_name="Erik Earlier",
        name_visibility="public",
        started_on=datetime.date(2012, 1, 1),
        ended_on=datetime.date(2019, 1, 1),
    )
    before = client_for().get(car.get_absolute_url()).content.decode()
    assert "Olga Owner" in before

    with django_capture_on_commit_callbacks(execute=True):
        member_delete(member=owner)

    assert car.ownerships.count() == 2
    assert car.ownerships.current().get().member_id == owner.pk
    for viewer in (None, other_member):
        page = client_for(viewer).get(car.get_absolute_url()).content.decode()
        assert "Olga Owner" not in page
        assert "A former member" in page
        # A non-member earlier owner is counted, not named (accounts/privacy.py).
        assert "1 earlier owner, 2012–2019" in page
        assert "Erik Earlier" not in page
    assert not re.search(r"deleted-\d+@invalid", page)
