"""Cars for sale: listing rules, the three ways to sell, expiry, enquiries, privacy."""

import datetime
import io
import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from register import sale
from register.models import (
    Enquiry,
    EnquiryMessage,
    Listing,
    Ownership,
    SaleInvitation,
    TimelineEntry,
    Transfer,
)
from register.services import RegisterError, transfer_accept
from tests.factories import MemberFactory, PendingMemberFactory
from tests.register.factories import (
    CarFactory,
    MileageReadingFactory,
    OwnershipFactory,
    PhotoFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def seller(db):
    return MemberFactory(display_name="Sam Seller", email="sam.seller@example.org")


@pytest.fixture
def buyer(db):
    return MemberFactory(display_name="Bea Buyer", email="bea.buyer@example.org")


@pytest.fixture
def car(seller):
    return CarFactory(owner=seller, owner__started_on=D(2020, 5, 1))


@pytest.fixture
def listing(car, seller):
    return sale.listing_create(car=car, seller=seller, price_cents=6_450_000, description="Mint.")


# --- Listing rules ---------------------------------------------------------------------


def test_the_owner_of_a_verified_car_lists_it_with_a_price(client_for, car, seller):
    response = client_for(seller).post(
        reverse("register:sell", args=[car.pk]), {"price": "64500", "description": "Mint."}
    )

    listing = Listing.objects.get()
    assert response.status_code == 302 and response.url == listing.get_absolute_url()
    assert listing.price_cents == 6_450_000 and listing.currency == "EUR"
    assert listing.seller == seller and listing.state == Listing.State.ACTIVE
    assert (listing.expires_at - listing.created_at).days == 60


def test_a_car_not_yet_verified_cannot_be_listed(client_for, seller):
    pending = CarFactory(owner=seller, unverified=True)

    with pytest.raises(RegisterError, match="verified"):
        sale.listing_create(car=pending, seller=seller)
    assert client_for(seller).get(reverse("register:sell", args=[pending.pk])).status_code == 403
    assert not Listing.objects.exists()


def test_only_the_current_owner_lists_a_car(car, buyer, staff, client_for):
    with pytest.raises(RegisterError, match="current owner"):
        sale.listing_create(car=car, seller=buyer)
    assert client_for(buyer).get(reverse("register:sell", args=[car.pk])).status_code == 403
    assert client_for(staff).get(reverse("register:sell", args=[car.pk])).status_code == 403
    assert client_for().get(reverse("register:sell", args=[car.pk])).status_code == 302
    assert not Listing.objects.exists()


def test_a_car_has_one_active_listing(listing, car, seller):
    with pytest.raises(RegisterError, match="already listed"):
        sale.listing_create(car=car, seller=seller)
    assert Listing.objects.count() == 1


def test_a_bad_price_is_refused_with_a_message(client_for, car, seller):
    for price in ("cheap", "-5", "999999999999"):
        response = client_for(seller).post(
            reverse("register:sell", args=[car.pk]), {"price": price}
        )
        assert response.status_code == 200
        assert response.context["form"].errors["price"]
    assert not Listing.objects.exists()


def test_no_price_reads_price_on_request(client_for, car, seller):
    sale.listing_create(car=car, seller=seller)

    page = client_for().get(reverse("register:for_sale")).content.decode()
    assert "Price on request" in page


# --- Public pages ----------------------------------------------------------------------


def test_the_listing_shows_what_a_buyer_wants_to_trust(client, listing, car):
    MileageReadingFactory(car=car, read_on=D(2019, 1, 1), kilometres=40_000)
    MileageReadingFactory(car=car, read_on=D(2021, 1, 1), kilometres=30_000, flagged=True)
    PhotoFactory(car=car, is_cover=True)
    OwnershipFactory(
        car=car,
        member=None,
        owner_name="Erik Earlier",
        country="NL",
        started_on=D(2012, 3, 1),
        ended_on=D(2020, 5, 1),
    )

    page = client.get(listing.get_absolute_url()).content.decode()

    assert f"No. {car.plaque_number}" in page
    assert "64,500 EUR" in page
    assert "Alpine White (300)" in page  # the verified facts
    assert "40,000" in page and "goes backwards" in page  # the mileage trail
    assert "1 earlier owner, 2012–2020, Netherlands" in page
    assert "2 owners on record." in page
    assert "Erik Earlier" not in page
    assert "Sam Seller" not in page  # the seller's name is for members only
    assert "sam.seller@example.org" not in page


def test_members_see_the_seller_s_name_as_privacy_allows(client_for, listing, buyer):
    page = client_for(buyer).get(listing.get_absolute_url()).content.decode()
    assert "Offered by Sam Seller." in page
    assert "sam.seller@example.org" not in page


def test_the_car_page_links_to_its_listing(
    client, listing, car, django_capture_on_commit_callbacks
):
    page = client.get(car.get_absolute_url()).content.decode()
    assert listing.get_absolute_url() in page

    with django_capture_on_commit_callbacks(execute=True):
        sale.listing_withdraw(listing=listing, seller=listing.seller)
    page = client.get(car.get_absolute_url()).content.decode()
    assert listing.get_absolute_url() not in page  # the cached page followed


def test_an_ended_listing_exists_only_for_its_seller_and_staff(
    client_for, listing, seller, buyer, staff
):
    sale.listing_withdraw(listing=listing, seller=seller)

    assert client_for().get(listing.get_absolute_url()).status_code == 404
    assert client_for(buyer).get(listing.get_absolute_url()).status_code == 404
    assert client_for(seller).get(listing.get_absolute_url()).status_code == 200
    assert client_for(staff).get(listing.get_absolute_url()).status_code == 200
    assert (
        listing.get_absolute_url()
        not in client_for().get(reverse("register:for_sale")).content.decode()
    )


def _fill(count: int) -> list:
    listings = []
    for _ in range(count):
        car = CarFactory(owner=MemberFactory())
        PhotoFactory(car=car, is_cover=True)
        seller = car.ownerships.get().member
        listings.append(sale.listing_create(car=car, seller=seller, price_cents=100))
    return listings


@pytest.mark.parametrize("count", [2, 50])
def test_the_list_of_cars_for_sale_takes_a_fixed_number_of_queries(
    client, django_assert_num_queries, count
):
    _fill(count)
    cache.clear()

    # 1. the soonest end of a live listing (the cached copy is stale from then on)
    # 2. COUNT of the live listings (the paginator)
    # 3. the page of listings, with car, model line and colour joined
    # 4. the cover photos of those cars (prefetch)
    with django_assert_num_queries(4):
        response = client.get(reverse("register:for_sale"))

    assert response.status_code == 200
    assert response.content.decode().count("car-card") == min(count, 24)
    # Then the same cards for everyone from the cache, in no query at all.
    with django_assert_num_queries(0):
        again = client.get(reverse("register:for_sale"))
    assert again.content.decode().count("car-card") == min(count, 24)


def test_the_cached_list_of_cars_for_sale_follows_listings_and_the_clock(
    client, django_capture_on_commit_callbacks
):
    listings = _fill(2)
    cache.clear()
    assert client.get(reverse("register:for_sale")).content.decode().count("car-card") == 2

    with django_capture_on_commit_callbacks(execute=True):
        sale.listing_withdraw(listing=listings[0], seller=listings[0].seller)
    assert client.get(reverse("register:for_sale")).content.decode().count("car-card") == 1

    # The other one ends by the clock, with no write: the list follows all the same.
    Listing.objects.filter(pk=listings[1].pk).update(
        expires_at=timezone.now() + datetime.timedelta(seconds=1)
    )
    cache.clear()
    assert client.get(reverse("register:for_sale")).content.decode().count("car-card") == 1
    later = time.time() + 5
    with (
        mock.patch("register.views.sale.time.time", return_value=later),
        mock.patch(
            "django.utils.timezone.now",
            return_value=timezone.now() + datetime.timedelta(seconds=5),
        ),
    ):
        assert "No cars are for sale" in client.get(reverse("register:for_sale")).content.decode()


def test_a_bad_page_number_is_no_error(client):
    _fill(2)
    assert client.get(reverse("register:for_sale") + "?page=x").status_code == 200
    assert client.get(reverse("register:listing", args=[999_999])).status_code == 404


# --- Expiry and withdrawal -------------------------------------------------------------


def test_a_listing_past_its_date_is_expired_before_the_command_runs(client, listing, car, seller):
    Listing.objects.filter(pk=listing.pk).update(
        expires_at=timezone.now() - datetime.timedelta(hours=1)
    )

    assert client.get(listing.get_absolute_url()).status_code == 404
    assert (
        listing.get_absolute_url() not in client.get(reverse("register:for_sale")).content.decode()
    )
    # Listing it again is possible: the stale one expires first.
    again = sale.listing_create(car=car, seller=seller)
    assert again.state == Listing.State.ACTIVE
    assert Listing.objects.get(pk=listing.pk).state == Listing.State.EXPIRED


def test_the_command_expires_listings_past_their_date(listing):
    other = CarFactory(owner=MemberFactory())
    kept = sale.listing_create(car=other, seller=other.ownerships.get().member)
    Listing.objects.filter(pk=listing.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )

    out = io.StringIO()
    call_command("expire_listings", stdout=out)
    call_command("expire_listings", stdout=out)  # twice: harmless
    assert out.getvalue() == "1 listing(s) expired.\n0 listing(s) expired.\n"

    listing.refresh_from_db()
    assert listing.state == Listing.State.EXPIRED and listing.ended_at is not None
    kept.refresh_from_db()
    assert kept.state == Listing.State.ACTIVE


def test_the_seller_withdraws_once_even_when_the_form_is_sent_twice(client_for, listing, seller):
    client = client_for(seller)
    url = reverse("register:listing_end", args=[listing.pk])
    data = {"how": "withdraw", "withdraw-confirm": "on"}

    assert client.post(url, data).status_code == 302
    again = client.post(url, data)  # sent twice: the seller is told, nothing changes
    assert again.status_code == 200
    assert "This listing has already ended (withdrawn)." in again.content.decode()

    listing.refresh_from_db()
    assert listing.state == Listing.State.WITHDRAWN


def test_only_the_seller_ends_a_listing(client_for, listing, buyer, staff):
    url = reverse("register:listing_end", args=[listing.pk])
    assert client_for().get(url).status_code == 302
    assert client_for(buyer).get(url).status_code == 403
    assert client_for(staff).get(url).status_code == 403
    assert (
        client_for(buyer).post(url, {"how": "withdraw", "withdraw-confirm": "on"}).status_code
        == 403
    )
    assert Listing.objects.get().state == Listing.State.ACTIVE


# --- The three ways to sell --------------------------------------------------------------


def test_sold_to_a_member_ends_the_listing_when_the_buyer_accepts(
    client_for, listing, seller, buyer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(seller).post(
            reverse("register:listing_end", args=[listing.pk]),
            {"how": "member", "member-buyer": buyer.email, "member-transfer_date": "2026-01-05"},
        )
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert transfer.to_member == buyer and transfer.state == Transfer.State.PENDING
    listing.refresh_from_db()
    assert listing.state == Listing.State.ACTIVE  # until they accept

    transfer_accept(transfer=transfer, member=buyer)

    listing.refresh_from_db()
    assert listing.state == Listing.State.SOLD and listing.sold_to == Listing.SoldTo.MEMBER
    assert Ownership.objects.current().get(car=listing.car).member == buyer


def test_sold_to_a_non_member_invites_them_and_they_take_the_car_over(
    client_for, listing, seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(seller).post(
            reverse("register:listing_end", args=[listing.pk]),
            {
                "how": "invite",
                "invite-email": "New.Buyer@Example.org",
                "invite-sold_on": "2026-01-05",
            },
        )
    invitation = SaleInvitation.objects.get()
    assert invitation.email == "new.buyer@example.org"
    (message,) = mail.outbox
    assert message.to == ["new.buyer@example.org"]
    assert "sam.seller@example.org" not in message.body
    # The link is signed with the second it was made in: read it from the mail.
    url = re.search(r"/register/sale-invitations/[^/\s]+/", message.body).group(0)
    token = url.split("/")[-2]
    assert sale.invitation_from_token(token) == invitation

    # They sign up: pending, the link says to wait.
    newcomer = PendingMemberFactory(email="new.buyer@example.org", display_name="Nina New")
    url = reverse("register:sale_invitation", args=[token])
    page = client_for(newcomer).get(url).content.decode()
    assert "Take the car over" not in page
    client_for(newcomer).post(url)
    assert not Transfer.objects.exists()

    # Approved, they take it over; the transfer waits in their garage.
    from accounts.services import member_approve

    member_approve(member=newcomer, notify=False)
    newcomer.refresh_from_db()
    client = client_for(newcomer)
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 200  # twice: harmless
    transfer = Transfer.objects.get()
    assert transfer.to_member == newcomer and transfer.transfer_date == D(2026, 1, 5)
    assert "Accept" in client.get(reverse("register:garage")).content.decode()

    transfer_accept(transfer=transfer, member=newcomer)
    listing.refresh_from_db()
    assert listing.state == Listing.State.SOLD and listing.sold_to == Listing.SoldTo.INVITED


def test_a_tampered_invitation_token_is_not_found(client_for, buyer):
    assert (
        client_for(buyer).get(reverse("register:sale_invitation", args=["nope"])).status_code == 404
    )


def test_sold_outside_the_club_closes_the_ownership_and_keeps_the_buyer_by_name(
    client_for, listing, seller, car, buyer
):
    client = client_for(seller)
    data = {
        "how": "outside",
        "outside-buyer_name": "Otto Outsider",
        "outside-country": "NL",
        "outside-name_visibility": "nobody",
        "outside-sold_on": "2026-02-01",
    }
    assert client.post(reverse("register:listing_end", args=[listing.pk]), data).status_code == 302
    assert client.post(reverse("register:listing_end", args=[listing.pk]), data).status_code == 200

    closed = Ownership.objects.get(car=car, member=seller)
    assert closed.ended_on == D(2026, 2, 1)
    new = Ownership.objects.current().get(car=car)
    assert new.member is None and new.owner_name == "Otto Outsider"
    assert new.name_visibility == "nobody" and new.country == "NL"
    entry = TimelineEntry.objects.get(car=car)
    assert entry.display_title == "Sold outside the club"
    listing.refresh_from_db()
    assert listing.state == Listing.State.SOLD and listing.sold_to == Listing.SoldTo.OUTSIDE
    # The buyer's name is for staff only: other members read it nowhere.
    assert "Otto Outsider" not in client_for(buyer).get(car.get_absolute_url()).content.decode()


def test_a_sale_before_the_seller_owned_the_car_is_refused(client_for, listing, seller):
    response = client_for(seller).post(
        reverse("register:listing_end", args=[listing.pk]),
        {
            "how": "outside",
            "outside-buyer_name": "X",
            "outside-name_visibility": "nobody",
            "outside-sold_on": "2019-01-01",
        },
    )
    assert response.status_code == 200
    assert "cannot be sold before that" in response.content.decode()
    assert Listing.objects.get().state == Listing.State.ACTIVE


def test_a_wrong_how_is_answered_with_a_message(client_for, listing, seller):
    url = reverse("register:listing_end", args=[listing.pk])
    assert client_for(seller).post(url, {"how": "steal"}).status_code == 200
    assert client_for(seller).post(url, {"how": "member", "member-buyer": "x"}).status_code == 200


# --- Enquiries ----------------------------------------------------------------------------


def test_a_buyer_writes_and_the_seller_answers_without_addresses(
    client_for, listing, seller, buyer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(buyer).post(
            reverse("register:enquire", args=[listing.pk]), {"body": "Is it still for sale?"}
        )
    enquiry = Enquiry.objects.get()
    assert response.url == enquiry.get_absolute_url()
    (to_seller,) = mail.outbox
    assert to_seller.to == [seller.email]
    assert enquiry.get_absolute_url() in to_seller.body
    assert "Bea Buyer" in to_seller.body
    assert buyer.email not in to_seller.body and buyer.email not in to_seller.subject

    page = client_for(seller).get(enquiry.get_absolute_url()).content.decode()
    assert "Is it still for sale?" in page and buyer.email not in page

    with django_capture_on_commit_callbacks(execute=True):
        client_for(seller).post(enquiry.get_absolute_url(), {"body": "Yes, come and see it."})
    to_buyer = mail.outbox[1]
    assert to_buyer.to == [buyer.email]
    assert seller.email not in to_buyer.body
    page = client_for(buyer).get(enquiry.get_absolute_url()).content.decode()
    assert "Yes, come and see it." in page and seller.email not in page
    assert EnquiryMessage.objects.count() == 2


def test_only_the_two_parties_and_staff_open_a_thread(client_for, listing, buyer, staff, member):
    message = sale.enquiry_send(listing=listing, buyer=buyer, body="Hello")
    url = message.enquiry.get_absolute_url()

    assert client_for().get(url).status_code == 302
    assert client_for(member).get(url).status_code == 404
    assert client_for(member).post(url, {"body": "me too"}).status_code == 404
    assert client_for(staff).get(url).status_code == 200
    assert client_for(staff).post(url, {"body": "staff"}).status_code == 403
    assert client_for(buyer).get(url).status_code == 200
    assert client_for(listing.seller).get(url).status_code == 200
    assert EnquiryMessage.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in_to_write(client, listing):
    response = client.post(reverse("register:enquire", args=[listing.pk]), {"body": "Hi"})
    assert response.status_code == 302 and "login" in response.url
    assert (
        "Log in</a> to write to the seller"
        in client.get(listing.get_absolute_url()).content.decode()
    )


def test_the_seller_cannot_enquire_about_their_own_listing(client_for, listing, seller):
    response = client_for(seller).post(
        reverse("register:enquire", args=[listing.pk]), {"body": "Hi"}
    )
    assert response.status_code == 403
    assert not Enquiry.objects.exists()


def test_messages_are_limited_to_ten_an_hour(client_for, listing, buyer):
    client = client_for(buyer)
    url = reverse("register:enquire", args=[listing.pk])
    for n in range(sale.MESSAGES_PER_HOUR):
        client.post(url, {"body": f"Message {n}"})
    response = client.post(url, {"body": "One too many"}, follow=True)

    assert "messages in the last hour" in response.content.decode()
    assert EnquiryMessage.objects.count() == sale.MESSAGES_PER_HOUR


def test_an_empty_or_huge_message_is_refused(client_for, listing, buyer):
    url = reverse("register:enquire", args=[listing.pk])
    client_for(buyer).post(url, {"body": ""})
    client_for(buyer).post(url, {"body": "x" * 5000})
    assert not EnquiryMessage.objects.exists()


def test_a_member_s_conversations_are_listed(client_for, listing, buyer, member):
    sale.enquiry_send(listing=listing, buyer=buyer, body="Hello")

    assert "the buyer" in client_for(buyer).get(reverse("register:enquiries")).content.decode()
    assert (
        "the seller"
        in client_for(listing.seller).get(reverse("register:enquiries")).content.decode()
    )
    assert (
        "No conversations yet."
        in client_for(member).get(reverse("register:enquiries")).content.decode()
    )


# --- Staff and leaving the club ---------------------------------------------------------


def test_staff_withdraw_a_listing_in_the_admin(client_for, listing, staff):
    response = client_for(staff).post(
        reverse("admin:register_listing_changelist"),
        {"action": "withdraw", "_selected_action": [listing.pk]},
    )

    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.state == Listing.State.WITHDRAWN and listing.ended_at is not None


def test_a_member_who_leaves_takes_their_listing_and_words_with_them(listing, seller, buyer):
    from django.apps import apps

    sale.enquiry_send(listing=listing, buyer=buyer, body="My number is 0123")
    assert apps.get_app_config("register").personal_data(seller)["listings"]

    apps.get_app_config("register").anonymise_member(buyer)
    apps.get_app_config("register").anonymise_member(seller)

    listing.refresh_from_db()
    assert listing.state == Listing.State.WITHDRAWN and listing.description == ""
    assert not EnquiryMessage.objects.exists()


# --- What a hostile visitor tried (a review of the feature) -------------------------------


@pytest.mark.parametrize("review", ["pending", "rejected"])
def test_a_car_no_longer_public_takes_its_listing_out_of_sight(
    client, client_for, listing, car, buyer, review
):
    from register.models import Car

    Car.objects.filter(pk=car.pk).update(review_status=review)
    cache.clear()

    assert (
        listing.get_absolute_url() not in client.get(reverse("register:for_sale")).content.decode()
    )
    assert client.get(listing.get_absolute_url()).status_code == 404
    assert client_for(buyer).get(listing.get_absolute_url()).status_code == 404
    assert not Listing.objects.live().exists()


def test_a_price_beyond_twenty_million_is_refused_and_the_largest_one_fits_the_column(
    client_for, car, seller
):
    from register.sale_forms import MAX_PRICE_CENTS

    refused = client_for(seller).post(
        reverse("register:sell", args=[car.pk]), {"price": "50000000"}
    )
    accepted = client_for(seller).post(
        reverse("register:sell", args=[car.pk]), {"price": "20000000"}
    )

    assert "That price is not plausible." in refused.content.decode()
    assert accepted.status_code == 302
    assert Listing.objects.get().price_cents == MAX_PRICE_CENTS < 2**31


def invite(client, listing, email):
    return client.post(
        reverse("register:listing_end", args=[listing.pk]),
        {"how": "invite", "invite-email": email, "invite-sold_on": "2026-01-05"},
    )


def test_a_listing_sends_three_invitations_at_most(client_for, listing, seller):
    client = client_for(seller)
    for n in range(4):
        response = invite(client, listing, f"buyer{n}@example.org")

    assert SaleInvitation.objects.count() == 3
    assert "the most it may" in response.content.decode()


def test_only_the_invited_address_takes_the_car_over(client_for, listing, seller, buyer):
    invite(client_for(seller), listing, "invited@example.org")
    invitation = SaleInvitation.objects.get()
    url = reverse("register:sale_invitation", args=[sale.invitation_token(invitation)])

    response = client_for(buyer).post(url)
    invited = MemberFactory(email="Invited@Example.org")

    assert "sent to another e-mail address" in response.content.decode()
    assert not Transfer.objects.exists()
    assert client_for(invited).post(url).status_code == 302
    assert Transfer.objects.get().to_member == invited


def test_an_invitation_link_older_than_thirty_days_finds_nothing(listing, seller, buyer):
    from django.core import signing

    invitation = SaleInvitation.objects.create(
        listing=listing,
        car=listing.car,
        seller=seller,
        email="x@example.org",
        sold_on=D(2026, 1, 5),
    )
    token = sale.invitation_token(invitation)
    later = timezone.now() + datetime.timedelta(days=31)
    original = signing.time.time
    signing.time.time = lambda: later.timestamp()
    try:
        assert sale.invitation_from_token(token) is None
    finally:
        signing.time.time = original
    assert sale.invitation_from_token(token) == invitation


def test_a_buyer_outside_the_club_is_never_named_to_members(
    client_for, listing, seller, car, buyer
):
    data = {
        "how": "outside",
        "outside-buyer_name": "Otto Outsider",
        "outside-name_visibility": "members",  # a tampered form: no such choice any more
        "outside-sold_on": "2026-02-01",
    }
    client_for(seller).post(reverse("register:listing_end", args=[listing.pk]), data)
    cache.clear()

    assert Ownership.objects.current().get(car=car).name_visibility == "nobody"
    assert "Otto Outsider" not in client_for(buyer).get(car.get_absolute_url()).content.decode()


def test_the_cached_car_page_drops_the_listing_the_moment_it_expires(
    client, listing, car, monkeypatch
):
    from register.views import public

    assert "See the listing" in client.get(car.get_absolute_url()).content.decode()

    # Sixty-one days on: no write happened, the cached copy is older than the listing.
    later = listing.expires_at + datetime.timedelta(days=1)
    monkeypatch.setattr(public, "_clock", later.timestamp)
    Listing.objects.filter(pk=listing.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    assert "See the listing" not in client.get(car.get_absolute_url()).content.decode()


def test_a_buyer_s_conversation_says_the_listing_ended_instead_of_linking_to_it(
    client_for, listing, seller, buyer
):
    sale.enquiry_send(listing=listing, buyer=buyer, body="Still available?")
    enquiry = Enquiry.objects.get()
    sale.listing_withdraw(listing=listing, seller=seller)

    buyer_page = client_for(buyer).get(enquiry.get_absolute_url()).content.decode()
    seller_page = client_for(seller).get(enquiry.get_absolute_url()).content.decode()

    assert listing.get_absolute_url() not in buyer_page
    assert "The listing has ended (withdrawn)." in buyer_page
    assert listing.get_absolute_url() in seller_page
