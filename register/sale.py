"""Cars for sale: the register's writes for listings, enquiries and the three ways to sell.

A listing ends by being withdrawn, by expiring, or by the sale, which is always a change of
hands on the register: to a member (the existing transfer, which they accept), to a buyer
who joins the club first (an e-mailed invitation; once approved they take the transfer
over), or to someone outside the club (the ownership closes, the buyer is kept by name).
Each end is one transaction that locks the listing first, so a form sent twice, or two
people pressing at once, end it once.
"""

import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.privacy import name_for
from config.lib.email import send_templated
from membership import rights
from register import services
from register.models import (
    Car,
    Enquiry,
    EnquiryMessage,
    Listing,
    Ownership,
    TimelineEntry,
    Transfer,
)
from register.models_sale import SaleInvitation
from register.services import RegisterError
from register.timeline import system_entry

# A buyer or seller may send this many messages an hour, over all their enquiries.
MESSAGES_PER_HOUR = 10
MESSAGE_MAX_LENGTH = 2000
DESCRIPTION_MAX_LENGTH = 3000
INVITATION_SALT = "register.sale.invitation"


def _lock_car(car: Car) -> Car:
    return Car.objects.select_for_update().get(pk=car.pk)


def _is_current_owner(car: Car, member: User) -> bool:
    return car.ownerships.current().filter(member=member).exists()


def _expire_stale(car: Car) -> None:
    """An active listing of `car` past its date is expired now (the caller holds the lock)."""
    now = timezone.now()
    for listing in Listing.objects.filter(car=car, state=Listing.State.ACTIVE, expires_at__lte=now):
        _end(listing, Listing.State.EXPIRED)


def _end(listing: Listing, state: str, *, sold_to: str = "") -> Listing:
    listing.state = state
    listing.sold_to = sold_to
    listing.ended_at = timezone.now()
    # save(), not update(): the car's cached pages listen for saved listings.
    listing.save(update_fields=["state", "sold_to", "ended_at"])
    return listing


def listing_create(
    *, car: Car, seller: User, price_cents: int | None = None, description: str = ""
) -> Listing:
    """The current owner of a verified car offers it for sale; one live listing per car."""
    with transaction.atomic():
        car = _lock_car(car)
        if not car.is_verified:
            raise RegisterError(_("Only a car the registrar has verified can be listed for sale."))
        if not _is_current_owner(car, seller):
            raise RegisterError(_("Only the car's current owner can list it for sale."))
        _expire_stale(car)
        if Listing.objects.filter(car=car, state=Listing.State.ACTIVE).exists():
            raise RegisterError(_("This car is already listed for sale."))
        try:
            with transaction.atomic():
                return Listing.objects.create(
                    car=car, seller=seller, price_cents=price_cents, description=description
                )
        except IntegrityError as exc:  # the constraint, should a check ever be bypassed
            raise RegisterError(_("This car is already listed for sale.")) from exc


def _lock_listing(listing: Listing, seller: User) -> Listing:
    """The listing, locked, if it is `seller`'s and still for sale."""
    listing = Listing.objects.select_for_update().select_related("car").get(pk=listing.pk)
    if listing.seller_id != seller.pk:
        raise RegisterError(_("This listing is not yours."))
    if listing.state == Listing.State.ACTIVE and not listing.is_live:
        _end(listing, Listing.State.EXPIRED)
    if listing.state != Listing.State.ACTIVE:
        raise RegisterError(
            _("This listing has already ended (%(state)s).")
            % {"state": listing.get_state_display().lower()}
        )
    if not _is_current_owner(listing.car, seller):
        raise RegisterError(_("You no longer own this car."))
    return listing


def listing_withdraw(*, listing: Listing, seller: User) -> Listing:
    with transaction.atomic():
        listing = _lock_listing(listing, seller)
        _cancel_invitations(listing.car)
        return _end(listing, Listing.State.WITHDRAWN)


