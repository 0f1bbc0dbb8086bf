"""The check-in app's API (meets/gate_api.py, meets/gate.py, docs/checkin.md)."""

import datetime
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from meets import gate
from meets.models import RSVP, GateScan
from membership.card import card_check_url, card_token
from tests.factories import MemberFactory
from tests.meets.factories import (
    MeetFactory,
    QuestionFactory,
    RSVPFactory,
    WaitlistedRSVPFactory,
)
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db

MEET_URL = "/api/checkin/v1/meet"
CHECKINS_URL = "/api/checkin/v1/checkins"
CARDS_URL = "/api/checkin/v1/cards"
WALKINS_URL = "/api/checkin/v1/walkins"


def started_meet(**fields):
    """A published meet that started an hour ago."""
    start = (timezone.now() - datetime.timedelta(hours=1)).replace(microsecond=0)
    return MeetFactory(
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=8),
        rsvp_opens_at=start - datetime.timedelta(days=30),
        **fields,
    )


@pytest.fixture
def meet(organiser):
    return started_meet(organisers=[organiser])


def device(meet, by, name="Gate A"):
    """A device of `meet` and the headers it sends."""
    made, token = gate.device_create(meet=meet, name=name, by=by)
    return made, {"HTTP_AUTHORIZATION": f"Device {token}"}


@pytest.fixture
def gate_a(meet, organiser):
    return device(meet, organiser, "Gate A")


@pytest.fixture
def gate_b(meet, organiser):
    return device(meet, organiser, "Gate B")


def scan(rsvp, at, **extra):
    return {"client_id": str(uuid.uuid4()), "rsvp": rsvp.pk, "scanned_at": at.isoformat(), **extra}


def send(client, headers, *scans):
    response = client.post(
        CHECKINS_URL, {"checkins": list(scans)}, content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- Authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Device ", "Device not-a-token", "Bearer x", "Device " + "x" * 5000],
    ids=["none", "empty", "garbage", "other scheme", "huge"],
)
def test_a_request_without_a_valid_token_is_401(client, meet, gate_a, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(MEET_URL, **headers)
    assert response.status_code == 401
    assert "detail" in response.json()
    assert response["Cache-Control"] == "no-store"


def test_a_revoked_device_is_401(client, gate_a):
    gate.device_revoke(device=gate_a[0])
    assert client.get(MEET_URL, **gate_a[1]).status_code == 401


def test_a_device_of_a_cancelled_or_long_finished_meet_is_401(client, meet, gate_a):
    meet.status = meet.Status.CANCELLED
    meet.save()
    assert client.get(MEET_URL, **gate_a[1]).status_code == 401
    meet.status = meet.Status.PUBLISHED
    meet.starts_at = timezone.now() - datetime.timedelta(days=4)
    meet.ends_at = timezone.now() - datetime.timedelta(days=3)
    meet.save()
    assert client.get(MEET_URL, **gate_a[1]).status_code == 401
    meet.ends_at = timezone.now() - datetime.timedelta(days=1)
    meet.save()
    assert client.get(MEET_URL, **gate_a[1]).status_code == 200


def test_another_meets_device_sees_only_its_own_meet(client, meet, organiser):
    mine = RSVPFactory(meet=meet)
    other = started_meet(organisers=[organiser])
    _device, headers = device(other, organiser)
    data = client.get(MEET_URL, **headers).json()
    assert data["meet"]["slug"] == other.slug
    assert data["rsvps"] == []
    result = send(client, headers, scan(mine, timezone.now()))[0]
    assert result["result"] == "refused"
    mine.refresh_from_db()
    assert mine.checked_in_at is None


def test_requests_note_the_device_last_seen_at_most_once_a_minute(client, gate_a):
    made, headers = gate_a
    client.get(MEET_URL, **headers)
    made.refresh_from_db()
    first = made.last_seen_at
    assert first is not None
    client.get(MEET_URL, **headers)
    made.refresh_from_db()
    assert made.last_seen_at == first


# --- The download ---------------------------------------------------------------------------


def test_the_download_holds_going_and_waiting_rsvps_with_car_person_and_cards(
    client, meet, gate_a, lapsed_member
):
    going = RSVPFactory(meet=meet, member=MemberFactory(display_name="Gina Going"))
    going.car.vin_visibility = going.car.VinVisibility.FULL
    going.car.save()
    waiting = WaitlistedRSVPFactory(meet=meet)
    RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED)

    response = client.get(MEET_URL, **gate_a[1])

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response
    assert "ETag" not in response
    data = response.json()
    assert data["meet"] | {"starts_at": None, "ends_at": None} == {
        "slug": meet.slug,
        "title": meet.title,
        "starts_at": None,
        "ends_at": None,
        "time_zone": "Europe/Berlin",
        "capacity": 10,
        "going": 1,
        "checked_in": 0,
        "places_left": 9,
    }
    assert data["meet"]["starts_at"].endswith("+00:00")
    assert data["device"] == {"id": gate_a[0].pk, "name": "Gate A"}
    assert [r["id"] for r in data["rsvps"]] == sorted(
        [going.pk, waiting.pk], key=lambda pk: RSVP.objects.get(pk=pk).car.plaque_number
    )
    row = next(r for r in data["rsvps"] if r["id"] == going.pk)
    assert row == {
        "id": going.pk,
        "code": going.checkin_code,
        "status": "going",
        "car": {
            "plaque": going.car.plaque_number,
            "model_line": going.car.model_line.name,
            "colour": going.car.colour.name if going.car.colour else "",
            "vin_tail": going.car.vin[-7:],
            "vin": going.car.vin,
            "plate": "",
        },
        "person": {"name": "Gina Going", "number": going.member.membership_number},
        "checked_in_at": None,
        "checked_in_by": None,
        "answers": {},
    }
    assert data["questions"] == []
    waiting_row = next(r for r in data["rsvps"] if r["id"] == waiting.pk)
    assert waiting_row["status"] == "waitlisted"
    assert waiting_row["car"]["vin"] is None  # its owner shows only the last 7
    # The cards of this meet's people only; anyone else's is checked online.
    cards = {c["number"]: c for c in data["cards"]}
    assert set(cards) == {going.member.membership_number, waiting.member.membership_number}
    assert cards[going.member.membership_number]["state"] == "valid"
    assert set(cards[going.member.membership_number]) == {"number", "version", "state", "last_day"}
    from meets.gate_api import DownloadOut

    DownloadOut.model_validate(data)  # the JSON, written directly, is what its schema says
    everyone = {c["number"]: c for c in gate.cards_for_gate()}
    assert everyone[lapsed_member.membership_number]["state"] == "lapsed"


