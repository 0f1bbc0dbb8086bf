"""The check-in app's API (meets/gate_api.py): devices' tokens, the download, the scans."""

import datetime
import uuid

import pytest
from django.utils import timezone

from meets import gate
from meets.models import RSVP, GateScan
from tests.meets.factories import MeetFactory, RSVPFactory, WaitlistedRSVPFactory

pytestmark = pytest.mark.django_db

MEET_URL = "/api/checkin/v1/meet"
CHECKINS_URL = "/api/checkin/v1/checkins"


@pytest.fixture
def meet(organiser):
    start = (timezone.now() - datetime.timedelta(hours=1)).replace(microsecond=0)
    return MeetFactory(
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=8),
        rsvp_opens_at=start - datetime.timedelta(days=30),
        organisers=[organiser],
    )


@pytest.fixture
def device_and_token(meet, organiser):
    return gate.device_create(meet=meet, name="Gate A", by=organiser)


@pytest.fixture
def auth(device_and_token):
    return {"HTTP_AUTHORIZATION": f"Device {device_and_token[1]}"}


def scan(rsvp, at, **extra):
    return {"client_id": str(uuid.uuid4()), "rsvp": rsvp.pk, "scanned_at": at.isoformat(), **extra}


def test_a_device_downloads_its_meets_list(client, meet, auth):
    going = RSVPFactory(meet=meet)
    WaitlistedRSVPFactory(meet=meet)
    RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED)

    response = client.get(MEET_URL, **auth)

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["meet"]["slug"] == meet.slug
    assert data["device"]["name"] == "Gate A"
    assert {r["status"] for r in data["rsvps"]} == {"going", "waitlisted"}
    row = next(r for r in data["rsvps"] if r["id"] == going.pk)
    assert row["code"] == going.checkin_code
    assert response["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response


def test_a_scan_checks_the_car_in(client, meet, auth):
    rsvp = RSVPFactory(meet=meet)
    response = client.post(
        CHECKINS_URL,
        {"checkins": [scan(rsvp, timezone.now())]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["result"] == "checked_in"
    rsvp.refresh_from_db()
    assert rsvp.checked_in_device.name == "Gate A"
    assert GateScan.objects.count() == 1
