"""The check-in app's API (/api/checkin/v1/): a meet's list for a device, and its scans.

Each device of a meet sends `Authorization: Device <token>` (the organiser's page
/meets/<slug>/gate/devices/ creates it and shows the token once). An unknown or revoked
token, or one of a meet that is cancelled or ended more than two days ago, is a 401. No
cookie is read, so CSRF does not apply; no answer may be stored by a cache (no-store), and
no other site may read one (no CORS). The rules, the offline one first, are in
docs/checkin.md; the services are meets/gate.py.

Not rate-limited: a token is secret, revocable and bound to one meet, and a batch holds at
most MAX_BATCH scans. (The public API's limit counts per address, and a gate's phones
share one hotspot.)
"""

import datetime
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Router, Schema, Swagger
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from pydantic import model_validator

from meets import gate
from membership.card import verdict_for

MAX_BATCH = 500


class DeviceAuth(HttpBearer):
    """`Authorization: Device <token>`."""

    openapi_scheme = "device"

    def authenticate(self, request: HttpRequest, token: str):
        return gate.device_for_token(token.strip())


class _NoStoreApi(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        response["Cache-Control"] = "no-store"
        return response


api = _NoStoreApi(
    title=gettext_lazy("Paddock check-in API"),
    version="1",
    description=gettext_lazy(
        "For the check-in app at a meet's gate: the meet's list to check cars in offline, "
        "and the check-ins, walk-ins and card scans a device sends. Each device sends "
        "`Authorization: Device <token>`; its meet's organisers create and revoke devices. "
        "The earliest scan of an RSVP wins, whichever device syncs first (docs/checkin.md)."
    ),
    urls_namespace="gate_api",
    openapi_url="openapi.json",
    docs_url="docs",
    docs=Swagger(settings={"validatorUrl": None}),
    auth=DeviceAuth(),
)
router = Router(tags=["check-in"])


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    return api.create_response(
        request,
        {"detail": _("This device is not (or no longer) allowed to check cars in.")},
        status=401,
    )


# --- Schemas ----------------------------------------------------------------------------------


class MeetOut(Schema):
    slug: str
    title: str
    starts_at: str
    ends_at: str
    time_zone: str
    capacity: int
    going: int
    checked_in: int
    places_left: int


class DeviceOut(Schema):
    id: int
    name: str


class CarOut(Schema):
    plaque: int | None
    model_line: str
    colour: str
    vin_tail: str = Field(description="The VIN's last 7 characters.")
    vin: str | None = Field(description="The full VIN, where its owner shows it; else null.")
    plate: str = Field(description="The registration plate as the gate may see it, or empty.")


class PersonOut(Schema):
    name: str = Field(description="As a check-in helper may see it (accounts/privacy.py).")
    number: int | None


class QuestionOut(Schema):
    id: int
    label: str
    help_text: str
    kind: str = Field(
        description='"text", "number", "yes_no", "single", "multiple", "date" or "country".'
    )
    required: bool = Field(description="Marked as required; a scan is never refused for it.")
    choices: list[str] = Field(description="For single and multiple choice.")
    min: int | None = Field(description="A number question's smallest answer, or null.")
    max: int | None = Field(description="A number question's largest answer, or null.")


ANSWERS_DESCRIPTION = (
    "Answers to the meet's check-in questions, by question id: a string, a whole number, "
    "true/false, a list of choices, an ISO date or a two-letter country code."
)


class RsvpOut(Schema):
    id: int
    code: str = Field(description="The RSVP's check-in code, as in its QR code.")
    status: str = Field(description='"going" or "waitlisted".')
    car: CarOut
    person: PersonOut
    checked_in_at: str | None
    checked_in_by: str | None
    answers: dict[str, Any] = Field(description=ANSWERS_DESCRIPTION)


class CardOut(Schema):
    number: int
    version: int
    state: str = Field(description='"valid" or "lapsed".')
    last_day: str | None = Field(description="Valid through this day; null: for life or unknown.")


class DownloadOut(Schema):
    meet: MeetOut
    device: DeviceOut
    generated_at: str
    questions: list[QuestionOut] = Field(description="The questions asked at check-in.")
    rsvps: list[RsvpOut]
    cards: list[CardOut]


class CheckinIn(Schema):
    client_id: uuid.UUID = Field(description="The device's own id for this scan.")
    rsvp: int | None = None
    code: str | None = Field(None, max_length=300)
    scanned_at: datetime.datetime
    odometer_km: int | None = None
    answers: dict[str, Any] | None = Field(None, description=ANSWERS_DESCRIPTION)

    @model_validator(mode="after")
    def rsvp_or_code(self):
        if self.rsvp is None and not self.code:
            raise ValueError("Give the RSVP's id or its code.")
        return self


class CheckinsIn(Schema):
    checkins: list[CheckinIn] = Field(max_length=MAX_BATCH)


class ResultOut(Schema):
    client_id: str
    rsvp: int | None
    result: str = Field(description='"checked_in", "already" or "refused".')
    checked_in_at: str | None
    checked_in_by: str | None
    message: str
    not_kept: list[str] = Field(
        description="The ids of the answers that were not valid and not kept (the message "
        "says why); the check-in counts all the same."
    )


class ResultsOut(Schema):
    results: list[ResultOut]


class CardIn(Schema):
    token: str = Field(max_length=1000, description="The card's QR code: its URL or token.")


class CardVerdictOut(Schema):
    state: str = Field(description='"valid", "lapsed" or "not valid".')
    number: int | None
    last_day: datetime.date | None
    for_life: bool


class WalkInIn(Schema):
    client_id: uuid.UUID
    membership_number: int | None = None
    card: str | None = Field(None, max_length=1000)
    car: str = Field(max_length=40, description="Plaque number, VIN or its last 7.")
    scanned_at: datetime.datetime
    odometer_km: int | None = None
    answers: dict[str, Any] | None = Field(None, description=ANSWERS_DESCRIPTION)

    @model_validator(mode="after")
    def member_or_card(self):
        if self.membership_number is None and not self.card:
            raise ValueError("Give the membership number or the card's code.")
        return self


# --- Endpoints --------------------------------------------------------------------------------


@router.get("meet", response=DownloadOut, url_name="meet")
def meet(request):
    """The meet's list: going and waiting RSVPs with car and person, and the cards."""
    # Written as JSON by gate.meet_download, the meet's part cached as text: validating 250
    # rows through DownloadOut took a third of the answer's time; our own rows need no
    # checking (a test holds them to the schema).
    response = HttpResponse(
        gate.meet_download(device=request.auth), content_type="application/json; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response


@router.post("checkins", response=ResultsOut, url_name="checkins")
def checkins(request, body: CheckinsIn):
    """Check-ins scanned on the device, up to 500 at once; idempotent per client_id."""
    items = [
        {
            "client_id": item.client_id,
            "rsvp_id": item.rsvp,
            "code": item.code,
            "scanned_at": item.scanned_at,
            "odometer_km": item.odometer_km,
            "answers": item.answers,
        }
        for item in body.checkins
    ]
    return {"results": gate.checkins_apply(device=request.auth, checkins=items)}


@router.post("cards", response=CardVerdictOut, url_name="cards")
def cards(request, body: CardIn):
    """What a scanned membership card says now."""
    verdict = verdict_for(gate.card_token_of(body.token))
    return {
        "state": verdict.state,
        "number": verdict.number,
        "last_day": verdict.last_day,
        "for_life": verdict.for_life,
    }


@router.post("walkins", response=ResultOut, url_name="walkins")
def walkins(request, body: WalkInIn):
    """A member without an RSVP, with their car: going and checked in while places are left."""
    return gate.walk_in_apply(
        device=request.auth,
        client_id=body.client_id,
        scanned_at=body.scanned_at,
        car=body.car,
        membership_number=body.membership_number,
        card=body.card,
        odometer_km=body.odometer_km,
        answers=body.answers,
    )


api.add_router("", router)
