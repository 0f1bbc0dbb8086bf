"""Cars for sale: the public list and listing pages, the seller's tools, buyers' messages.

Who may open what (register/access.py's rule, for listings):
- a live listing is public; an ended one exists only for its seller and staff (404 else);
- listing a car: the current owner of a verified car (others who may see it: 403);
- ending a listing: its seller (anyone else who may see it: 403);
- an enquiry thread: its buyer, the seller and staff; anyone else 404.
"""

import hashlib
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Min, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import privacy
from membership import rights
from register import sale
from register.access import get_car_for_viewer, is_owner
from register.cache import cached, register_cache
from register.facts import fact_rows, facts_of
from register.models import CarPhoto, Enquiry, EnquiryMessage, Listing
from register.provenance import provenance_for
from register.sale_forms import (
    InviteBuyerForm,
    ListingForm,
    MessageForm,
    SoldOutsideForm,
    SoldToMemberForm,
    WithdrawForm,
)
from register.services import RegisterError
from register.views.public import MEMBER_VIEWER, PUBLIC_VIEWER, _extra_sections

PAGE_SIZE = 24


def listing_list(request):
    """Live listings, newest first: one cached copy per page and language, the same for
    everyone. A listing's change bumps "sale", a card's change "cars"; a listing that ends
    by the clock (no write) makes the copies stale from then on (as on the car page)."""
    number = request.GET.get("page", "")

    def body() -> dict:
        listings = Listing.objects.live()
        soonest = listings.aggregate(soonest=Min("expires_at"))["soonest"]
        shown = (
            listings.select_related("car__model_line", "car__colour")
            .prefetch_related(
                Prefetch(
                    "car__photos",
                    queryset=CarPhoto.objects.filter(is_cover=True),
                    to_attr="cover_photos",
                )
            )
            .order_by("-created_at", "-id")
        )
        page = Paginator(shown, PAGE_SIZE).get_page(number)
        return {
            "html": render_to_string("register/sale/_list_body.html", {"page": page}, request),
            "stale_after": soonest.timestamp() if soonest else None,
        }

    key = "sale:list:" + hashlib.sha256(number.encode()).hexdigest()[:16]
    copy = cached(key, body, scopes=("sale", "cars"))
    if copy["stale_after"] is not None and time.time() >= copy["stale_after"]:
        register_cache.bump("sale")  # once: the next visitor finds the list fresh
        copy = cached(key, body, scopes=("sale", "cars"))
    return render(request, "register/sale/list.html", {"body": copy["html"]})


def _get_listing(request, pk: int) -> Listing:
    """A live listing for anyone; an ended one for its seller and staff only."""
    listing = (
        Listing.objects.select_related("car__model_line", "car__colour", "seller")
        .filter(pk=pk)
        .first()
    )
    if listing is None:
        raise Http404(_("No such listing."))
    user = request.user
    if not listing.is_live and not (user.is_staff or user.pk == listing.seller_id):
        raise Http404(_("No such listing."))
    return listing


def listing_detail(request, pk: int):
    listing = _get_listing(request, pk)
    car = listing.car
    user = request.user
    seller_view = user.is_authenticated and user.pk == listing.seller_id
    holder = is_owner(user, car) and car.is_verified
    if user.is_staff or holder:
        viewer = user
    elif getattr(user, "is_active_member", False):
        viewer = MEMBER_VIEWER
    else:
        viewer = PUBLIC_VIEWER
    ownerships = list(car.ownerships.select_related("member"))
    context = {
        "listing": listing,
        "car": car,
        "provenance": provenance_for(ownerships, viewer, holder=holder),
        "photos": list(car.photos.all()),
        "fact_rows": fact_rows(car, facts_of(car)),
        "mileage": list(car.mileage_readings.order_by("read_on", "id")),
        "extra_sections": _extra_sections(request, car),
        "seller_view": seller_view,
        "seller_name": _seller_name(listing, viewer),
    }
    if seller_view or user.is_staff:
        context["enquiries"] = (
            listing.enquiries.select_related("buyer").annotate(n=Count("messages")).all()
        )
    elif user.is_authenticated and listing.is_live:
        context["my_enquiry"] = listing.enquiries.filter(buyer=user).first()
        context["form"] = MessageForm()
    return render(request, "register/sale/detail.html", context)