def test_the_download_shows_people_only_as_a_helper_may_see_them(client, meet, staff):
    hidden = MemberFactory(display_name="Hilde Hidden", name_visibility=User.Visibility.NOBODY)
    RSVPFactory(meet=meet, member=hidden)
    # Staff made the device, and has an RSVP of their own: the device still sees as a helper.
    RSVPFactory(meet=meet, member=staff)
    _device, headers = device(meet, staff)

    body = client.get(MEET_URL, **headers).content.decode()

    assert "Hilde Hidden" not in body
    assert f"Member No. {hidden.membership_number}" in body
    assert "@" not in body  # no e-mail address anywhere
    assert "Stella Staff" in body


def test_the_download_asks_a_constant_number_of_queries(
    client, meet, gate_a, django_assert_num_queries
):
    def count_for(n):
        RSVP.objects.filter(meet=meet).delete()
        for _ in range(n):
            RSVPFactory(meet=meet)
        client.get(MEET_URL, **gate_a[1])  # its "last seen" is written, once a minute
        cache.clear()
        # The device (with its meet), the RSVPs' values with car, model line, colour and
        # device, the people they name, the meet's check-in questions, the members' cards
        # (with seat and membership).
        with django_assert_num_queries(5) as captured:
            assert len(client.get(MEET_URL, **gate_a[1]).json()["rsvps"]) == n
        return len(captured)

    assert count_for(2) == count_for(50)


def test_a_second_download_is_the_meets_cached_part_and_the_cards_afresh(
    client, meet, gate_a, gate_b, django_assert_num_queries
):
    RSVPFactory.create_batch(3, meet=meet)
    client.get(MEET_URL, **gate_a[1])
    client.get(MEET_URL, **gate_b[1])  # both devices' "last seen" written

    # The device (with its meet) and the cards: the RSVPs and questions come cached, and
    # each device still finds its own name in the answer.
    with django_assert_num_queries(2):
        data = client.get(MEET_URL, **gate_b[1]).json()
    assert len(data["rsvps"]) == 3
    assert data["device"]["name"] == "Gate B"


def test_the_cached_download_follows_every_change_it_shows(
    client, meet, gate_a, gate_b, django_capture_on_commit_callbacks
):
    first = RSVPFactory(meet=meet)
    client.get(MEET_URL, **gate_a[1])

    # A check-in from the other device, a new RSVP, a car's new colour name, a question,
    # the checking device renamed, and a member's card lapsing: each shows at once.
    # (Each bump is made once its change commits.)
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client, gate_b[1], scan(first, timezone.now()))[0]["result"] == "checked_in"
        second = RSVPFactory(meet=meet)
        second.car.plaque_number = 77
        second.car.save()
        QuestionFactory(meet=meet, label="Track day insurance?", asked_at="checkin")
        gate_b[0].name = "North gate"
        gate_b[0].save()
        second.member.membership_status = User.Status.LAPSED
        second.member.save(update_fields=["membership_status"])

    data = client.get(MEET_URL, **gate_a[1]).json()
    rows = {row["id"]: row for row in data["rsvps"]}
    assert rows[first.pk]["checked_in_by"] == "North gate"
    assert rows[second.pk]["car"]["plaque"] == 77
    assert data["meet"]["checked_in"] == 1
    assert [q["label"] for q in data["questions"]] == ["Track day insurance?"]
    cards = {card["number"]: card["state"] for card in data["cards"]}
    assert cards[second.member.membership_number] == "lapsed"


