"""A verified car's factory facts change only when the registrar accepts the owner's proposal."""

import pytest
from django.core import mail
from django.urls import reverse

from meets.models import RSVP
from meets.views.public import colour_mix
from register import services
from register.models import Car, CarChangeRequest, colour_counts
from tests.meets.factories import RSVPFactory
from tests.register.factories import CarFactory, ColourFactory

pytestmark = pytest.mark.django_db

REVIEW_URL = reverse("register:review")


def edit_data(car: Car, **overrides) -> dict:
    """The owner's edit form as it stands for `car`, with `overrides`."""
    return {
        "model_line": car.model_line_id,
        "colour": car.colour_id,
        "build_date": car.build_date.strftime("%Y-%m") if car.build_date else "",
        "market": str(car.market),
        "country": str(car.country),
        "transmission": car.transmission,
        "steering": car.steering,
        "options": car.options,
        "status": car.status,
        "story": car.story,
        "vin_visibility": car.vin_visibility,
        **overrides,
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def orange_car(member, valencia_orange):
    return CarFactory(owner=member, colour=valencia_orange, story="")


@pytest.fixture
def java_green(model_line):
    return ColourFactory(model_line=model_line, name="Java Green", paint_code="B39")


def propose_java_green(client_for, member, car, java_green, **overrides):
    return client_for(member).post(
        reverse("register:edit", args=[car.pk]),
        edit_data(car, colour=java_green.pk, story="Repainted? No: the papers say green.")
        | overrides,
        follow=True,
    )


def test_a_colour_change_of_a_verified_car_waits_for_the_registrar(
    client_for, member, orange_car, valencia_orange, java_green
):
    RSVPFactory(member=member, car=orange_car)
    counts_before = colour_counts()

    response = propose_java_green(client_for, member, orange_car, java_green)

    assert any("waiting for the registrar" in m for m in messages_of(response))
    orange_car.refresh_from_db()
    # The story is saved at once; the colour, and everything counted by colour, stays.
    assert orange_car.story == "Repainted? No: the papers say green."
    assert (orange_car.colour, orange_car.review_status) == (valencia_orange, Car.Review.VERIFIED)
    assert colour_counts() == counts_before
    mix = colour_mix(RSVP.objects.all(), slug="m", title="")
    assert [bar.label for bar in mix.bars] == ["Valencia Orange"]
    change = CarChangeRequest.objects.get()
    assert (change.state, change.changes, change.proposed_by) == (
        CarChangeRequest.State.PENDING,
        {"colour": java_green.pk},
        member,
    )
    # The edit page says what waits, and shows the proposal.
    page = client_for(member).get(reverse("register:edit", args=[orange_car.pk]))
    text = page.content.decode()
    assert "A change to the factory facts is waiting for the registrar" in text
    assert "Valencia Orange (A76) → Java Green (B39)" in text


def test_a_second_edit_replaces_the_proposal_and_setting_it_back_withdraws_it(
    client_for, member, orange_car, java_green, valencia_orange
):
    propose_java_green(client_for, member, orange_car, java_green)
    propose_java_green(client_for, member, orange_car, java_green, market="GB")

    change = CarChangeRequest.objects.get()
    assert change.changes == {"colour": java_green.pk, "market": "GB"}

    propose_java_green(
        client_for, member, orange_car, java_green, colour=valencia_orange.pk, market="DE"
    )

    change.refresh_from_db()
    assert change.state == CarChangeRequest.State.WITHDRAWN
    assert not CarChangeRequest.objects.filter(state=CarChangeRequest.State.PENDING).exists()


def test_the_registrar_sees_the_diff_and_accepts_and_the_car_stays_verified(
    client_for, member, staff, orange_car, java_green, django_capture_on_commit_callbacks
):
    propose_java_green(client_for, member, orange_car, java_green)
    change = CarChangeRequest.objects.get()
    staff_client = client_for(staff)

    queue = staff_client.get(REVIEW_URL).content.decode()
    assert "<del>Valencia Orange (A76)</del>" in queue
    assert "<ins>Java Green (B39)</ins>" in queue
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("register:review_change", args=[change.pk]), {"decision": "approve"}
        )

    assert response["Location"] == f"{REVIEW_URL}#changes"
    orange_car.refresh_from_db()
    change.refresh_from_db()
    assert (orange_car.colour, orange_car.review_status) == (java_green, Car.Review.VERIFIED)
    assert (change.state, change.decided_by) == (CarChangeRequest.State.ACCEPTED, staff)
    assert orange_car.history.first().history_user == staff
    [message] = mail.outbox
    assert message.to == [member.email]
    assert "Colour: Valencia Orange (A76) → Java Green (B39)" in message.body


def test_rejecting_needs_a_reason_which_the_owner_is_sent(
    client_for,
    member,
    staff,
    orange_car,
    java_green,
    valencia_orange,
    django_capture_on_commit_callbacks,
):
    propose_java_green(client_for, member, orange_car, java_green)
    change = CarChangeRequest.objects.get()
    url = reverse("register:review_change", args=[change.pk])
    staff_client = client_for(staff)

    without = staff_client.post(url, {"decision": "reject"}, follow=True)
    assert "Please give a reason: it is sent to the member." in messages_of(without)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"decision": "reject", "reason": "The build sheet says A76."})
        again = staff_client.post(url, {"decision": "approve"}, follow=True)

    change.refresh_from_db()
    orange_car.refresh_from_db()
    assert change.state == CarChangeRequest.State.REJECTED
    assert orange_car.colour == valencia_orange
    assert "This change has already been decided." in messages_of(again)
    [message] = mail.outbox
    assert "The build sheet says A76." in message.body


def test_an_unverified_car_is_changed_at_once(client_for, member, valencia_orange, java_green):
    car = CarFactory(owner=member, unverified=True, colour=valencia_orange)

    client_for(member).post(
        reverse("register:edit", args=[car.pk]), edit_data(car, colour=java_green.pk)
    )

    car.refresh_from_db()
    assert car.colour == java_green
    assert not CarChangeRequest.objects.exists()


def test_staff_change_a_verified_car_directly(client_for, member, staff, orange_car, java_green):
    client_for(staff).post(
        reverse("register:edit", args=[orange_car.pk]), edit_data(orange_car, colour=java_green.pk)
    )

    orange_car.refresh_from_db()
    assert orange_car.colour == java_green
    assert not CarChangeRequest.objects.exists()


def test_a_new_owner_cannot_pile_a_proposal_on_the_previous_owners(
    member, other_member, orange_car, java_green
):
    services.car_update(car=orange_car, editor=member, values={"colour": java_green})

    with pytest.raises(services.RegisterError, match="Another change"):
        services.car_update(car=orange_car, editor=other_member, values={"market": "GB"})

    assert CarChangeRequest.objects.get().changes == {"colour": java_green.pk}