def _seller_name(listing: Listing, viewer) -> str:
    """The seller as the viewer may see them (accounts/privacy.py)."""
    return privacy.name_for(listing.seller, viewer)


def _get_car_for_seller(request, pk: int):
    car = get_car_for_viewer(request, pk)
    if not is_owner(request.user, car):
        raise PermissionDenied(_("Only the car's current owner can sell it."))
    if not car.is_verified:
        raise PermissionDenied(_("Only a car the registrar has verified can be listed for sale."))
    return car


@login_required
@require_http_methods(["GET", "POST"])
def listing_add(request, pk: int):
    car = _get_car_for_seller(request, pk)
    live = Listing.objects.live().filter(car=car).first()
    if live is not None:
        messages.info(request, _("This car is already listed for sale."))
        return redirect(live)
    form = ListingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            listing = sale.listing_create(
                car=car,
                seller=request.user,
                price_cents=form.cleaned_data["price"],
                description=form.cleaned_data["description"],
            )
        except RegisterError as exc:
            messages.error(request, str(exc))
            return redirect(car)
        messages.success(request, _("Your car is listed for sale. Buyers write to you here."))
        return redirect(listing)
    return render(
        request,
        "register/sale/form.html",
        {"form": form, "car": car, "listing_days": settings.PADDOCK_LISTING_DAYS},
    )


def _get_listing_for_seller(request, pk: int) -> Listing:
    listing = _get_listing(request, pk)
    if request.user.pk != listing.seller_id:
        raise PermissionDenied(_("Only the seller can end this listing."))
    return listing


ENDINGS = {
    "withdraw": WithdrawForm,
    "member": SoldToMemberForm,
    "invite": InviteBuyerForm,
    "outside": SoldOutsideForm,
}


def _ending_form(how: str, data, seller):
    form_class = ENDINGS[how]
    kwargs = {"prefix": how}
    if form_class in (SoldToMemberForm, InviteBuyerForm):
        kwargs["seller"] = seller
    return form_class(data, **kwargs)


@login_required
@require_http_methods(["GET", "POST"])
def listing_end(request, pk: int):
    listing = _get_listing_for_seller(request, pk)
    how = request.POST.get("how") if request.method == "POST" else None
    forms = {name: _ending_form(name, None, request.user) for name in ENDINGS}
    if how in ENDINGS:
        form = forms[how] = _ending_form(how, request.POST, request.user)
        if form.is_valid():
            try:
                done = _do_end(request, listing, how, form.cleaned_data)
            except (RegisterError, IntegrityError) as exc:
                messages.error(request, _message(exc))
            else:
                messages.success(request, done)
                return redirect("register:garage" if how != "withdraw" else listing.car)
    elif request.method == "POST":
        messages.error(request, _("Please choose how the listing ends."))
    return render(
        request,
        "register/sale/end.html",
        {"listing": listing, "car": listing.car, "forms": forms, "open": how},
    )


