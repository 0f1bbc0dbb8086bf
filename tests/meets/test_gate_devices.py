"""The check-in devices page (meets/views/gate_devices.py) and the odometer at the web gate."""

import datetime

import pytest
from django.urls import reverse

from meets import gate
from meets.models import GateDevice
from meets.models_gate import hash_token
from tests.meets.factories import GateDayMeetFactory, MeetFactory, RSVPFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meet(organiser, helper):
    return GateDayMeetFactory(organisers=[organiser], checkin_helpers=[helper])


def devices_url(meet):
    return reverse("meets:gate_devices", args=[meet.slug])


def test_the_page_climbs_the_ladder(client_for, meet, organiser, helper, member, other_organiser):
    url = devices_url(meet)
    assert client_for(None).get(url).status_code == 302
    assert client_for(member).get(url).status_code == 404
    assert client_for(other_organiser).get(url).status_code == 404
    assert client_for(helper).get(url).status_code == 200
    response = client_for(organiser).get(url)
    assert response.status_code == 200
    assert "Add a device" in response.content.decode()


def test_a_new_device_shows_its_link_once_and_stores_only_the_hash(client_for, meet, helper):
    client = client_for(helper)
    response = client.post(devices_url(meet), {"name": "  Gate   A "})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    device = GateDevice.objects.get(meet=meet)
    assert device.name == "Gate A"
    assert device.created_by == helper
    page = response.content.decode()
    marker = f"/meets/gate/#{meet.slug}:"
    token = page.split(marker, 1)[1].split('"', 1)[0]
    assert device.token_hash == hash_token(token)
    assert token not in device.token_hash
    assert "<svg" in page
    # Shown once: the list afterwards has the device, not its link.
    assert marker not in client.get(devices_url(meet)).content.decode()
    assert gate.device_for_token(token) == device


def test_a_device_needs_a_name(client_for, meet, organiser):
    response = client_for(organiser).post(devices_url(meet), {"name": "   "})
    assert response.status_code == 200
    assert not GateDevice.objects.exists()


def test_organisers_revoke_any_device_helpers_only_their_own(client_for, meet, organiser, helper):
    organisers_device, _token = gate.device_create(meet=meet, name="Gate A", by=organiser)
    helpers_device, _token = gate.device_create(meet=meet, name="Anna's phone", by=helper)

    def revoke(user, device):
        url = reverse("meets:gate_device_revoke", args=[meet.slug, device.pk])
        return client_for(user).post(url)

    assert revoke(helper, organisers_device).status_code == 403
    assert revoke(helper, helpers_device).status_code == 302
    assert revoke(organiser, organisers_device).status_code == 302
    assert revoke(organiser, organisers_device).status_code == 302  # again: nothing changes
    assert GateDevice.objects.active().count() == 0


def test_a_device_of_another_meet_is_404(client_for, meet, organiser):
    other = MeetFactory(organisers=[organiser])
    device, _token = gate.device_create(meet=other, name="Gate A", by=organiser)
    url = reverse("meets:gate_device_revoke", args=[meet.slug, device.pk])
    assert client_for(organiser).post(url).status_code == 404


def test_the_check_in_page_links_to_the_devices(client_for, meet, helper):
    page = client_for(helper).get(reverse("meets:checkin", args=[meet.slug])).content.decode()
    assert devices_url(meet) in page


# --- The odometer at the web check-in ---------------------------------------------------------


def test_the_web_check_in_records_the_odometer(client_for, meet, helper):
    rsvp = RSVPFactory(meet=meet)
    url = reverse("meets:checkin_rsvp", args=[meet.slug, rsvp.pk])
    client_for(helper).post(url, {"odometer_km": "88000"})
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is not None
    assert rsvp.car.mileage_readings.get().kilometres == 88_000
    assert rsvp.car.timeline.get().system_text == "seen_at_meet"


@pytest.mark.parametrize("value", ["-5", "2000001", "lots", "1.5"])
def test_a_bad_odometer_at_the_web_gate_checks_nothing_in(client_for, meet, helper, value):
    rsvp = RSVPFactory(meet=meet)
    url = reverse("meets:checkin_rsvp", args=[meet.slug, rsvp.pk])
    response = client_for(helper).post(url, {"odometer_km": value}, follow=True)
    assert response.status_code == 200
    assert "Not checked in" in response.content.decode()
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is None
    assert not rsvp.car.mileage_readings.exists()


def test_the_code_page_shows_a_bad_odometer_and_checks_nothing_in(client_for, meet, helper):
    rsvp = RSVPFactory(meet=meet)
    response = client_for(helper).post(rsvp.get_checkin_url(), {"odometer_km": "-1"})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is None


def test_a_reading_lower_than_the_last_is_kept_but_flagged(client_for, meet, helper):
    from tests.register.factories import MileageReadingFactory

    rsvp = RSVPFactory(meet=meet)
    a_month_ago = datetime.date.today() - datetime.timedelta(days=30)
    MileageReadingFactory(car=rsvp.car, read_on=a_month_ago, kilometres=100_000)
    url = reverse("meets:checkin_rsvp", args=[meet.slug, rsvp.pk])
    client_for(helper).post(url, {"odometer_km": "90000"})
    latest = rsvp.car.mileage_readings.get(kilometres=90_000)
    assert latest.flagged


def test_the_demo_has_one_device_on_the_nurburgring_weekend(organiser):
    meet = MeetFactory(slug="nurburgring-2027", organisers=[organiser])
    assert gate.seed_gate(organiser=organiser) == "a check-in device"
    assert gate.seed_gate(organiser=organiser) == ""  # a second run adds nothing
    assert list(GateDevice.objects.filter(meet=meet).values_list("name", flat=True)) == ["Gate A"]


def test_a_helper_taken_off_the_meet_loses_the_devices_they_made(
    client, client_for, meet, organiser, helper
):
    """Removing a helper ends their right to check cars in: their devices with it."""
    theirs, their_token = gate.device_create(meet=meet, name="Anna's phone", by=helper)
    _ours, our_token = gate.device_create(meet=meet, name="Gate A", by=organiser)
    other_meet = MeetFactory(organisers=[organiser], checkin_helpers=[helper])
    _elsewhere, elsewhere_token = gate.device_create(meet=other_meet, name="Anna's", by=helper)

    response = client_for(organiser).post(
        reverse("meets:helpers", args=[meet.slug]), {"helper": helper.pk}
    )

    assert response.status_code == 302
    assert not meet.checkin_helpers.filter(pk=helper.pk).exists()
    assert gate.device_for_token(their_token) is None
    theirs.refresh_from_db()
    assert theirs.is_revoked
    assert gate.device_for_token(our_token) is not None
    assert gate.device_for_token(elsewhere_token) is not None  # still a helper there


def test_a_member_who_leaves_loses_the_devices_they_made(meet, helper):
    from meets.services import member_meets_anonymise

    _device, token = gate.device_create(meet=meet, name="Anna's phone", by=helper)
    member_meets_anonymise(member=helper)
    assert gate.device_for_token(token) is None