def listing_withdraw_by_staff(*, listing: Listing) -> bool:
    """Staff take a listing down (it breaks the club's rules); False if it had ended."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        if listing.state != Listing.State.ACTIVE:
            return False
        _cancel_invitations(listing.car)
        _end(listing, Listing.State.WITHDRAWN)
        return True


def listings_expire(*, now: datetime.datetime | None = None) -> int:
    """End every active listing past its date (cron: manage.py expire_listings)."""
    now = now or timezone.now()
    ended = 0
    for pk in Listing.objects.filter(state=Listing.State.ACTIVE, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            listing = Listing.objects.select_for_update().filter(pk=pk).first()
            if listing and listing.state == Listing.State.ACTIVE and listing.expires_at <= now:
                _end(listing, Listing.State.EXPIRED)
                ended += 1
    return ended


def _pending_transfer(car: Car) -> Transfer | None:
    return Transfer.objects.filter(car=car, state=Transfer.State.PENDING).first()


def _cancel_invitations(car: Car) -> None:
    for invitation in SaleInvitation.objects.select_for_update().filter(
        car=car, state=SaleInvitation.State.PENDING
    ):
        invitation.state = SaleInvitation.State.CANCELLED
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["state", "decided_at"])


def listing_sell_to_member(
    *, listing: Listing, seller: User, buyer: User, on: datetime.date, note: str = ""
) -> Transfer:
    """Sold to a member: the transfer starts, and the listing ends when they accept."""
    with transaction.atomic():
        listing = _lock_listing(listing, seller)
        _cancel_invitations(listing.car)
        return services.transfer_start(
            car=listing.car, from_member=seller, to_member=buyer, on=on, note=note
        )


# An invitation's link works for 30 days; a listing sends at most 3 (each e-mail goes to an
# address the seller typed: no more than a sale needs).
INVITATION_MAX_AGE = 30 * 24 * 60 * 60
INVITATIONS_PER_LISTING = 3


def invitation_token(invitation: SaleInvitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> SaleInvitation | None:
    try:
        pk = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return SaleInvitation.objects.select_related("car__model_line", "seller").filter(pk=pk).first()


def listing_invite_buyer(
    *, listing: Listing, seller: User, email: str, on: datetime.date, language: str = ""
) -> SaleInvitation:
    """Sold to someone not in the club: they are invited to join and take the car over."""
    with transaction.atomic():
        listing = _lock_listing(listing, seller)
        car = listing.car
        if _pending_transfer(car) is not None:
            raise RegisterError(_("This car already has a transfer waiting. Cancel it first."))
        if SaleInvitation.objects.filter(listing=listing).count() >= INVITATIONS_PER_LISTING:
            raise RegisterError(
                _(
                    "This listing has sent %(count)s invitations, the most it may: please ask "
                    "the club's staff for help."
                )
                % {"count": INVITATIONS_PER_LISTING}
            )
        _cancel_invitations(car)
        invitation = SaleInvitation.objects.create(
            listing=listing, car=car, seller=seller, email=email.strip().lower(), sold_on=on
        )
        send_templated(
            to=[invitation.email],
            language=language or None,
            subject=format_lazy(
                gettext_lazy("A car from the {club} is waiting for you"),
                club=settings.PADDOCK_CLUB_NAME,
            ),
            template="register/email/sale_invitation.txt",
            context={
                "invitation": invitation,
                "car": car,
                "seller_name": name_for(seller, None),
                "token": invitation_token(invitation),
            },
        )
    return invitation


def invitation_take(*, invitation: SaleInvitation, member: User) -> Transfer:
    """The invited buyer, now an approved member, takes the car over: the transfer starts
    and waits in their garage for them to accept."""
    with transaction.atomic():
        invitation = SaleInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.state != SaleInvitation.State.PENDING:
            raise RegisterError(_("This invitation has already been used or withdrawn."))
        if member.pk == invitation.seller_id:
            raise RegisterError(_("You cannot transfer a car to yourself."))
        if not EmailAddress.objects.filter(
            user=member, email__iexact=invitation.email, verified=True
        ).exists():
            # The link reached someone else: only the invited address takes the car.
            raise RegisterError(
                _(
                    "This invitation was sent to another e-mail address. Log in with the "
                    "account of that address (or add and confirm it on your profile)."
                )
            )
        refusal = rights.refusal(member, rights.CARS)
        if refusal:
            raise RegisterError(refusal)
        transfer = services.transfer_start(
            car=invitation.car,
            from_member=invitation.seller,
            to_member=member,
            on=invitation.sold_on,
            note=_("Bought through the club's listing"),
        )
        invitation.state = SaleInvitation.State.TAKEN
        invitation.taken_by = member
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["state", "taken_by", "decided_at"])
    return transfer


def listing_sell_outside(
    *,
    listing: Listing,
    seller: User,
    buyer_name: str,
    on: datetime.date,
    country: str = "",
    name_visibility: str = Ownership.Visibility.NOBODY,
) -> Ownership:
    """Sold outside the club: the seller's ownership closes on the day of sale, the buyer's
    opens with their name only, and the timeline says "Sold outside the club"."""
    with transaction.atomic():
        listing = _lock_listing(listing, seller)
        car = listing.car
        if _pending_transfer(car) is not None:
            raise RegisterError(_("This car already has a transfer waiting. Cancel it first."))
        _cancel_invitations(car)
        periods = list(Ownership.objects.select_for_update().filter(car=car))
        current = next(o for o in periods if o.ended_on is None)
        if current.started_on and on < current.started_on:
            raise RegisterError(
                _("You have owned the car since %(date)s: it cannot be sold before that.")
                % {"date": date_format(current.started_on)}
            )
        current.ended_on = on
        current.save(update_fields=["ended_on"])
        clash = Ownership.objects.overlapping(car_id=car.pk, started_on=on, ended_on=None).first()
        if clash is not None:
            from register.models import overlap_message

            raise RegisterError(overlap_message(clash))
        ownership = Ownership.objects.create(
            car=car,
            member=None,
            owner_name=buyer_name.strip(),
            name_visibility=name_visibility,
            country=country,
            started_on=on,
            note="Sold outside the club",
        )
        system_entry(car, "sold_outside", on, kind=TimelineEntry.Kind.SOLD).save()
        _end(listing, Listing.State.SOLD, sold_to=Listing.SoldTo.OUTSIDE)
        services._release_car(car=car, previous_owner=seller)
    return ownership


def listing_end_on_hand_over(*, car: Car, previous_owner: User) -> list[str]:
    """The car changed hands on the register (a transfer accepted, a claim approved): its
    listing, if any, ends as sold. Called through RegisterConfig.car_changed_hands."""
    current = car.ownerships.current().first()
    new_owner_id = current.member_id if current else None
    for listing in Listing.objects.select_for_update().filter(car=car, state=Listing.State.ACTIVE):
        invited = SaleInvitation.objects.filter(
            car=car, state=SaleInvitation.State.TAKEN, taken_by_id=new_owner_id
        ).exists()
        sold_to = Listing.SoldTo.INVITED if invited else Listing.SoldTo.MEMBER
        _end(listing, Listing.State.SOLD, sold_to=sold_to)
    _cancel_invitations(car)
    return []  # nothing the previous owner held is released: their listing simply ends


# --- Enquiries -----------------------------------------------------------------------------


def _refuse_when_chatty(author: User) -> None:
    """At most MESSAGES_PER_HOUR messages an hour: the author's row is locked while counting,
    so two messages sent at once count in turn (SQLite: the write lock does the same)."""
    User.objects.select_for_update().filter(pk=author.pk).first()
    since = timezone.now() - datetime.timedelta(hours=1)
    if EnquiryMessage.objects.filter(author=author, created_at__gte=since).count() >= (
        MESSAGES_PER_HOUR
    ):
        raise RegisterError(
            _("You have sent %(count)s messages in the last hour. Please wait a little.")
            % {"count": MESSAGES_PER_HOUR}
        )


def _notify(message: EnquiryMessage, recipient: User) -> None:
    enquiry = message.enquiry
    send_templated(
        to=[recipient.email],
        language=recipient.language,
        subject=format_lazy(
            gettext_lazy("A message about the {model} for sale"),
            model=enquiry.listing.car.model_line.name,
        ),
        template="register/email/enquiry_message.txt",
        context={
            "recipient": recipient,
            "sender_name": name_for(message.author, recipient),
            "car": enquiry.listing.car,
            "enquiry": enquiry,
            "to_seller": recipient.pk == enquiry.listing.seller_id,
        },
    )


def enquiry_send(*, listing: Listing, buyer: User, body: str) -> EnquiryMessage:
    """A buyer writes to the seller about a live listing; their thread is made once."""
    with transaction.atomic():
        _refuse_when_chatty(buyer)
        listing = Listing.objects.select_related("car__model_line", "seller").get(pk=listing.pk)
        if not listing.is_live:
            raise RegisterError(_("This car is no longer for sale."))
        if listing.seller_id == buyer.pk:
            raise RegisterError(_("This is your own listing."))
        enquiry, _created = Enquiry.objects.get_or_create(listing=listing, buyer=buyer)
        return _add_message(enquiry, buyer, body, recipient=listing.seller)


def enquiry_reply(*, enquiry: Enquiry, author: User, body: str) -> EnquiryMessage:
    """One party answers the other in their thread."""
    with transaction.atomic():
        _refuse_when_chatty(author)
        enquiry = Enquiry.objects.select_related(
            "listing__car__model_line", "listing__seller", "buyer"
        ).get(pk=enquiry.pk)
        if author.pk == enquiry.buyer_id:
            recipient = enquiry.listing.seller
        elif author.pk == enquiry.listing.seller_id:
            recipient = enquiry.buyer
        else:
            raise RegisterError(_("Only the buyer and the seller write in this conversation."))
        return _add_message(enquiry, author, body, recipient=recipient)


def _add_message(enquiry: Enquiry, author: User, body: str, *, recipient: User) -> EnquiryMessage:
    message = EnquiryMessage.objects.create(enquiry=enquiry, author=author, body=body.strip())
    enquiry.updated_at = message.created_at
    enquiry.save(update_fields=["updated_at"])
    _notify(message, recipient)
    return message


# --- Demo ------------------------------------------------------------------------------------


def seed_sale() -> None:
    """The demo club's market: two live listings (one with a price, one on request), a
    buyer's conversation on the first, and a car sold outside the club. Idempotent."""
    from accounts.demo import DEMO_MEMBER_EMAIL, DEMO_ORGANISER_EMAIL

    if Listing.objects.exists():
        return
    member = User.objects.get(email=DEMO_MEMBER_EMAIL)
    organiser = User.objects.get(email=DEMO_ORGANISER_EMAIL)
    busy = set(Transfer.objects.values_list("car", flat=True))
    today = timezone.localdate()

    def owned_by_members(exclude: set) -> list[Ownership]:
        return list(
            Ownership.objects.current()
            .filter(member__isnull=False, car__review_status=Car.Review.VERIFIED)
            .exclude(car__in=exclude)
            .exclude(member__in=[member, organiser])
            .select_related("car", "member")
            .order_by("car__plaque_number")[:200]
        )

    # 1. The organiser sells one of their cars, with a price; the demo member asks.
    blue = (
        Ownership.objects.current()
        .filter(member=organiser, car__review_status=Car.Review.VERIFIED)
        .exclude(car__in=busy)
        .select_related("car")
        .first()
    )
    if blue is not None:
        listing = listing_create(
            car=blue.car,
            seller=organiser,
            price_cents=8_950_000,
            description=(
                "Full service history with the dealer, never tracked, winter tyres "
                "included. Second owner, garaged since new."
            ),
        )
        # Written straight to the database: seeding sends no e-mail.
        enquiry = Enquiry.objects.create(listing=listing, buyer=member)
        for author, body in (
            (member, "Is the service book stamped every year? Could I see it at the spring meet?"),
            (organiser, "Yes, every year since delivery. Bring your questions to the spring meet."),
        ):
            EnquiryMessage.objects.create(enquiry=enquiry, author=author, body=body)
        busy.add(blue.car_id)

    # 2. A car with several earlier owners, price on request.
    candidates = owned_by_members(busy)
    storied = next(
        (o for o in candidates if o.car.ownerships.filter(ended_on__isnull=False).count() >= 2),
        candidates[0] if candidates else None,
    )
    if storied is not None:
        listing_create(
            car=storied.car,
            seller=storied.member,
            description="Second set of wheels and the original radio come with it.",
        )
        busy.add(storied.car_id)

    # 3. A car sold outside the club: listed, then sold to a private buyer in Switzerland.
    sold_on = today - datetime.timedelta(days=20)
    for ownership in owned_by_members(busy):
        if ownership.started_on and ownership.started_on > sold_on:
            continue
        listing = listing_create(car=ownership.car, seller=ownership.member, price_cents=7_200_000)
        listing_sell_outside(
            listing=listing,
            seller=ownership.member,
            buyer_name="Private buyer (demo)",
            country="CH",
            on=sold_on,
        )
        break


# --- A member's data -----------------------------------------------------------------------


def member_sale_data(*, member: User) -> dict:
    """The member's listings and messages, for their data export."""
    return {
        "listings": list(
            Listing.objects.filter(seller=member).values(
                "car__vin", "price_cents", "currency", "description", "state", "created_at"
            )
        ),
        "messages_about_cars_for_sale": list(
            EnquiryMessage.objects.filter(author=member).values(
                "enquiry__listing__car__vin", "body", "created_at"
            )
        ),
    }


def member_sale_anonymise(*, member: User) -> None:
    """A member leaves: their listings end, their invitations lapse, their words go."""
    now = timezone.now()
    Listing.objects.filter(seller=member, state=Listing.State.ACTIVE).update(
        state=Listing.State.WITHDRAWN, ended_at=now
    )
    SaleInvitation.objects.filter(seller=member, state=SaleInvitation.State.PENDING).update(
        state=SaleInvitation.State.CANCELLED, decided_at=now
    )
    EnquiryMessage.objects.filter(author=member).delete()
    Listing.objects.filter(seller=member).update(description="")
