"""Meets' writes: RSVPs under a lock, the waiting list, check-in, messages."""

import datetime
import functools
from contextlib import contextmanager, suppress
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from accounts.models import User
from config.lib.email import send_templated
from config.lib.tasks import enqueue_with_transaction
from meets import questions
from meets.cache import meets_cache
from meets.counts import counts_refresh
from meets.ics import calendar_for
from meets.models import RSVP, Meet, Message
from meets.offer_models import Offer, held_places
from meets.qr import checkin_url, qr_png
from membership import rights
from register.lastseen import note_evidence
from register.models import Car, Ownership


class RSVPError(Exception):
    """An RSVP rule was broken; the message is for the member."""


class CheckInClosed(RSVPError):
    """A check-in made on a day that is none of the meet's check-in days."""


def checkin_closed_message(meet: Meet) -> str:
    """Why a car cannot be checked in today: the days it can."""
    first, last = meet.checkin_days()
    return _(
        "Check-in for this meet is open from %(first)s to %(last)s (the day before it to "
        "the day after it)."
    ) % {"first": date_format(first, "DATE_FORMAT"), "last": date_format(last, "DATE_FORMAT")}


class AlreadyRSVPd(RSVPError):
    """The member already has a live RSVP for the meet."""


@contextmanager
def _meet_transaction():
    """The transaction of every write that takes a meet's lock (_lock_meet): a lock
    waited on too long is a polite no.

    PostgreSQL gives up on a row lock after LOCK_TIMEOUT, SQLite on its write lock after
    the `timeout` option: the member is asked to try again, and nothing of the attempt
    is kept.
    """
    try:
        with transaction.atomic():
            yield
    except OperationalError as exc:
        if not _is_lock_wait(exc):
            raise
        raise RSVPError(
            _("Many members are answering at once. Please try again in a moment.")
        ) from exc


def _is_lock_wait(exc: OperationalError) -> bool:
    # lock_not_available (55P03) on PostgreSQL; "database is locked" on SQLite.
    return getattr(exc.__cause__, "sqlstate", None) == "55P03" or "database is locked" in str(exc)


# How long an RSVP waits for a meet's lock on PostgreSQL before it asks the member to try
# again (SQLite waits for the `timeout` option of the settings instead).
LOCK_TIMEOUT = "10s"


