"""The check-in app's server side: devices, the meet's list to download, and the scans.

A device (`GateDevice`) belongs to one meet and proves itself with a secret token. It
downloads the meet's list (`meet_download`) to check cars in offline, and sends what it
scanned in batches (`checkins_apply`, `walk_in_apply`). The offline rule is written down in
docs/checkin.md: the earliest scan of an RSVP wins, whichever device syncs first.

A device sees people as a check-in helper does (accounts/privacy.py, Viewer.HELPER), not
as whoever created it: the phone at the gate passes from hand to hand, so a staff member's
device shows no more than a helper's, and its creator's own RSVP shows no e-mail address.
"""

import datetime
import json
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import privacy
from accounts.models import User
from meets import services
from meets.cache import meets_cache
from meets.counts import counts_refresh
from meets.models import RSVP, Meet
from meets.models_gate import GateDevice, GateScan, hash_token
from meets.questions import Question, checkin_questions, validate_answers
from membership import rights
from membership.card import card_version, read_token, version_of
from membership.models import Invoice
from membership.standing import grace_last_day, last_day_of
from register.filters import search_cars, without_plaque_prefix
from register.models import Car, Ownership
from register.plates import note_gate_cars, plate_for
from register.validators import VIN_SHORT_LENGTH

# A device keeps working this long after its meet ends (late syncs), then answers 401.
GRACE_AFTER_MEET = datetime.timedelta(days=2)
# last_seen_at is written at most this often per device.
SEEN_EVERY = datetime.timedelta(minutes=1)
# The most devices a meet can have that are not revoked.
DEVICES_PER_MEET = 30
MAX_TOKEN_LENGTH = 100
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class _GateViewer:
    """Whoever holds a device: signed in as a helper of its meet, never staff, never "self"."""

    pk: None = None
    is_authenticated: bool = True
    is_staff: bool = False
    is_active_member: bool = False


GATE_VIEWER = _GateViewer()


def _plate(car: Car, meet: Meet) -> str:
    """The car's registration plate as the gate may see it, or "" (register/plates.py)."""
    return plate_for(car, GATE_VIEWER, gate_of=meet)


def _person_name(member) -> str:
    return privacy.name_for(member, GATE_VIEWER, as_=privacy.Viewer.HELPER)


# --- Devices ----------------------------------------------------------------------------------


def device_create(*, meet: Meet, name: str, by: User) -> tuple[GateDevice, str]:
    """A new device for `meet`: returns it and its token, which is shown once, never stored."""
    token = GateDevice.new_token()
    with services._meet_transaction():
        meet = services._lock_meet(meet.pk)
        if GateDevice.objects.active().filter(meet=meet).count() >= DEVICES_PER_MEET:
            raise services.RSVPError(
                _(
                    "This meet has %(count)s check-in devices, the most it can have. "
                    "Revoke one first."
                )
                % {"count": DEVICES_PER_MEET}
            )
        device = GateDevice.objects.create(
            meet=meet, name=name.strip(), token_hash=hash_token(token), created_by=by
        )
    return device, token


