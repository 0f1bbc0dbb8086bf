"""Waiting-list offers: a freed place is offered to the next car, who accepts in time.

A meet's `promotion` says what a freed place does:

- automatic (the default): the next RSVP on the waiting list is going at once
  (services._promote);
- offer: the next RSVP on the waiting list, in queue order, gets an Offer that holds the
  place for `offer_hours` (never past the meet's start). The member is e-mailed and
  accepts (going, with the usual confirmation) or declines; a declined or expired offer
  leaves the waiting list and the place is offered to the next in line; with nobody left,
  the place is free for the next RSVP.

Every decision is taken under the meet's row lock (services._lock_meet). A place is taken
by a car going or held by an open offer: there are never more open offers than places
free, and an RSVP has at most one open offer (a database constraint too).

An offer past its time is expired whatever the worker has done: accepting it is refused
(and ends it), pages show it as expired, and `manage.py expire_offers` (cron, every few
minutes) ends the rest and passes their places on.
"""

import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from accounts.models import User
from config.lib.email import send_templated
from config.lib.tasks import enqueue_with_transaction
from meets.counts import counts_refresh
from meets.models import RSVP, Meet, in_zone
from meets.offer_models import Offer
from meets.services import (
    RSVPError,
    _lock_meet,
    _meet_transaction,
    _promote,
    rsvp_confirmation_send,
)

__all__ = ["Offer", "offer_accept", "offer_decline", "offers_expire", "offers_make"]


def held_places(meet: Meet) -> int:
    """Places held by open offers (counted as taken until they end)."""
    return Offer.objects.open().filter(rsvp__meet=meet).count()


def offers_make(meet: Meet, *, free: int, now: datetime.datetime) -> list[RSVP]:
    """Offer up to `free` places to the next RSVPs on the waiting list without an offer.

    The caller holds the meet's lock and has counted `free` (capacity less going and open
    offers). Returns the RSVPs that got an offer.
    """
    if free <= 0 or meet.status != Meet.Status.PUBLISHED or now >= meet.starts_at:
        return []
    holding = Offer.objects.open().filter(rsvp=OuterRef("pk"))
    nexts = list(
        RSVP.objects.filter(meet=meet, member__isnull=False)
        .waitlisted()
        .exclude(Exists(holding))[:free]
    )
    expires_at = min(now + datetime.timedelta(hours=meet.offer_hours), meet.starts_at)
    for rsvp in nexts:
        offer = Offer.objects.create(rsvp=rsvp, made_at=now, expires_at=expires_at)
        enqueue_with_transaction(offer_send, offer.pk)
    return nexts


def _end(offer: Offer, state: str, now: datetime.datetime) -> None:
    """End an open offer. A declined or expired one takes its RSVP off the waiting list."""
    offer.state = state
    offer.decided_at = now
    offer.save(update_fields=["state", "decided_at"])
    if state in (Offer.State.DECLINED, Offer.State.EXPIRED):
        rsvp = offer.rsvp
        rsvp.status = RSVP.Status.CANCELLED
        rsvp.cancelled_at = now
        rsvp.save(update_fields=["status", "cancelled_at"])


def _locked_offer(offer: Offer, member: User) -> tuple[Meet, Offer]:
    meet = _lock_meet(offer.rsvp.meet_id)
    offer = Offer.objects.select_for_update().select_related("rsvp").get(pk=offer.pk)
    if offer.rsvp.member_id != member.pk:
        raise RSVPError(_("This offer is not yours."))
    return meet, offer


def _ended_message(offer: Offer) -> str:
    if offer.state == Offer.State.ACCEPTED:
        return _("You accepted this offer already: you're going.")
    if offer.state == Offer.State.DECLINED:
        return _("You declined this offer already.")
    if offer.state == Offer.State.WITHDRAWN:
        return _("This offer was withdrawn: the place is no longer held for you.")
    return _expired_message(offer)


def _expired_message(offer: Offer) -> str:
    meet = offer.rsvp.meet
    when = date_format(in_zone(offer.expires_at, meet.tz), _("j F Y, H:i"))
    return _(
        "This offer expired at %(when)s (%(zone)s) and the place went to the next in line. "
        "You have left the waiting list."
    ) % {"when": when, "zone": meet.time_zone}