# --- Check-ins and the offline rule ------------------------------------------------------------


def test_a_scan_checks_the_car_in_and_says_so(client, meet, gate_a):
    rsvp = RSVPFactory(meet=meet)
    at = timezone.now() - datetime.timedelta(minutes=5)
    result = send(client, gate_a[1], scan(rsvp, at))[0]
    assert result["result"] == "checked_in"
    assert result["rsvp"] == rsvp.pk
    assert result["checked_in_by"] == "Gate A"
    assert result["message"].startswith("Checked in at ")
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at == at.replace(microsecond=at.microsecond)
    assert rsvp.checked_in_device == gate_a[0]


def test_a_scan_by_code_or_its_url_checks_in(client, meet, gate_a):
    by_code, by_url = RSVPFactory(meet=meet), RSVPFactory(meet=meet)
    now = timezone.now().isoformat()
    results = send(
        client,
        gate_a[1],
        {"client_id": str(uuid.uuid4()), "code": by_code.checkin_code, "scanned_at": now},
        {
            "client_id": str(uuid.uuid4()),
            "code": f"https://paddock.example/meets/checkin/{by_url.checkin_code}/",
            "scanned_at": now,
        },
    )
    assert [r["result"] for r in results] == ["checked_in", "checked_in"]
    assert RSVP.objects.filter(checked_in_at__isnull=False).count() == 2


def test_a_resent_batch_changes_nothing_and_gets_the_same_results(client, meet, gate_a):
    rsvp = RSVPFactory(meet=meet)
    batch = [scan(rsvp, timezone.now()), scan(WaitlistedRSVPFactory(meet=meet), timezone.now())]
    first = send(client, gate_a[1], *batch)
    checked_in_at = RSVP.objects.get(pk=rsvp.pk).checked_in_at

    again = send(client, gate_a[1], *batch)

    assert again == first
    assert [r["result"] for r in again] == ["checked_in", "refused"]
    assert GateScan.objects.count() == 2
    assert RSVP.objects.get(pk=rsvp.pk).checked_in_at == checked_in_at
    assert rsvp.car.timeline.count() == 1


def test_a_later_scan_from_another_device_is_told_who_was_first(client, meet, gate_a, gate_b):
    rsvp = RSVPFactory(meet=meet)
    early = meet.starts_at + datetime.timedelta(minutes=14)
    send(client, gate_b[1], scan(rsvp, early))

    result = send(client, gate_a[1], scan(rsvp, early + datetime.timedelta(minutes=3)))[0]

    assert result["result"] == "already"
    assert result["checked_in_by"] == "Gate B"
    local = timezone.localtime(early, meet.tz)
    assert result["message"] == f"Already checked in at {local:%H:%M} by Gate B."
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at == early
    assert rsvp.checked_in_device == gate_b[0]


def test_an_earlier_scan_synced_late_wins(client, meet, gate_a, gate_b):
    rsvp = RSVPFactory(meet=meet)
    early = meet.starts_at + datetime.timedelta(minutes=10)
    late = early + datetime.timedelta(minutes=5)
    # Gate A scanned later but had signal; Gate B scanned first, offline, and syncs now.
    assert send(client, gate_a[1], scan(rsvp, late))[0]["result"] == "checked_in"

    result = send(client, gate_b[1], scan(rsvp, early))[0]

    assert result["result"] == "checked_in"
    assert result["checked_in_by"] == "Gate B"
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at == early
    assert rsvp.checked_in_device == gate_b[0]
    # Gate A learns it on its next download.
    row = client.get(MEET_URL, **gate_a[1]).json()["rsvps"][0]
    assert row["checked_in_by"] == "Gate B"
    assert row["checked_in_at"] == early.astimezone(datetime.UTC).isoformat()
    assert rsvp.car.timeline.count() == 1  # seen once


def test_two_scans_in_the_same_second_make_one_check_in(client, meet, gate_a, gate_b):
    rsvp = RSVPFactory(meet=meet)
    at = meet.starts_at + datetime.timedelta(minutes=10)
    first = send(client, gate_a[1], scan(rsvp, at))[0]
    second = send(client, gate_b[1], scan(rsvp, at))[0]
    assert (first["result"], second["result"]) == ("checked_in", "already")
    assert second["checked_in_by"] == "Gate A"