def _message(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return _("That was already done — perhaps the form was sent twice.")
    return str(exc)


def _do_end(request, listing: Listing, how: str, data: dict) -> str:
    seller = request.user
    if how == "withdraw":
        sale.listing_withdraw(listing=listing, seller=seller)
        return _("Your listing has been withdrawn.")
    if how == "member":
        sale.listing_sell_to_member(
            listing=listing,
            seller=seller,
            buyer=data["buyer"],
            on=data["transfer_date"],
            note=data["note"],
        )
        return _(
            "Transfer started. The listing ends as sold when the buyer accepts it in their garage."
        )
    if how == "invite":
        sale.listing_invite_buyer(
            listing=listing,
            seller=seller,
            email=data["email"],
            on=data["sold_on"],
            language=request.LANGUAGE_CODE,
        )
        return _(
            "We have invited the buyer to join the club. Once staff approve them, they "
            "take the car over and the listing ends as sold."
        )
    sale.listing_sell_outside(
        listing=listing,
        seller=seller,
        buyer_name=data["buyer_name"],
        on=data["sold_on"],
        country=data["country"] or "",
    )
    return _("Recorded as sold outside the club. Thank you for looking after the car.")


# --- Enquiries -----------------------------------------------------------------------------


@login_required
@require_POST
def enquiry_start(request, pk: int):
    listing = _get_listing(request, pk)
    if request.user.pk == listing.seller_id:
        raise PermissionDenied(_("This is your own listing."))
    if not request.user.is_active:
        raise PermissionDenied()
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please write a message (at most 2,000 characters)."))
        return redirect(listing)
    try:
        message = sale.enquiry_send(
            listing=listing, buyer=request.user, body=form.cleaned_data["body"]
        )
    except RegisterError as exc:
        messages.error(request, str(exc))
        return redirect(listing)
    messages.success(request, _("Your message is on its way to the seller."))
    return redirect(message.enquiry)


def _get_enquiry(request, pk: int) -> Enquiry:
    user = request.user
    parties = Q(buyer=user) | Q(listing__seller=user)
    enquiries = Enquiry.objects.all() if user.is_staff else Enquiry.objects.filter(parties)
    enquiry = (
        enquiries.select_related("listing__car__model_line", "listing__seller", "buyer")
        .filter(pk=pk)
        .first()
    )
    if enquiry is None:
        raise Http404(_("No such conversation."))
    return enquiry


@login_required
@require_http_methods(["GET", "POST"])
def enquiry_detail(request, pk: int):
    enquiry = _get_enquiry(request, pk)
    user = request.user
    party = user.pk in (enquiry.buyer_id, enquiry.listing.seller_id)
    form = MessageForm(request.POST or None)
    if request.method == "POST":
        if not party:
            raise PermissionDenied(_("Only the buyer and the seller write in this conversation."))
        if form.is_valid():
            try:
                sale.enquiry_reply(enquiry=enquiry, author=user, body=form.cleaned_data["body"])
            except RegisterError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Message sent."))
                return redirect(enquiry)
    thread = list(
        EnquiryMessage.objects.filter(enquiry=enquiry)
        .select_related("author")
        .order_by("created_at", "id")
    )
    context = {
        "enquiry": enquiry,
        "listing": enquiry.listing,
        "car": enquiry.listing.car,
        "thread": thread,
        "form": form if party else None,
        "party": party,
    }
    return render(request, "register/sale/enquiry.html", context)


@login_required
def enquiry_list(request):
    user = request.user
    enquiries = (
        Enquiry.objects.filter(Q(buyer=user) | Q(listing__seller=user))
        .select_related("listing__car__model_line", "listing__seller", "buyer")
        .annotate(n=Count("messages"))
        .order_by("-updated_at", "-id")
    )
    page = Paginator(enquiries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "register/sale/enquiries.html", {"page": page})


# --- A buyer invited to join -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def invitation_take(request, token: str):
    invitation = sale.invitation_from_token(token)
    if invitation is None:
        raise Http404(_("This link is not valid."))
    refusal = rights.explain(request.user, rights.CARS)
    if request.method == "POST" and invitation.state == invitation.State.PENDING:
        try:
            sale.invitation_take(invitation=invitation, member=request.user)
        except (RegisterError, IntegrityError) as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("The car's transfer is in your garage: accept it there."))
            return redirect("register:garage")
    return render(
        request,
        "register/sale/invitation.html",
        {"invitation": invitation, "car": invitation.car, "refusal": refusal},
    )