def offer_accept(*, offer: Offer, member: User, now: datetime.datetime | None = None) -> RSVP:
    """The member takes the place: going, with the usual confirmation and calendar file.

    Refused once the offer has ended or its time has passed, even if the worker has not
    expired it yet: then it is expired here, and its place passed on.
    """
    late = None
    with _meet_transaction():
        meet, offer = _locked_offer(offer, member)
        now = now or timezone.now()
        if offer.state != Offer.State.OPEN:
            raise RSVPError(_ended_message(offer))
        # An offer ends by the meet's start; one made before the meet was moved earlier
        # may run past it, and ends there too.
        if now >= offer.expires_at or now >= meet.starts_at:
            late = (
                _expired_message(offer)
                if now >= offer.expires_at
                else _("The meet has started: the place can no longer be taken.")
            )
            _end(offer, Offer.State.EXPIRED, now)
            _promote(meet, now=now)
        elif RSVP.objects.filter(meet=meet).going().count() >= meet.capacity:
            # The organisers made the meet smaller since: the held place is gone. The
            # member stays on the waiting list, first in line for the next place.
            _end(offer, Offer.State.WITHDRAWN, now)
            counts_refresh(meet.pk)
            late = _ended_message(offer)
        else:
            _end(offer, Offer.State.ACCEPTED, now)
            rsvp = offer.rsvp
            rsvp.status = RSVP.Status.GOING
            rsvp.promoted_at = now
            rsvp.save(update_fields=["status", "promoted_at"])
            counts_refresh(meet.pk)
            enqueue_with_transaction(rsvp_confirmation_send, rsvp.pk)
    if late:  # after the commit: the expiry stays
        raise RSVPError(late)
    return rsvp


def offer_decline(*, offer: Offer, member: User, now: datetime.datetime | None = None) -> RSVP:
    """The member lets the place go: they leave the waiting list, the next car is offered it."""
    with _meet_transaction():
        meet, offer = _locked_offer(offer, member)
        now = now or timezone.now()
        if offer.state != Offer.State.OPEN:
            raise RSVPError(_ended_message(offer))
        # Past its time it has expired (the worker will say so); either way the place moves on.
        _end(offer, Offer.State.DECLINED if now < offer.expires_at else Offer.State.EXPIRED, now)
        _promote(meet, now=now)
    return offer.rsvp


def offers_expire(*, now: datetime.datetime | None = None) -> int:
    """End every offer past its time and offer the places to the next in line.

    Each meet in its own transaction under its lock; safe to run again or in parallel (an
    offer already ended is not found again). Returns how many offers expired.
    """
    now = now or timezone.now()
    meet_ids = sorted(set(Offer.objects.due(now).values_list("rsvp__meet_id", flat=True)))
    expired = 0
    for meet_id in meet_ids:
        try:
            with _meet_transaction():
                meet = _lock_meet(meet_id)
                due = list(
                    Offer.objects.due(now)
                    .filter(rsvp__meet=meet)
                    .select_related("rsvp")
                    .select_for_update(of=("self",))
                )
                for offer in due:
                    _end(offer, Offer.State.EXPIRED, now)
                _promote(meet, now=now)
        except RSVPError:
            continue  # the meet's lock was busy: the next run ends them
        expired += len(due)
    return expired


@task()
def offer_send(offer_id: int) -> None:
    """E-mail the member their offer, in their language (a worker sends it)."""
    offer = (
        Offer.objects.open()
        .filter(pk=offer_id, rsvp__member__isnull=False)
        .select_related("rsvp__meet", "rsvp__member", "rsvp__car__model_line")
        .first()
    )
    if offer is None:
        return  # ended, or its member's data purged, before the e-mail
    rsvp, meet = offer.rsvp, offer.rsvp.meet
    send_templated(
        to=[rsvp.member.email],
        language=rsvp.member.language,
        subject=format_lazy(
            gettext_lazy("A place is free at {title}: will you take it?"), title=meet.title
        ),
        template="meets/email/offer.txt",
        context={
            "rsvp": rsvp,
            "meet": meet,
            "offer": offer,
            "expires": in_zone(offer.expires_at, meet.tz),
        },
    )