def test_a_scan_is_trusted_up_to_now_and_only_on_the_check_in_days(client, organiser):
    # The meet starts in 12 hours: its check-in days began yesterday, local time.
    start = (timezone.now() + datetime.timedelta(hours=12)).replace(microsecond=0)
    meet = MeetFactory(
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=8),
        rsvp_opens_at=start - datetime.timedelta(days=30),
        organisers=[organiser],
    )
    _device, headers = device(meet, organiser)
    early, late, first_day = (RSVPFactory(meet=meet) for _ in range(3))
    opens = datetime.datetime.combine(meet.checkin_days()[0], datetime.time(0, 5), meet.tz)

    results = send(
        client,
        headers,
        # A code tried out at home a week before, synced now the gate is open.
        scan(early, timezone.now() - datetime.timedelta(days=7)),
        # A device clock ahead of the server's.
        scan(late, timezone.now() + datetime.timedelta(days=30)),
        # Five minutes into the day before: at its own time, not moved.
        scan(first_day, opens),
    )

    assert [r["result"] for r in results] == ["refused", "checked_in", "checked_in"]
    assert results[0]["message"] == str(gate.REASONS["closed"])
    for rsvp in (early, late, first_day):
        rsvp.refresh_from_db()
    assert early.checked_in_at is None
    assert late.checked_in_at <= timezone.now()
    assert first_day.checked_in_at == opens


def test_an_earlier_scan_from_before_the_check_in_days_moves_nothing(client, meet, gate_a, gate_b):
    rsvp = RSVPFactory(meet=meet)
    at = timezone.now() - datetime.timedelta(minutes=5)
    send(client, gate_a[1], scan(rsvp, at))
    rsvp.refresh_from_db()
    first = rsvp.checked_in_at

    result = send(client, gate_b[1], scan(rsvp, meet.starts_at - datetime.timedelta(days=9)))[0]

    rsvp.refresh_from_db()
    assert result["result"] == "already"
    assert (rsvp.checked_in_at, rsvp.checked_in_device) == (first, gate_a[0])


def _meet_days_ago(organiser, days: int):
    start = (timezone.now() - datetime.timedelta(days=days)).replace(microsecond=0)
    return MeetFactory(
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=6),
        rsvp_opens_at=start - datetime.timedelta(days=30),
        organisers=[organiser],
    )


CLOSED = "Scanned outside this meet's check-in days (the day before it to the day after it)."


@pytest.mark.parametrize(
    ("scanned", "result"),
    [("at the gate", "checked_in"), ("now", "refused")],
)
def test_a_scan_counts_by_when_it_was_made_not_when_it_was_synced(organiser, scanned, result):
    # Through the service: the device's token has expired days after the meet
    # (GRACE_AFTER_MEET), but a scan kept offline over a long weekend arrives as this one.
    meet = _meet_days_ago(organiser, 5)
    rsvp = RSVPFactory(meet=meet)
    made, _headers = device(meet, organiser)
    at = meet.starts_at + datetime.timedelta(minutes=10) if scanned == "at the gate" else None

    answer = gate.checkin_apply(
        device=made, client_id=uuid.uuid4(), scanned_at=at or timezone.now(), rsvp_id=rsvp.pk
    )

    assert answer["result"] == result
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at == at
    if result == "refused":
        assert answer["message"] == CLOSED


def test_a_scan_or_walk_in_days_before_the_meet_is_refused_and_says_why(client, organiser, member):
    meet = _meet_days_ago(organiser, -10)
    rsvp = RSVPFactory(meet=meet)
    _device, headers = device(meet, organiser)
    car = CarFactory(owner=member)

    [result] = send(client, headers, scan(rsvp, timezone.now()))
    walked_in = walk_in(
        client, headers, membership_number=member.membership_number, car=str(car.plaque_number)
    )

    assert (result["result"], result["message"]) == ("refused", CLOSED)
    assert (walked_in["result"], walked_in["message"]) == ("refused", CLOSED)
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is None
    assert not RSVP.objects.filter(meet=meet, member=member).exists()