def _lock_meet(meet_id: int, **annotations) -> Meet:
    """Take the meet's row lock: every capacity decision happens under it.

    On PostgreSQL this is SELECT ... FOR UPDATE, after SET LOCAL lock_timeout: a stuck
    lock becomes a polite "try again" (_meet_transaction), not a hung worker, and the
    limit ends with the transaction, so nothing else (a migration, an import) gets it.
    On SQLite the IMMEDIATE transaction already holds the database's write lock.

    `annotations` ride along in the same query. They are read as the statement starts,
    possibly before the lock is granted, so they must not depend on what another holder
    of the lock may change (the meet's RSVPs): count those after, under the lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    return Meet.objects.select_for_update(of=("self",)).annotate(**annotations).get(pk=meet_id)


def _ics_attachment(meet: Meet):
    return (f"{meet.slug}.ics", calendar_for([meet], name=meet.title), "text/calendar")


def _send_confirmation(rsvp: RSVP) -> None:
    going = rsvp.status == RSVP.Status.GOING
    attachments = [_ics_attachment(rsvp.meet)]
    if going:
        attachments.append(("check-in-code.png", qr_png(rsvp), "image/png"))
    send_templated(
        to=[rsvp.member.email],
        language=rsvp.member.language,
        # Lazy: translated in the member's language by send_templated, not the sender's.
        subject=format_lazy(
            gettext_lazy("You're going: {title}")
            if going
            else gettext_lazy("You're on the waiting list: {title}"),
            title=rsvp.meet.title,
        ),
        template="meets/email/rsvp_confirmed.txt",
        context={
            "rsvp": rsvp,
            "meet": rsvp.meet,
            "going": going,
            "checkin_url": checkin_url(rsvp),
        },
        attachments=attachments,
    )


def can_rsvp(*, meet: Meet, member: User) -> str | None:
    """Why `member` may not RSVP now, or None when they may."""
    if meet.status != Meet.Status.PUBLISHED:
        return _("This meet is not open for RSVPs.")
    state = meet.rsvp_window_state()
    if state == "not_yet":
        return _("RSVPs for this meet have not opened yet.")
    if state == "closed":
        return _("RSVPs for this meet have closed.")
    # An RSVP is a member's right, for every meet: an applicant waits for approval, a
    # lapsed member renews first, and a level may leave it out (membership.rights).
    refusal = rights.refusal(member, rights.RSVP)
    if refusal:
        return refusal
    # Staff may RSVP to an open meet without a membership of their own, not to this one.
    if meet.members_only and not member.is_active_member:
        return _("This meet is for active club members only.")
    return None


def rsvp_create(
    *, meet: Meet, member: User, car: Car, guests: int = 0, answers: dict | None = None
) -> RSVP:
    """RSVP with a car: going while there is room, else on the waiting list, in order."""
    try:
        with _meet_transaction():
            current = Ownership.objects.filter(car=car, member=member, ended_on__isnull=True)
            meet = _lock_meet(meet.pk, car_is_theirs=Exists(current))
            reason = can_rsvp(meet=meet, member=member)
            if reason:
                raise RSVPError(reason)
            if not meet.car_is_theirs:
                raise RSVPError(_("You can only RSVP with a car you own."))
            # One look at the meet's RSVPs, under its lock: this member's, this car's, and
            # the places taken — counted from the RSVPs themselves, never from a counter a
            # bulk delete past the services could have left behind. A place held by an
            # open waiting-list offer (meets/offers.py) is taken.
            counts = rsvp_counts(meet.pk, member.pk, car.pk)
            if counts["mine"]:
                raise AlreadyRSVPd(_("You already have an RSVP for this meet."))
            if counts["this_car"]:
                raise RSVPError(_("This car already has an RSVP for this meet."))
            taken = counts["going"] + counts["held"]
            status = RSVP.Status.GOING if taken < meet.capacity else RSVP.Status.WAITLISTED
            rsvp = RSVP.objects.create(
                meet=meet,
                member=member,
                car=car,
                guests=guests,
                answers=answers or {},
                status=status,
            )
            # The meet's counters (meets/counts.py) from the counts just made, plus this
            # RSVP: exact, and no second look at the RSVPs under the lock.
            going = counts["going"] + (status == RSVP.Status.GOING)
            waiting = counts["waiting"] + (status == RSVP.Status.WAITLISTED)
            Meet.objects.filter(pk=meet.pk).update(
                going_count=going, waiting_count=waiting, held_count=counts["held"]
            )
            # A worker sends it (a task): the member's page does not wait for the e-mail.
            enqueue_with_transaction(rsvp_confirmation_send, rsvp.pk)
    except IntegrityError as exc:
        # A double submit that slipped past the checks: the constraints said no.
        raise AlreadyRSVPd(_("You already have an RSVP for this meet.")) from exc
    return rsvp


@functools.cache
def _rsvp_counts_sql() -> str:
    rsvp, offer = RSVP._meta, Offer._meta
    q = connection.ops.quote_name
    col = {name: q(rsvp.get_field(name).column) for name in ("meet", "member", "car", "status")}
    held_rsvp, held_state = (q(offer.get_field(name).column) for name in ("rsvp", "state"))
    live = f"r.{col['status']} IN (%s, %s)"
    return (
        f"SELECT COUNT(*) FILTER (WHERE {live} AND r.{col['member']} = %s),"  # noqa: S608  # nosec B608
        f" COUNT(*) FILTER (WHERE {live} AND r.{col['car']} = %s),"
        f" COUNT(*) FILTER (WHERE r.{col['status']} = %s),"
        f" COUNT(*) FILTER (WHERE r.{col['status']} = %s),"
        f" (SELECT COUNT(*) FROM {q(offer.db_table)} o"
        f"  JOIN {q(rsvp.db_table)} h ON h.{q(rsvp.pk.column)} = o.{held_rsvp}"
        f"  WHERE h.{col['meet']} = %s AND o.{held_state} = %s)"
        f" FROM {q(rsvp.db_table)} r WHERE r.{col['meet']} = %s"
    )


def rsvp_counts(meet_id: int, member_id: int, car_id: int) -> dict[str, int]:
    """A meet's RSVPs as an RSVP or a gate walk-in needs them, under the meet's lock: this
    member's and this car's live ones, those going and waiting, and the places held by
    open offers.

    The statement is written out once (_rsvp_counts_sql): built from five filtered
    Counts, the ORM compiled it on every RSVP, about a tenth of a POST's time in a burst.
    Same meaning on SQLite and PostgreSQL (COUNT … FILTER), the same rows as RSVP.LIVE and
    held_places().
    """
    going, waiting = RSVP.Status.GOING, RSVP.Status.WAITLISTED
    params = [*RSVP.LIVE, member_id, *RSVP.LIVE, car_id, going, waiting]
    params += [meet_id, Offer.State.OPEN, meet_id]
    with connection.cursor() as cursor:
        cursor.execute(_rsvp_counts_sql(), params)
        mine, this_car, going_n, waiting_n, held = cursor.fetchone()
    return {
        "mine": mine,
        "this_car": this_car,
        "going": going_n,
        "waiting": waiting_n,
        "held": held,
    }


def taken_places(meet: Meet) -> dict[str, int]:
    """Cars going and places held by open waiting-list offers, in one query."""
    return RSVP.objects.filter(meet=meet).aggregate(
        going=Count("pk", filter=Q(status=RSVP.Status.GOING), distinct=True),
        held=held_places(),
    )


def _promote(meet: Meet, *, now=None) -> list[RSVP]:
    """Fill free places from the waiting list, first come first served. Caller holds the lock.

    A meet that offers places (promotion "offer") makes offers instead (meets/offers.py);
    the RSVPs that moved up or got an offer are returned. A place held by an open offer is
    not free, also after the meet switched back to automatic promotion. Every caller
    changed an RSVP or an offer first: the meet's counters are refreshed here, after.
    """
    promoted = _promote_places(meet, now=now)
    counts_refresh(meet.pk)
    return promoted


def _promote_places(meet: Meet, *, now=None) -> list[RSVP]:
    now = now or timezone.now()
    taken = taken_places(meet)
    free = meet.capacity - taken["going"] - taken["held"]
    if free <= 0 or meet.status != Meet.Status.PUBLISHED or now >= meet.starts_at:
        return []
    if meet.promotion == Meet.Promotion.OFFER:
        from meets.offers import offers_make  # offers.py builds on this module

        return offers_make(meet, free=free, now=now)
    holding = Offer.objects.open().filter(rsvp=OuterRef("pk"))
    promoted = list(
        RSVP.objects.filter(meet=meet)
        .waitlisted()
        .exclude(Exists(holding))
        .select_related("member")[:free]
    )
    for rsvp in promoted:
        rsvp.status = RSVP.Status.GOING
        rsvp.promoted_at = now
        rsvp.save(update_fields=["status", "promoted_at"])
        enqueue_with_transaction(rsvp_promotion_send, rsvp.pk)
    return promoted


# E-mails written by a worker (django-tasks; `manage.py db_worker`), not by the request that
# caused them: a burst of RSVPs does not wait for rendering, and an organiser's message to 80
# cars does not hold a web worker. Each is enqueued in the transaction of its change
# (config/lib/tasks.py), takes ids and reads the rows afresh; the mails it writes wait in the
# outbox for delivery (accounts/outbox.py).


@task()
def rsvp_confirmation_send(rsvp_id: int) -> None:
    rsvp = _live_rsvp(rsvp_id)
    if rsvp is not None:
        _send_confirmation(rsvp)


@task()
def rsvp_promotion_send(rsvp_id: int) -> None:
    rsvp = _live_rsvp(rsvp_id)
    if rsvp is not None:
        _send_promotion(rsvp)


def _live_rsvp(rsvp_id: int) -> RSVP | None:
    """The RSVP, unless it was cancelled (or its member's data purged) before the e-mail."""
    return (
        RSVP.objects.live()
        .filter(pk=rsvp_id, member__isnull=False)
        .select_related("meet", "member", "car")
        .first()
    )


def _send_promotion(rsvp: RSVP) -> None:
    send_templated(
        to=[rsvp.member.email],
        language=rsvp.member.language,
        subject=format_lazy(
            gettext_lazy("A place opened up: you're going to {title}"), title=rsvp.meet.title
        ),
        template="meets/email/promoted.txt",
        context={"rsvp": rsvp, "meet": rsvp.meet, "checkin_url": checkin_url(rsvp)},
        attachments=[
            _ics_attachment(rsvp.meet),
            ("check-in-code.png", qr_png(rsvp), "image/png"),
        ],
    )


def waitlist_promote(*, meet: Meet) -> list[RSVP]:
    with _meet_transaction():
        meet = _lock_meet(meet.pk)
        return _promote(meet)


def rsvp_cancel(*, rsvp: RSVP, member: User) -> RSVP:
    """A member cancels their RSVP (or leaves the waiting list) until the meet starts."""
    with _meet_transaction():
        meet = _lock_meet(rsvp.meet_id)
        rsvp = RSVP.objects.select_for_update().get(pk=rsvp.pk)
        if rsvp.member_id != member.pk:
            raise RSVPError(_("This RSVP is not yours."))
        if not rsvp.is_live:
            raise RSVPError(_("This RSVP is already cancelled."))
        if meet.has_started:
            raise RSVPError(_("The meet has started; RSVPs can no longer be cancelled."))
        if rsvp.checked_in_at is not None:
            raise RSVPError(
                _("You're checked in at the meet; the RSVP can no longer be cancelled.")
            )
        rsvp.status = RSVP.Status.CANCELLED
        rsvp.cancelled_at = timezone.now()
        rsvp.save(update_fields=["status", "cancelled_at"])
        # A place offered to this RSVP goes to the next in line.
        _offers_withdraw(rsvp=rsvp)
        _promote(meet)
    return rsvp


def _offers_withdraw(**lookups) -> int:
    """Withdraw the open offers `lookups` find. The caller holds the meet's lock."""
    return (
        Offer.objects.open()
        .filter(**lookups)
        .update(state=Offer.State.WITHDRAWN, decided_at=timezone.now())
    )


def rsvps_release_car(*, car: Car, member: User) -> list[RSVP]:
    """The car changed hands: `member`'s RSVPs with it for meets to come are cancelled.

    Each goes through rsvp_cancel, so the place it frees goes to the next on the waiting
    list (with their e-mail). RSVPs of meets that have started, checked-in ones and those
    of other cars are left as they are. The caller holds the transaction.
    """
    released = []
    rsvps = RSVP.objects.live().filter(
        car=car, member=member, meet__starts_at__gt=timezone.now(), checked_in_at__isnull=True
    )
    for rsvp in rsvps.order_by("meet__starts_at", "id"):
        try:
            released.append(rsvp_cancel(rsvp=rsvp, member=member))
        except RSVPError:
            continue  # it started or was cancelled meanwhile: nothing to release
    return released


def meet_save(*, meet: Meet, organiser: User | None = None, old_capacity: int | None = None):
    """Save an organiser's edits; a raised capacity promotes from the waiting list, and so
    does a change of how places are promoted (a switch to automatic fills the free places
    at once; open offers stay valid until they end)."""
    with _meet_transaction():
        meet.full_clean()
        before = None
        if meet.pk:
            # First the lock, so the save waits for RSVPs under way no longer than they do.
            before = _lock_meet(meet.pk)
        meet.save()
        if before is not None:
            # The form's copy of the meet was read before the lock: its counters may be
            # older than RSVPs committed since. Counted again, under the lock.
            counts_refresh(meet.pk)
        if organiser is not None and not meet.organisers.exists():
            meet.organisers.add(organiser)
        switched = before is not None and before.promotion != meet.promotion
        if switched or (old_capacity is not None and meet.capacity > old_capacity):
            _promote(meet)
    return meet


def meet_publish(*, meet: Meet) -> Meet:
    with _meet_transaction():
        meet = _lock_meet(meet.pk)
        if meet.status != Meet.Status.DRAFT:
            raise RSVPError(_("Only a draft can be published."))
        meet.status = Meet.Status.PUBLISHED
        meet.save(update_fields=["status"])
    return meet


def meet_cancel(*, meet: Meet, reason: str = "") -> Meet:
    """Cancel a meet and tell everyone going or waiting."""
    with _meet_transaction():
        meet = _lock_meet(meet.pk)
        if meet.status == Meet.Status.CANCELLED:
            raise RSVPError(_("This meet is already cancelled."))
        meet.status = Meet.Status.CANCELLED
        meet.save(update_fields=["status"])
        _offers_withdraw(rsvp__meet=meet)
        counts_refresh(meet.pk)
        enqueue_with_transaction(meet_cancellation_send, meet.pk, reason)
    return meet


@task()
def meet_cancellation_send(meet_id: int, reason: str) -> None:
    """Tell everyone going or waiting that the meet is cancelled (a worker sends it)."""
    meet = Meet.objects.get(pk=meet_id)
    recipients = RSVP.objects.filter(meet=meet).live().filter(member__isnull=False)
    for email, language in recipients.values_list("member__email", "member__language"):
        send_templated(
            to=[email],
            language=language,
            subject=format_lazy(gettext_lazy("Cancelled: {title}"), title=meet.title),
            template="meets/email/cancelled.txt",
            context={"meet": meet, "reason": reason},
            attachments=[_ics_attachment(meet)],
        )


# The most an odometer may read at the gate (km); the register's own limit is higher.
ODOMETER_MAX_KM = 2_000_000


def odometer_error(value) -> str | None:
    """Why `value` is no odometer reading in km, or None when it is one (or is absent)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return _("The odometer reading must be a whole number of kilometres.")
    if value < 0 or value > ODOMETER_MAX_KM:
        return _("The odometer reading must be between 0 and %(most)s km.") % {
            "most": number_format(ODOMETER_MAX_KM, force_grouping=True)
        }
    return None


def rsvp_check_in(
    *,
    rsvp: RSVP,
    by: User | None,
    at: datetime.datetime | None = None,
    odometer_km: int | None = None,
    device=None,
    answers: dict | None = None,
    require_answers: bool = True,
) -> tuple[RSVP, bool]:
    """Check a car in at the gate: returns (rsvp, whether this call checked it in).

    A second check-in changes nothing (False), except that an earlier one wins (the
    check-in app's offline rule, docs/checkin.md): a scan made before the stored one, sent
    later by a device that was offline, moves the check-in to its time and device (True).
    The first check-in of a car notes the evidence for "last seen", adds one "Seen at
    <meet>" to its timeline and, given `odometer_km`, a mileage reading dated the meet's
    local day (flagged when it goes back, as the register flags one).

    `answers` to the meet's check-in questions, already validated
    (meets.questions.validate_answers), join the RSVP's. While a required check-in question
    has no answer the car is not checked in (RSVPError names the questions), unless
    `require_answers` is False: the check-in app's scans are facts, never refused for a
    question (docs/checkin.md); the web check-in page asks what is missing.

    A first check-in is taken only on the meet's check-in days (Meet.checkin_days), by
    `at` when a device gives it: outside them CheckInClosed says which days they are.
    """
    from register.models import MileageReading, TimelineEntry
    from register.services import RegisterError, mileage_reading_add
    from register.timeline import system_entry

    error = odometer_error(odometer_km)
    if error:
        raise RSVPError(error)
    scanned_at = at  # a device's scan time; None: now, read under the lock
    with transaction.atomic():
        rsvp = RSVP.objects.select_for_update().get(pk=rsvp.pk)
        # Read after the lock: a clock read before it could be earlier than the check-in
        # the lock waited for, and two helpers at once would both be told "checked in".
        at = scanned_at or timezone.now()
        if rsvp.status != RSVP.Status.GOING:
            if rsvp.status == RSVP.Status.WAITLISTED:
                raise RSVPError(_("This RSVP is on the waiting list, not going."))
            raise RSVPError(_("This RSVP is cancelled, not going."))
        # Only around the meet: a scan on another day is a mistake (the wrong meet's gate,
        # a code tried out at home). A device's scan counts by when it was made, so one
        # made at the gate and synced days later still checks in.
        meet = Meet.objects.only("time_zone", "title", "starts_at", "ends_at").get(pk=rsvp.meet_id)
        if rsvp.checked_in_at is not None:
            if answers:
                rsvp.answers = {**(rsvp.answers or {}), **answers}
                rsvp.save(update_fields=["answers"])
            if scanned_at is None or at >= rsvp.checked_in_at or not meet.checkin_open_at(at):
                return rsvp, False
            # An earlier scan synced late: the earliest wins, nothing else is added.
            rsvp.checked_in_at = at
            rsvp.checked_in_by = by
            rsvp.checked_in_device = device
            rsvp.save(update_fields=["checked_in_at", "checked_in_by", "checked_in_device"])
            return rsvp, True
        if not meet.checkin_open_at(at):
            raise CheckInClosed(checkin_closed_message(meet))
        rsvp.answers = {**(rsvp.answers or {}), **(answers or {})}
        missing = questions.missing_required(
            questions.checkin_questions(rsvp.meet_id), rsvp.answers
        )
        if missing and require_answers:
            raise RSVPError(
                _("Answer the check-in questions first: %(questions)s.")
                % {"questions": ", ".join(f"“{q.label}”" for q in missing)}
            )
        rsvp.checked_in_at = at
        rsvp.checked_in_by = by
        rsvp.checked_in_device = device
        rsvp.save(update_fields=["checked_in_at", "checked_in_by", "checked_in_device", "answers"])
        # The car was seen at the gate: on the meet's own calendar day.
        seen_on = timezone.localtime(rsvp.checked_in_at, meet.tz).date()
        note_evidence(rsvp.car_id, seen_on, Car.Evidence.CHECK_IN)
        car = Car(pk=rsvp.car_id)
        system_entry(
            car, "seen_at_meet", seen_on, kind=TimelineEntry.Kind.MEET, meet=meet.title
        ).save()
        if odometer_km is not None:
            # Kept when it goes back, flagged, as the register keeps such a reading.
            probe = MileageReading(car_id=rsvp.car_id, read_on=seen_on, kilometres=odometer_km)
            # A car with as many readings as it may have gets none: the check-in counts.
            with suppress(RegisterError):
                mileage_reading_add(
                    car=car,
                    member=by,
                    read_on=seen_on,
                    kilometres=odometer_km,
                    flagged=probe.goes_back_from() is not None,
                )
    return rsvp, True


def _message_recipients(meet: Meet, audience: str) -> list[tuple[str, str]]:
    rsvps = RSVP.objects.filter(meet=meet, member__isnull=False)
    if audience == Message.Audience.GOING:
        rsvps = rsvps.going()
    elif audience == Message.Audience.WAITLISTED:
        rsvps = rsvps.waitlisted()
    else:
        rsvps = rsvps.filter(checked_in_at__isnull=False)
    return sorted(set(rsvps.values_list("member__email", "member__language")))


# The most an organiser can grow a meet's lists by (README "Limits"): messages e-mailed to
# its attendees in any 24 hours, and check-in helpers.
MESSAGES_PER_MEET_PER_DAY = 10
HELPERS_PER_MEET = 50


def message_send(*, meet: Meet, audience: str, subject: str, body: str, by: User) -> Message:
    """Send organisers' message to a meet's audience, up to MESSAGES_PER_MEET_PER_DAY."""
    recipients = _message_recipients(meet, audience)
    with _meet_transaction():
        meet = _lock_meet(meet.pk)
        since = timezone.now() - datetime.timedelta(days=1)
        if Message.objects.filter(meet=meet, sent_at__gt=since).count() >= (
            MESSAGES_PER_MEET_PER_DAY
        ):
            raise RSVPError(
                _(
                    "This meet's attendees have had %(count)s messages in the last 24 hours, "
                    "the most they can be sent. Please wait before sending another."
                )
                % {"count": MESSAGES_PER_MEET_PER_DAY}
            )
        message = Message.objects.create(
            meet=meet,
            audience=audience,
            subject=subject,
            body=body,
            sent_by=by,
            recipients=len(recipients),
        )

        enqueue_with_transaction(message_deliver, message.pk)
    return message


@task()
def message_deliver(message_id: int) -> None:
    """E-mail an organiser's message to its audience (a worker sends it)."""
    message = Message.objects.select_related("meet").get(pk=message_id)
    meet = message.meet
    for email, language in _message_recipients(meet, message.audience):
        send_templated(
            to=[email],
            language=language,
            subject=f"[{meet.title}] {message.subject}",
            template="meets/email/message.txt",
            context={"meet": meet, "body": message.body},
        )


def reminders_send(*, now=None) -> int:
    """E-mail everyone going to a meet that starts within the next day, once."""
    now = now or timezone.now()
    due = (
        RSVP.objects.going()
        .filter(
            reminder_sent_at__isnull=True,
            meet__status=Meet.Status.PUBLISHED,
            meet__starts_at__gt=now,
            meet__starts_at__lte=now + datetime.timedelta(days=1),
        )
        .select_related("meet", "member", "car", "car__model_line")
    )
    sent = 0
    for rsvp in due:
        with transaction.atomic():
            # Claim the reminder first: a second run (or a parallel one) finds it taken.
            claimed = RSVP.objects.filter(pk=rsvp.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if not claimed:
                continue
            # Queued with the claim: both are saved, or neither (accounts/outbox.py).
            send_templated(
                to=[rsvp.member.email],
                language=rsvp.member.language,
                subject=format_lazy(gettext_lazy("Tomorrow: {title}"), title=rsvp.meet.title),
                template="meets/email/reminder.txt",
                context={"rsvp": rsvp, "meet": rsvp.meet, "checkin_url": checkin_url(rsvp)},
                attachments=[("check-in-code.png", qr_png(rsvp), "image/png")],
            )
        sent += 1
    return sent


def member_meets_data(*, member: User) -> dict[str, Any]:
    rsvps = list(RSVP.objects.filter(member=member).select_related("meet", "car"))
    asked: dict[int, list] = {}
    for q in questions.Question.objects.filter(meet__in={r.meet_id for r in rsvps}):
        asked.setdefault(q.meet_id, []).append(q)
    return {
        "rsvps": [
            {
                "meet": r.meet.title,
                "starts_at": r.meet.starts_at,
                "car_vin": r.car.vin,
                "guests": r.guests,
                # Each answer under its question, as the member was asked it.
                "answers": {
                    q.label: r.answers[q.key]
                    for q in asked.get(r.meet_id, [])
                    if q.key in (r.answers or {})
                },
                "status": r.status,
                "checked_in_at": r.checked_in_at,
            }
            for r in rsvps
        ]
    }


def member_meets_anonymise(*, member: User) -> None:
    """Cancel the member's future RSVPs and forget their answers; attendance counts stay."""
    now = timezone.now()
    upcoming = RSVP.objects.filter(member=member).live().filter(meet__starts_at__gt=now)
    for rsvp in upcoming.filter(checked_in_at__isnull=True):
        rsvp_cancel(rsvp=rsvp, member=member)
    RSVP.objects.filter(member=member).update(answers={})
    RSVP.history.filter(member_id=member.pk).update(answers={})
    Meet.organisers.through.objects.filter(user=member).delete()
    Meet.checkin_helpers.through.objects.filter(user=member).delete()
    _gate_devices_revoke(created_by=member)


def _gate_devices_revoke(**lookups) -> int:
    """Revoke the check-in app's devices `lookups` find: whoever made a device vouched
    for it, so one who may no longer check cars in takes their devices with them."""
    from meets.models_gate import GateDevice

    return GateDevice.objects.active().filter(**lookups).update(revoked_at=timezone.now())


def meet_helper_add(*, meet: Meet, member: User) -> bool:
    """Let `member` check cars in at `meet`. False when they could already."""
    with _meet_transaction():
        meet = _lock_meet(meet.pk)
        if meet.checkin_helpers.filter(pk=member.pk).exists():
            return False
        if meet.checkin_helpers.count() >= HELPERS_PER_MEET:
            raise RSVPError(
                _("This meet has %(count)s check-in helpers, the most it can have.")
                % {"count": HELPERS_PER_MEET}
            )
        meet.checkin_helpers.add(member)
    return True


def meet_helper_remove(*, meet: Meet, member: User) -> None:
    """`member` no longer checks cars in at `meet`: the devices they made there stop too
    (an organiser's stay: they may still run the meet)."""
    with transaction.atomic():
        meet.checkin_helpers.remove(member)
        if not member.is_staff and not meet.organisers.filter(pk=member.pk).exists():
            _gate_devices_revoke(meet=meet, created_by=member)


def rsvps_purge_personal_data(*, older_than_days: int, now=None) -> int:
    """Forget who came to meets that ended more than `older_than_days` ago.

    Each RSVP keeps its meet, car, status and check-in time, so attendance counts,
    colour mixes and each car's list of meets stay true; the member, their answers
    and who checked them in are removed. Returns how many RSVPs were purged.
    """
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(days=older_than_days)
    old = RSVP.objects.filter(meet__ends_at__lt=cutoff).filter(
        Q(member__isnull=False) | Q(checked_in_by__isnull=False)
    )
    with transaction.atomic():
        purged = old.update(member=None, answers={}, checked_in_by=None)
        # ...and from the audit trail of those RSVPs.
        RSVP.history.filter(meet__ends_at__lt=cutoff).update(
            member=None, answers={}, checked_in_by=None
        )
        meets_cache.bump_on_commit()  # update() sends no signals
    return purged


# --- Typed questions (meets/questions.py) ----------------------------------------------------


def questions_save(*, meet: Meet, formset) -> None:
    """Save the organiser's valid question formset under the meet's lock, numbering the
    questions 0, 1, 2… in the order asked; more than QUESTIONS_MAX in all is refused (two
    organisers saving at once cannot pass it together)."""
    with _meet_transaction():
        meet = _lock_meet(meet.pk)
        formset.save()
        asked = list(questions.Question.objects.filter(meet=meet).order_by("position", "id"))
        if len(asked) > questions.QUESTIONS_MAX:
            raise RSVPError(
                _("A meet asks at most %(max)s questions.") % {"max": questions.QUESTIONS_MAX}
            )
        for position, question in enumerate(asked):
            if question.position != position:
                question.position = position
                question.save(update_fields=["position"])