def device_revoke(*, device: GateDevice) -> bool:
    """Revoke `device`: its next request answers 401. False when it already was."""
    return bool(
        GateDevice.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def device_for_token(token: str) -> GateDevice | None:
    """The device holding `token`, if it may still be used: not revoked, its meet neither
    cancelled nor over for longer than GRACE_AFTER_MEET."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    device = (
        GateDevice.objects.select_related("meet")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if device is None:
        return None
    meet = device.meet
    if meet.status == Meet.Status.CANCELLED:
        return None
    if meet.ends_at + GRACE_AFTER_MEET < timezone.now():
        return None
    _touch(device)
    return device


def _touch(device: GateDevice) -> None:
    now = timezone.now()
    if device.last_seen_at is None or device.last_seen_at < now - SEEN_EVERY:
        GateDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now


# --- The download -----------------------------------------------------------------------------


def _iso(value: datetime.datetime | None) -> str | None:
    return value.astimezone(datetime.UTC).isoformat() if value else None


def checked_in_by(rsvp: RSVP) -> str | None:
    """Who checked `rsvp` in, as a device may say it: the device, the person, or the page."""
    if rsvp.checked_in_at is None:
        return None
    if rsvp.checked_in_device_id is not None:
        return rsvp.checked_in_device.name
    return _who_checked_in(rsvp.checked_in_at, None, rsvp.checked_in_by)


def _who_checked_in(at, device_name: str | None, person) -> str | None:
    if at is None:
        return None
    if device_name is not None:
        return device_name
    if person is not None:
        return _person_name(person)
    return _("the web check-in page")


def _question_row(question: Question) -> dict:
    return {
        "id": question.pk,
        "label": question.label,
        "help_text": question.help_text,
        "kind": question.kind,
        "required": question.required,
        "choices": list(question.choices or []),
        "min": question.min_value,
        "max": question.max_value,
    }


# What the download reads of each live RSVP: plain values, not model instances (a meet
# of 250 cars made 1,500 of them, half the answer's time without the cache).
_ROW_FIELDS = (
    "id",
    "checkin_code",
    "status",
    "answers",
    "checked_in_at",
    "checked_in_by_id",
    "checked_in_device__name",
    "member_id",
    "car_id",
    "car__plaque_number",
    "car__model_line__name",
    "car__colour__name",
    "car__vin",
    "car__vin_visibility",
    "car__registration_plate",
    "car__plate_visibility",
)
# What the privacy rule reads of a member (accounts/privacy.py) to name them to a helper.
_PERSON_FIELDS = (
    "display_name",
    "email",
    "is_active",
    "membership_status",
    "membership_number",
    "name_visibility",
    "directory_listed",
    "show_location",
)


def _rsvp_row(row: dict, people: dict, meet: Meet, keys: list[str]) -> dict:
    answers = row["answers"] or {}
    member = people.get(row["member_id"])
    car = SimpleNamespace(
        pk=row["car_id"],
        registration_plate=row["car__registration_plate"],
        plate_visibility=row["car__plate_visibility"],
    )
    vin = row["car__vin"]
    by = _who_checked_in(
        row["checked_in_at"], row["checked_in_device__name"], people.get(row["checked_in_by_id"])
    )
    return {
        "id": row["id"],
        "code": row["checkin_code"],
        "status": row["status"],
        "car": {
            "plaque": row["car__plaque_number"],
            "model_line": row["car__model_line__name"],
            "colour": row["car__colour__name"] or "",
            "vin_tail": vin[-VIN_SHORT_LENGTH:],
            "vin": vin if row["car__vin_visibility"] == Car.VinVisibility.FULL else None,
            "plate": _plate(car, meet),
        },
        "person": {
            "name": _person_name(member) if member else _("A former member"),
            "number": (
                privacy.number_for(member, GATE_VIEWER, as_=privacy.Viewer.HELPER)
                if member
                else None
            ),
        },
        "checked_in_at": _iso(row["checked_in_at"]),
        "checked_in_by": by,
        # The check-in questions' answers only: what was asked at RSVP is not the gate's.
        "answers": {key: answers[key] for key in keys if key in answers},
    }


def cards_for_gate(*, meet=None, today: datetime.date | None = None) -> list[dict]:
    """The membership cards a scan at `meet` is likeliest to show — those of the members
    with a live RSVP there (every member's without a meet) — as membership/card.py's
    verdict_for would judge them now: number, card version, "valid" or "lapsed", and the
    last valid day.

    No names: the app answers "valid until …" for a card offline. Any other card (a
    walk-in's) is checked online; offline the app says it cannot tell. A club of 50,000
    members made every download 3.5 MB and 11 seconds with all of them. Two queries.
    """
    today = today or timezone.localdate()
    people = User.objects.all()
    if meet is not None:
        people = people.filter(
            pk__in=RSVP.objects.filter(meet=meet, status__in=RSVP.LIVE).values("member")
        )
    members = people.filter(
        is_active=True,
        membership_number__isnull=False,
        membership_status__in=[User.Status.ACTIVE, User.Status.LAPSED],
    ).order_by("membership_number")
    in_grace = []
    rows = []
    # Plain values, not a member, seat and membership instance per card.
    for (
        number,
        status,
        renewal,
        seat_id,
        version,
        membership_id,
        valid_until,
    ) in members.values_list(
        "membership_number",
        "membership_status",
        "renewal_date",
        "seat",
        "seat__card_version",
        "seat__membership",
        "seat__membership__valid_until",
    ):
        row = {
            "number": number,
            "version": version_of(version),
            "state": "valid",
            "last_day": None,
        }
        if status == User.Status.LAPSED:
            row["state"] = "lapsed"
        elif seat_id is None:
            row["last_day"] = last_day_of(renewal) if renewal and renewal > today else None
        elif valid_until is not None and valid_until > today:
            row["last_day"] = last_day_of(valid_until)
        elif valid_until is not None:
            in_grace.append((row, membership_id))
        rows.append(row)
    if in_grace:
        due = {}
        invoices = (
            Invoice.objects.filter(
                membership__in={m for _row, m in in_grace},
                kind=Invoice.Kind.INVOICE,
                status=Invoice.Status.OPEN,
            )
            .order_by("-due_on")
            .values_list("membership", "due_on")
        )
        for membership_id, due_on in invoices:
            due[membership_id] = due_on  # the earliest is written last
        for row, membership_id in in_grace:
            last = grace_last_day(due[membership_id]) if membership_id in due else None
            row["last_day"] = last if last and last >= today else None
    for row in rows:
        row["last_day"] = row["last_day"].isoformat() if row["last_day"] else None
    return rows


def meet_download(*, device: GateDevice) -> str:
    """What a device needs to check the meet's cars in offline (the API's GET meet), as
    JSON text: the meet, the device, when it was made, the questions, the RSVPs and the
    cards.

    The meet's part is the same for every device of the meet: it is cached, as JSON text,
    until the meet's scope is bumped (meets/invalidation.py: an RSVP, a check-in, a car of
    it, a question or a device changed; a member's name or status bumps every meets page).
    The cards are read afresh each time: a renewal or a lapse moves them, not the meet.
    """
    meet = device.meet
    part = meets_cache.cached(
        f"gate:{meet.pk}", lambda: _meet_part(meet), scopes=(f"meet:{meet.pk}",)
    )
    return "".join(
        [
            '{"meet": ',
            part["meet"],
            ', "device": ',
            _json({"id": device.pk, "name": device.name}),
            ', "generated_at": ',
            _json(_iso(timezone.now())),
            ', "questions": ',
            part["questions"],
            ', "rsvps": ',
            part["rsvps"],
            ', "cards": ',
            _json(cards_for_gate(meet=meet)),
            "}",
        ]
    )


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder)


def _meet_part(meet: Meet) -> dict[str, str]:
    """The meet, its check-in questions and its live RSVPs, each as JSON text."""
    rows = list(
        RSVP.objects.filter(meet=meet, status__in=RSVP.LIVE)
        .order_by("car__plaque_number", "id")
        .values(*_ROW_FIELDS)
    )
    # The people the rows name: the members, and whoever checked a car in on the web.
    wanted = {r["member_id"] for r in rows} | {r["checked_in_by_id"] for r in rows}
    wanted.discard(None)
    people = {m.pk: m for m in User.objects.filter(pk__in=wanted).only(*_PERSON_FIELDS)}
    # Every live RSVP is here: the plates' rule needs no query of its own to know them.
    note_gate_cars(meet, (r["car_id"] for r in rows))
    questions = checkin_questions(meet)
    keys = [q.key for q in questions]
    checked_in = sum(1 for r in rows if r["status"] == RSVP.Status.GOING and r["checked_in_at"])
    return {
        "meet": _json(
            {
                "slug": meet.slug,
                "title": meet.title,
                "starts_at": _iso(meet.starts_at),
                "ends_at": _iso(meet.ends_at),
                "time_zone": meet.time_zone,
                "capacity": meet.capacity,
                # Kept on the meet's row (meets/counts.py); places held by open
                # waiting-list offers (meets/offers.py) are not left.
                "going": meet.going_count,
                "checked_in": checked_in,
                "places_left": max(meet.capacity - meet.going_count - meet.held_count, 0),
            }
        ),
        "questions": _json([_question_row(q) for q in questions]),
        "rsvps": _json([_rsvp_row(row, people, meet, keys) for row in rows]),
    }


# --- Scans ------------------------------------------------------------------------------------

# Why a scan was refused: stored as the key, worded in the language of each answer.
REASONS = {
    "unknown": gettext_lazy("No such RSVP at this meet."),
    "waitlisted": gettext_lazy("This RSVP is on the waiting list, not going."),
    "cancelled": gettext_lazy("This RSVP is cancelled, not going."),
    "full": gettext_lazy("Full: no places left."),
    "lapsed": gettext_lazy("Lapsed membership."),
    "no_right": gettext_lazy("Their membership does not allow RSVPs."),
    "members_only": gettext_lazy("This meet is for active club members only."),
    "no_member": gettext_lazy("No member has that membership number."),
    "card": gettext_lazy("That membership card is not valid."),
    # One answer whether no car matches or another member's does: a device learns nothing
    # of other members' cars (a full VIN shown only by its last 7, a car not yet public).
    "not_theirs": gettext_lazy("None of their cars on the register matches that."),
    "ambiguous": gettext_lazy("More than one of their cars matches: give the plaque or VIN."),
    "car_taken": gettext_lazy("This car already has an RSVP for this meet."),
    "not_open": gettext_lazy("This meet is not open for check-in."),
    "closed": gettext_lazy(
        "Scanned outside this meet's check-in days (the day before it to the day after it)."
    ),
}


def _local_time(value: datetime.datetime, meet: Meet) -> str:
    return f"{timezone.localtime(value, meet.tz):%H:%M}"


def clamp_scanned_at(scanned_at: datetime.datetime, meet: Meet) -> datetime.datetime:
    """A device's clock is trusted up to now. A scan dated before the meet's check-in days
    keeps its date, and is refused ("closed"): raised into the days, a code tried out at
    home a week before would check the car in.
    """
    if timezone.is_naive(scanned_at):
        scanned_at = timezone.make_aware(scanned_at, datetime.UTC)
    return min(scanned_at, timezone.now())


def _answer(scan: GateScan, meet: Meet) -> dict:
    """A scan's result for the device; for a resent scan the same as the first time."""
    rsvp = scan.rsvp
    answer = {
        "client_id": str(scan.client_id),
        "rsvp": rsvp.pk if rsvp else None,
        "result": scan.result,
        "checked_in_at": None,
        "checked_in_by": None,
        "message": "",
        "not_kept": [],
    }
    if scan.result == GateScan.Result.REFUSED:
        answer["message"] = str(REASONS.get(scan.reason, scan.reason))
        return answer
    answer["checked_in_at"] = _iso(rsvp.checked_in_at)
    answer["checked_in_by"] = checked_in_by(rsvp)
    time = _local_time(rsvp.checked_in_at, meet)
    if scan.result == GateScan.Result.CHECKED_IN and rsvp.checked_in_device_id == scan.device_id:
        answer["message"] = _("Checked in at %(time)s.") % {"time": time}
    else:
        answer["message"] = _("Already checked in at %(time)s by %(by)s.") % {
            "time": time,
            "by": answer["checked_in_by"],
        }
    return answer


def _unsaved_refusal(client_id, message: str, rsvp_id=None) -> dict:
    """A refusal that is not kept: the device may correct the scan and send it again."""
    return {
        "client_id": str(client_id),
        "rsvp": rsvp_id,
        "result": GateScan.Result.REFUSED,
        "checked_in_at": None,
        "checked_in_by": None,
        "message": message,
        "not_kept": [],
    }


# --- Answers to the check-in questions ---------------------------------------------------------


def _blank(value) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def gate_answers(meet: Meet, data, questions: list[Question]) -> tuple[dict, dict[str, list[str]]]:
    """A device's answers to `meet`'s check-in `questions`: (kept, not kept).

    Each answer is checked as the web check-in page checks it (validate_answers); one that
    fails is dropped with its messages, the others are kept. A question left unanswered is
    no error here: a scan is never refused for a question (docs/checkin.md). Keys of other
    questions (those asked at RSVP among them) are ignored.
    """
    if not isinstance(data, dict) or not data:
        return {}, {}
    given = {str(key): value for key, value in data.items()}
    asked = [q for q in questions if not _blank(given.get(q.key))]
    if not asked:
        return {}, {}
    kept, errors = validate_answers(meet, Question.Stage.CHECKIN, given, questions=asked)
    if errors:
        # Each field is checked alone, so what is left passes.
        good = [q for q in asked if q.key not in errors]
        kept, _errors = validate_answers(meet, Question.Stage.CHECKIN, given, questions=good)
    return kept, errors


def _with_not_kept(answer: dict, not_kept: dict[str, list[str]], questions) -> dict:
    """The scan's answer, saying which of its answers were dropped, when it checked in."""
    if not not_kept or answer["result"] == GateScan.Result.REFUSED:
        return answer
    labels = {q.key: q.label for q in questions}
    which = "; ".join(
        f"“{labels[key]}”: {' '.join(str(m) for m in messages)}"
        for key, messages in not_kept.items()
    )
    note = _("Not kept: %(answers)s") % {"answers": which}
    return {
        **answer,
        "message": f"{answer['message']} {note}".strip(),
        "not_kept": list(not_kept),
    }


def _stored(device: GateDevice, client_id) -> GateScan | None:
    return (
        GateScan.objects.filter(device=device, client_id=client_id)
        .select_related("rsvp__checked_in_device", "rsvp__checked_in_by")
        .first()
    )


class _Resent(Exception):
    """The same scan arrived twice at once: the first one's answer stands."""


def _code_of(value: str) -> str:
    """An RSVP's check-in code, from the code or the URL its QR code holds."""
    value = value.strip()
    if "/" in value:
        value = unquote(urlsplit(value).path.rstrip("/").rsplit("/", 1)[-1])
    return value[:32]


def _find_rsvp(meet: Meet, rsvp_id: int | None, code: str | None) -> RSVP | None:
    rsvps = RSVP.objects.filter(meet=meet)
    if rsvp_id is not None:
        if not 0 < rsvp_id <= MAX_ID:
            return None
        return rsvps.filter(pk=rsvp_id).first()
    if code:
        return rsvps.filter(checkin_code=_code_of(code)).first()
    return None


def _check_in_locked(
    *,
    device: GateDevice,
    rsvp: RSVP,
    at: datetime.datetime,
    odometer_km: int | None,
    answers: dict | None = None,
) -> tuple[str, str]:
    """Check `rsvp` in under its row lock: (result, reason). Caller holds the transaction."""
    status = RSVP.objects.select_for_update().values_list("status", flat=True).get(pk=rsvp.pk)
    if status != RSVP.Status.GOING:
        return GateScan.Result.REFUSED, (
            "waitlisted" if status == RSVP.Status.WAITLISTED else "cancelled"
        )
    try:
        _rsvp, new = services.rsvp_check_in(
            rsvp=rsvp,
            by=device.created_by,
            at=at,
            odometer_km=odometer_km,
            device=device,
            # Taken when already checked in too: a later device may add an answer.
            answers=answers or None,
            require_answers=False,  # a scan is a fact, never refused for a missing answer
        )
    except services.CheckInClosed:
        # By the scan's own time: one made at the gate and synced later still counts.
        return GateScan.Result.REFUSED, "closed"
    return (GateScan.Result.CHECKED_IN if new else GateScan.Result.ALREADY), ""


def checkin_apply(
    *,
    device: GateDevice,
    client_id: uuid.UUID,
    scanned_at: datetime.datetime,
    rsvp_id: int | None = None,
    code: str | None = None,
    odometer_km: int | None = None,
    answers: dict | None = None,
    questions: list[Question] | None = None,
) -> dict:
    """One scan from a device, by the offline rule (docs/checkin.md). Idempotent per
    (device, client_id): a scan sent again is answered as the first time, changing nothing.

    `answers` to the meet's check-in questions (`questions`, fetched when not given) are
    kept with the check-in, also when the RSVP was checked in already; one that is not
    valid is dropped, and the answer says so, but the scan counts all the same."""
    meet = device.meet
    if questions is None:
        questions = checkin_questions(meet) if answers else []
    kept, not_kept = gate_answers(meet, answers, questions)
    stored = _stored(device, client_id)
    if stored is not None:
        return _with_not_kept(_answer(stored, meet), not_kept, questions)
    error = services.odometer_error(odometer_km)
    if error:
        return _unsaved_refusal(client_id, error, rsvp_id)
    at = clamp_scanned_at(scanned_at, meet)
    rsvp = _find_rsvp(meet, rsvp_id, code)
    try:
        with transaction.atomic():
            result, reason = GateScan.Result.REFUSED, "unknown"
            if rsvp is not None:
                # The RSVP's lock first: a scan sent twice at once waits here, then finds
                # the first one's row and answers as it did.
                RSVP.objects.select_for_update().filter(pk=rsvp.pk).first()
                if GateScan.objects.filter(device=device, client_id=client_id).exists():
                    raise _Resent
                result, reason = _check_in_locked(
                    device=device, rsvp=rsvp, at=at, odometer_km=odometer_km, answers=kept
                )
            GateScan.objects.create(
                device=device,
                client_id=client_id,
                rsvp=rsvp,
                scanned_at=at,
                result=result,
                reason=reason,
                odometer_km=odometer_km,
            )
    except (IntegrityError, _Resent):
        pass
    return _with_not_kept(_answer(_stored(device, client_id), meet), not_kept, questions)


def checkins_apply(*, device: GateDevice, checkins: list[dict]) -> list[dict]:
    # The meet's check-in questions once for the batch, when any scan carries answers.
    questions = checkin_questions(device.meet) if any(i.get("answers") for i in checkins) else []
    return [checkin_apply(device=device, questions=questions, **item) for item in checkins]


# --- Walk-ins ---------------------------------------------------------------------------------


def card_token_of(value: str) -> str:
    """A card's token, from the token or the URL its QR code holds (card_check_url)."""
    value = value.strip()
    if "/" in value:
        value = unquote(urlsplit(value).path.rstrip("/").rsplit("/", 1)[-1])
    return value[:200]


def _member_for_walk_in(membership_number: int | None, card: str | None) -> tuple[User | None, str]:
    members = User.objects.filter(is_active=True).select_related("seat__membership__level")
    if card:
        read = read_token(card_token_of(card))
        if read is None:
            return None, "card"
        number, version = read
        member = members.filter(membership_number=number).first()
        if member is None or card_version(member, getattr(member, "seat", None)) != version:
            return None, "card"
        return member, ""
    if membership_number is None or not 0 < membership_number <= 2**31 - 1:
        return None, "no_member"
    member = members.filter(membership_number=membership_number).first()
    return member, "" if member else "no_member"


def _car_for_walk_in(member: User, query: str) -> tuple[Car | None, str]:
    """The member's own car that `query` names. Only their cars are searched: whether
    another member's car matches is never told (see REASONS)."""
    if not without_plaque_prefix(query):
        return None, "not_theirs"
    cars = Car.objects.filter(
        pk__in=Ownership.objects.filter(member=member, ended_on__isnull=True).values("car")
    )
    theirs = list(search_cars(cars, query)[:2])
    if len(theirs) == 1:
        return theirs[0], ""
    if theirs:
        return None, "ambiguous"
    return None, "not_theirs"


def _walk_in_refusal(member: User, meet: Meet) -> str:
    if rights.refusal(member, rights.RSVP):
        return "lapsed" if member.membership_status == User.Status.LAPSED else "no_right"
    if meet.members_only and not member.is_active_member:
        return "members_only"
    return ""


def walk_in_apply(
    *,
    device: GateDevice,
    client_id: uuid.UUID,
    scanned_at: datetime.datetime,
    car: str,
    membership_number: int | None = None,
    card: str | None = None,
    odometer_km: int | None = None,
    answers: dict | None = None,
) -> dict:
    """A member who did not RSVP arrives with their car: an RSVP, going and checked in,
    while the meet has places left. One who has a going RSVP is simply checked in.
    `answers` as for checkin_apply."""
    meet = device.meet
    questions = checkin_questions(meet) if answers else []
    kept, not_kept = gate_answers(meet, answers, questions)
    stored = _stored(device, client_id)
    if stored is not None:
        return _with_not_kept(_answer(stored, meet), not_kept, questions)
    error = services.odometer_error(odometer_km)
    if error:
        return _unsaved_refusal(client_id, error)
    at = clamp_scanned_at(scanned_at, meet)
    member, reason = _member_for_walk_in(membership_number, card)
    the_car = None
    if member is not None:
        reason = _walk_in_refusal(member, meet)
    if member is not None and not reason:
        the_car, reason = _car_for_walk_in(member, car)
    rsvp, result = None, GateScan.Result.REFUSED
    try:
        with services._meet_transaction():
            locked = services._lock_meet(meet.pk)
            if GateScan.objects.filter(device=device, client_id=client_id).exists():
                raise _Resent
            if not reason and locked.status != Meet.Status.PUBLISHED:
                reason = "not_open"
            if not reason:
                rsvp, result, reason = _walk_in_locked(
                    device=device,
                    meet=locked,
                    member=member,
                    car=the_car,
                    at=at,
                    km=odometer_km,
                    answers=kept,
                )
            GateScan.objects.create(
                device=device,
                client_id=client_id,
                rsvp=rsvp,
                walk_in=True,
                scanned_at=at,
                result=result,
                reason=reason,
                odometer_km=odometer_km,
            )
    except services.RSVPError as exc:  # the meet's lock was busy: nothing kept, send again
        return _unsaved_refusal(client_id, str(exc))
    except (IntegrityError, _Resent):
        pass
    return _with_not_kept(_answer(_stored(device, client_id), meet), not_kept, questions)


def _walk_in_locked(*, device, meet, member, car, at, km, answers) -> tuple[RSVP | None, str, str]:
    """The walk-in's decision under the meet's lock: (rsvp, result, reason)."""
    theirs = RSVP.objects.filter(meet=meet, member=member).live().first()
    if theirs is not None:
        if theirs.status != RSVP.Status.GOING:
            return theirs, GateScan.Result.REFUSED, "waitlisted"
        result, reason = _check_in_locked(
            device=device, rsvp=theirs, at=at, odometer_km=km, answers=answers
        )
        return theirs, result, reason
    # Counted as an RSVP counts them; a place held by an open waiting-list offer is taken.
    counts = services.rsvp_counts(meet.pk, member.pk, car.pk)
    if counts["this_car"]:
        return None, GateScan.Result.REFUSED, "car_taken"
    if not meet.checkin_open_at(at):
        return None, GateScan.Result.REFUSED, "closed"
    if counts["going"] + counts["held"] >= meet.capacity:
        return None, GateScan.Result.REFUSED, "full"
    rsvp = RSVP.objects.create(meet=meet, member=member, car=car, status=RSVP.Status.GOING)
    counts_refresh(meet.pk)
    services.rsvp_check_in(
        rsvp=rsvp,
        by=device.created_by,
        at=at,
        odometer_km=km,
        device=device,
        answers=answers or None,
        require_answers=False,
    )
    return rsvp, GateScan.Result.CHECKED_IN, ""


# --- The demo ---------------------------------------------------------------------------------


def seed_gate(*, organiser: User) -> str:
    """The demo's check-in device "Gate A" on the upcoming Nürburgring weekend, once.

    Its token is random and shown nowhere: to try the app, create another device on the
    meet's devices page (/meets/nurburgring-2027/gate/devices/).
    """
    meet = Meet.objects.filter(slug="nurburgring-2027").first()
    if meet is None or GateDevice.objects.filter(meet=meet).exists():
        return ""
    device_create(meet=meet, name="Gate A", by=organiser)
    return "a check-in device"