def test_scans_that_cannot_check_in_are_refused_with_the_reason(client, meet, gate_a):
    waiting = WaitlistedRSVPFactory(meet=meet)
    cancelled = RSVPFactory(meet=meet, status=RSVP.Status.CANCELLED)
    elsewhere = RSVPFactory(meet=MeetFactory())
    now = timezone.now()
    results = send(
        client,
        gate_a[1],
        scan(waiting, now),
        scan(cancelled, now),
        scan(elsewhere, now),
        {"client_id": str(uuid.uuid4()), "rsvp": 2**70, "scanned_at": now.isoformat()},
        {"client_id": str(uuid.uuid4()), "code": "no-such-code", "scanned_at": now.isoformat()},
    )
    assert [r["result"] for r in results] == ["refused"] * 5
    assert [r["message"] for r in results] == [
        "This RSVP is on the waiting list, not going.",
        "This RSVP is cancelled, not going.",
        "No such RSVP at this meet.",
        "No such RSVP at this meet.",
        "No such RSVP at this meet.",
    ]
    assert not RSVP.objects.filter(checked_in_at__isnull=False).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"checkins": "x"},
        {"checkins": [{"client_id": "not-a-uuid", "rsvp": 1, "scanned_at": "2027-01-01T00:00Z"}]},
        {"checkins": [{"client_id": str(uuid.uuid4()), "scanned_at": "2027-01-01T00:00Z"}]},
        {"checkins": [{"client_id": str(uuid.uuid4()), "rsvp": 1, "scanned_at": "yesterday"}]},
        {"checkins": [{"client_id": str(uuid.uuid4()), "rsvp": "x", "scanned_at": "2027"}]},
    ],
    ids=["not a list", "bad uuid", "no rsvp", "bad time", "bad id"],
)
def test_a_malformed_batch_is_422_and_nothing_is_kept(client, meet, gate_a, body):
    response = client.post(CHECKINS_URL, body, content_type="application/json", **gate_a[1])
    assert response.status_code == 422
    assert not GateScan.objects.exists()


def test_a_batch_of_more_than_500_is_refused(client, meet, gate_a):
    rsvp = RSVPFactory(meet=meet)
    body = {"checkins": [scan(rsvp, timezone.now()) for _ in range(501)]}
    response = client.post(CHECKINS_URL, body, content_type="application/json", **gate_a[1])
    assert response.status_code == 422
    assert not GateScan.objects.exists()


def test_a_body_that_is_not_json_is_an_error_not_a_500(client, meet, gate_a):
    response = client.post(CHECKINS_URL, "{nope", content_type="application/json", **gate_a[1])
    assert 400 <= response.status_code < 500


# --- The odometer ---------------------------------------------------------------------------


def test_an_odometer_at_the_gate_becomes_a_reading_a_timeline_entry_and_last_seen(
    client, meet, gate_a
):
    rsvp = RSVPFactory(meet=meet)
    scanned_at = timezone.now()
    send(client, gate_a[1], scan(rsvp, scanned_at, odometer_km=123_456))
    car = rsvp.car
    car.refresh_from_db()
    # The day of the scan at the venue (after midnight there, not the day the meet began).
    local_day = timezone.localtime(scanned_at, meet.tz).date()
    reading = car.mileage_readings.get()
    assert (reading.kilometres, reading.read_on, reading.flagged) == (123_456, local_day, False)
    entry = car.timeline.get()
    assert entry.system_text == "seen_at_meet"
    assert entry.display_title == f"Seen at {meet.title}"
    assert car.last_seen_on == local_day
    # Scanned again (another device): nothing twice.
    _other, headers = device(meet, meet.organisers.first(), "Gate C")
    send(client, headers, scan(rsvp, timezone.now(), odometer_km=123_999))
    assert car.mileage_readings.count() == 1
    assert car.timeline.count() == 1


@pytest.mark.parametrize("km", [-1, 2_000_001])
def test_a_bad_odometer_is_refused_and_nothing_is_saved(client, meet, gate_a, km):
    rsvp = RSVPFactory(meet=meet)
    result = send(client, gate_a[1], scan(rsvp, timezone.now(), odometer_km=km))[0]
    assert result["result"] == "refused"
    assert "odometer" in result["message"]
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is None
    assert not GateScan.objects.exists()
    assert not rsvp.car.mileage_readings.exists()


def test_an_odometer_that_is_not_a_number_is_422(client, meet, gate_a):
    rsvp = RSVPFactory(meet=meet)
    response = client.post(
        CHECKINS_URL,
        {"checkins": [scan(rsvp, timezone.now(), odometer_km="lots")]},
        content_type="application/json",
        **gate_a[1],
    )
    assert response.status_code == 422
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is None


# --- Cards --------------------------------------------------------------------------------------


def test_a_scanned_card_says_valid_or_lapsed(client, gate_a, member, lapsed_member):
    def check(token):
        response = client.post(
            CARDS_URL, {"token": token}, content_type="application/json", **gate_a[1]
        )
        assert response.status_code == 200
        return response.json()

    valid = check(card_check_url(member, member.seat))
    assert valid["state"] == "valid"
    assert valid["number"] == member.membership_number
    lapsed_seat = getattr(lapsed_member, "seat", None)
    assert check(card_token(lapsed_member, lapsed_seat))["state"] == "lapsed"
    assert check("forged:token")["state"] == "not valid"


# --- Walk-ins ---------------------------------------------------------------------------------


def walk_in(client, headers, **fields):
    body = {"client_id": str(uuid.uuid4()), "scanned_at": timezone.now().isoformat(), **fields}
    response = client.post(WALKINS_URL, body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_walk_in_with_places_left_is_going_and_checked_in(client, meet, gate_a, member):
    car = CarFactory(owner=member)
    result = walk_in(
        client,
        gate_a[1],
        membership_number=member.membership_number,
        car=str(car.plaque_number),
        odometer_km=50_000,
    )
    assert result["result"] == "checked_in"
    rsvp = RSVP.objects.get(meet=meet, member=member)
    assert (rsvp.status, rsvp.car, rsvp.checked_in_device) == ("going", car, gate_a[0])
    assert car.mileage_readings.get().kilometres == 50_000


def test_a_walk_in_by_card_and_vin_tail(client, meet, gate_a, member):
    car = CarFactory(owner=member)
    result = walk_in(
        client, gate_a[1], card=card_check_url(member, member.seat), car=car.vin[-7:].lower()
    )
    assert result["result"] == "checked_in"


def test_a_walk_in_is_idempotent(client, meet, gate_a, member):
    car = CarFactory(owner=member)
    body = {
        "client_id": str(uuid.uuid4()),
        "membership_number": member.membership_number,
        "car": car.vin,
        "scanned_at": timezone.now().isoformat(),
    }
    first = client.post(WALKINS_URL, body, content_type="application/json", **gate_a[1]).json()
    again = client.post(WALKINS_URL, body, content_type="application/json", **gate_a[1]).json()
    assert first == again
    assert RSVP.objects.filter(meet=meet, member=member).count() == 1


def test_a_walk_in_when_full_is_refused(client, organiser, member):
    meet = started_meet(organisers=[organiser], capacity=1)
    RSVPFactory(meet=meet)
    _device, headers = device(meet, organiser)
    car = CarFactory(owner=member)
    result = walk_in(
        client, headers, membership_number=member.membership_number, car=str(car.plaque_number)
    )
    assert (result["result"], result["message"]) == ("refused", "Full: no places left.")
    assert not RSVP.objects.filter(member=member).exists()


def test_a_walk_in_with_someone_elses_car_is_refused(client, meet, gate_a, member, other_member):
    car = CarFactory(owner=other_member)
    result = walk_in(
        client, gate_a[1], membership_number=member.membership_number, car=str(car.plaque_number)
    )
    assert (result["result"], result["message"]) == ("refused", NOT_THEIRS)


NOT_THEIRS = "None of their cars on the register matches that."


def test_a_walk_in_tells_a_device_nothing_of_other_members_cars(
    client, meet, gate_a, member, other_member
):
    """A VIN shown only by its last 7, or a car not yet on the public register, is not
    confirmed by trying it: the answer is the one for a VIN nobody has."""
    hidden = CarFactory(owner=other_member, vin_visibility="last7")
    pending = CarFactory(owner=other_member, pending=True)
    made_up = "WBA" + "0" * 7 + hidden.vin[-7:]
    answers = {
        query: walk_in(client, gate_a[1], membership_number=member.membership_number, car=query)
        for query in (hidden.vin, pending.vin, pending.vin[-7:], made_up)
    }
    assert {(a["result"], a["message"]) for a in answers.values()} == {("refused", NOT_THEIRS)}
    assert not RSVP.objects.filter(meet=meet).exists()


def test_a_lapsed_member_cannot_walk_in(client, meet, gate_a, lapsed_member):
    car = CarFactory(owner=lapsed_member)
    result = walk_in(
        client,
        gate_a[1],
        membership_number=lapsed_member.membership_number,
        car=str(car.plaque_number),
    )
    assert (result["result"], result["message"]) == ("refused", "Lapsed membership.")
    assert not RSVP.objects.filter(member=lapsed_member).exists()


def test_a_walk_in_of_a_member_going_already_is_the_normal_check_in(client, meet, gate_a):
    rsvp = RSVPFactory(meet=meet)
    result = walk_in(
        client,
        gate_a[1],
        membership_number=rsvp.member.membership_number,
        car=str(rsvp.car.plaque_number),
    )
    assert (result["result"], result["rsvp"]) == ("checked_in", rsvp.pk)
    assert RSVP.objects.filter(meet=meet).count() == 1


def test_a_walk_in_of_nobody_is_refused(client, meet, gate_a):
    result = walk_in(client, gate_a[1], membership_number=999_999, car="12")
    assert result["message"] == "No member has that membership number."
    result = walk_in(client, gate_a[1], card="made:up", car="12")
    assert result["message"] == "That membership card is not valid."


# --- The public API stays as it was ---------------------------------------------------------


def test_the_public_api_is_still_read_only_and_open_to_other_sites(client):
    response = client.post("/api/v1/cars", {})
    assert response.status_code == 405
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_checkin_api_docs_are_served(client):
    assert client.get("/api/checkin/v1/openapi.json").status_code == 200
    assert client.get("/api/checkin/v1/docs").status_code == 200


def test_the_download_shows_a_plate_as_the_gate_may_see_it(client, meet, gate_a):
    """register/plates.py: a car going to this meet shows its plate at this meet's gate."""

    def plated(factory, plate, **fields):
        member = MemberFactory()
        car = CarFactory(owner=member, registration_plate=plate)
        return factory(member=member, car=car, **fields)

    going = plated(RSVPFactory, "MYKM135", meet=meet)
    waiting = plated(WaitlistedRSVPFactory, "B1M2011", meet=meet)
    elsewhere = plated(RSVPFactory, "HHX999")  # going to another meet: another gate

    rows = {row["id"]: row for row in client.get(MEET_URL, **gate_a[1]).json()["rsvps"]}

    assert rows[going.pk]["car"]["plate"] == "MYKM135"
    assert rows[waiting.pk]["car"]["plate"] == "B1M2011"
    assert elsewhere.pk not in rows


# --- Places held by waiting-list offers -------------------------------------------------------


@pytest.fixture
def offered_place(organiser):
    """A meet in two hours, one place, whose going car cancelled: the place is offered to
    the first on the waiting list (meets/offers.py) and held for them."""
    from meets import services
    from meets.models import Meet
    from meets.offer_models import Offer

    start = timezone.now() + datetime.timedelta(hours=2)
    meet = MeetFactory(
        organisers=[organiser],
        capacity=1,
        promotion=Meet.Promotion.OFFER,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=6),
    )
    going = RSVPFactory(meet=meet)
    waiting = WaitlistedRSVPFactory(meet=meet)
    services.rsvp_cancel(rsvp=going, member=going.member)
    assert Offer.objects.open().get().rsvp == waiting
    return meet


def test_a_walk_in_does_not_take_a_place_held_by_an_offer(client, organiser, offered_place):
    _device, headers = device(offered_place, organiser)
    person = MemberFactory()
    car = CarFactory(owner=person)

    result = walk_in(
        client, headers, membership_number=person.membership_number, car=str(car.plaque_number)
    )

    assert (result["result"], result["message"]) == ("refused", "Full: no places left.")
    assert not RSVP.objects.filter(meet=offered_place, member=person).exists()


def test_the_download_counts_a_place_held_by_an_offer_as_taken(client, organiser, offered_place):
    _device, headers = device(offered_place, organiser)

    data = client.get(MEET_URL, **headers).json()

    assert (data["meet"]["going"], data["meet"]["places_left"]) == (0, 0)


# --- Check-in questions ----------------------------------------------------------------------


@pytest.fixture
def asked(meet):
    """A dietary question at RSVP; a required wristband number and a T-shirt size at check-in."""
    return {
        "diet": QuestionFactory(meet=meet, label="Dietary notes"),
        "wristband": QuestionFactory(
            meet=meet,
            label="Wristband number",
            kind="number",
            min_value=1,
            max_value=500,
            required=True,
            asked_at="checkin",
        ),
        "size": QuestionFactory(
            meet=meet,
            label="T-shirt size",
            kind="single",
            choices=["S", "M", "L"],
            asked_at="checkin",
        ),
    }


def test_the_download_holds_the_checkin_questions_and_their_answers_only(
    client, meet, gate_a, asked
):
    rsvp = RSVPFactory(
        meet=meet,
        answers={asked["diet"].key: "Vegan", asked["wristband"].key: 17},
    )

    data = client.get(MEET_URL, **gate_a[1]).json()

    assert data["questions"] == [
        {
            "id": asked["wristband"].pk,
            "label": "Wristband number",
            "help_text": "",
            "kind": "number",
            "required": True,
            "choices": [],
            "min": 1,
            "max": 500,
        },
        {
            "id": asked["size"].pk,
            "label": "T-shirt size",
            "help_text": "",
            "kind": "single",
            "required": False,
            "choices": ["S", "M", "L"],
            "min": None,
            "max": None,
        },
    ]
    row = next(r for r in data["rsvps"] if r["id"] == rsvp.pk)
    # What was asked at RSVP is not the gate's business.
    assert row["answers"] == {asked["wristband"].key: 17}
    assert "Vegan" not in str(data) and "Dietary notes" not in str(data)


def test_a_scan_keeps_its_answers_with_the_check_in(client, meet, gate_a, asked):
    rsvp = RSVPFactory(meet=meet, answers={asked["diet"].key: "Vegan"})
    answers = {asked["wristband"].key: "42", asked["size"].key: "M"}

    result = send(client, gate_a[1], scan(rsvp, timezone.now(), answers=answers))[0]

    assert result["result"] == "checked_in"
    assert result["not_kept"] == []
    assert "Not kept" not in result["message"]
    rsvp.refresh_from_db()
    assert rsvp.checked_in_device == gate_a[0]
    assert rsvp.answers == {
        asked["diet"].key: "Vegan",
        asked["wristband"].key: 42,
        asked["size"].key: "M",
    }


def test_a_bad_answer_is_dropped_with_a_message_and_the_car_still_checks_in(
    client, meet, gate_a, asked
):
    rsvp = RSVPFactory(meet=meet)
    answers = {
        asked["wristband"].key: 900,
        asked["size"].key: "L",
        # A device cannot answer what was asked at RSVP: ignored.
        asked["diet"].key: "Anything",
    }
    batch = [scan(rsvp, timezone.now(), answers=answers)]

    result = send(client, gate_a[1], *batch)[0]

    assert result["result"] == "checked_in"
    assert result["not_kept"] == [asked["wristband"].key]
    assert result["message"].startswith("Checked in at ")
    assert result["message"].endswith(
        "Not kept: “Wristband number”: Ensure this value is less than or equal to 500."
    )
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is not None
    assert rsvp.answers == {asked["size"].key: "L"}
    # Sent again: the same answer, nothing changed.
    assert send(client, gate_a[1], *batch)[0] == result
    assert GateScan.objects.count() == 1


def test_a_scan_without_the_required_answer_still_checks_in(client, meet, gate_a, asked):
    rsvp = RSVPFactory(meet=meet)

    result = send(client, gate_a[1], scan(rsvp, timezone.now(), answers={}))[0]

    assert result["result"] == "checked_in"
    assert result["not_kept"] == []
    rsvp.refresh_from_db()
    assert rsvp.checked_in_at is not None and rsvp.answers == {}


def test_a_later_device_adds_an_answer_to_a_checked_in_rsvp(client, meet, gate_a, gate_b, asked):
    rsvp = RSVPFactory(meet=meet)
    early = timezone.now() - datetime.timedelta(minutes=5)
    send(client, gate_a[1], scan(rsvp, early, answers={asked["size"].key: "S"}))

    result = send(
        client, gate_b[1], scan(rsvp, timezone.now(), answers={asked["wristband"].key: 7})
    )[0]

    assert result["result"] == "already"
    rsvp.refresh_from_db()
    assert rsvp.checked_in_device == gate_a[0]  # the earliest scan still wins
    assert rsvp.answers == {asked["size"].key: "S", asked["wristband"].key: 7}


def test_a_refused_scan_keeps_no_answers(client, meet, gate_a, asked):
    waiting = WaitlistedRSVPFactory(meet=meet)

    result = send(
        client, gate_a[1], scan(waiting, timezone.now(), answers={asked["size"].key: "S"})
    )[0]

    assert result["result"] == "refused"
    waiting.refresh_from_db()
    assert waiting.answers == {}


def test_a_walk_in_keeps_its_answers(client, meet, gate_a, member, asked):
    car = CarFactory(owner=member)

    result = walk_in(
        client,
        gate_a[1],
        membership_number=member.membership_number,
        car=str(car.plaque_number),
        answers={asked["wristband"].key: 3, asked["size"].key: "XXL"},
    )

    assert result["result"] == "checked_in"
    assert result["not_kept"] == [asked["size"].key]
    assert "“T-shirt size”: Select a valid choice." in result["message"]
    rsvp = RSVP.objects.get(meet=meet, member=member)
    assert rsvp.answers == {asked["wristband"].key: 3}


@pytest.mark.parametrize("answers", [["x"], "x", {"1": {"deep": 1}}], ids=["list", "str", "obj"])
def test_answers_of_the_wrong_shape_are_422_or_not_kept(client, meet, gate_a, asked, answers):
    rsvp = RSVPFactory(meet=meet)
    if isinstance(answers, dict):
        answers = {asked["size"].key: {"deep": 1}}
    response = client.post(
        CHECKINS_URL,
        {"checkins": [scan(rsvp, timezone.now(), answers=answers)]},
        content_type="application/json",
        **gate_a[1],
    )
    if isinstance(answers, dict):
        assert response.json()["results"][0]["not_kept"] == [asked["size"].key]
        rsvp.refresh_from_db()
        assert rsvp.checked_in_at is not None and rsvp.answers == {}
    else:
        assert response.status_code == 422
        assert not GateScan.objects.exists()
