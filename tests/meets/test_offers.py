"""Waiting-list offers: a freed place is offered to the next car, who accepts in time."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from meets import offers, services
from meets.models import RSVP, Meet
from meets.offer_models import Offer
from tests.factories import MemberFactory
from tests.meets.factories import MeetFactory, RSVPFactory, WaitlistedRSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def meet(organiser):
    """Full (two places, two going) with three waiting, in offer mode with 24 hours."""
    meet = MeetFactory(
        title="Eifel Breakfast",
        capacity=2,
        promotion=Meet.Promotion.OFFER,
        offer_hours=24,
        time_zone="America/New_York",
        organisers=[organiser],
    )
    RSVPFactory.create_batch(2, meet=meet)
    return meet


@pytest.fixture
def waiting(meet):
    return [WaitlistedRSVPFactory(meet=meet) for _ in range(3)]


def free_a_place(meet) -> RSVP:
    going = RSVP.objects.filter(meet=meet).going().first()
    return services.rsvp_cancel(rsvp=going, member=going.member)


def open_offers(meet):
    return list(
        Offer.objects.open()
        .filter(rsvp__meet=meet)
        .select_related("rsvp")
        .order_by("rsvp__created_at", "rsvp_id")
    )


def login(client, user):
    client.force_login(user)
    return client


# --- Making offers --------------------------------------------------------------------------


def test_a_freed_place_is_offered_to_the_first_in_line_and_held(meet, waiting):
    free_a_place(meet)

    (offer,) = open_offers(meet)
    assert offer.rsvp == waiting[0]
    assert offer.rsvp.status == RSVP.Status.WAITLISTED  # not going until they accept
    assert offer.expires_at == offer.made_at + 24 * HOUR
    # The held place is taken: a new RSVP waits behind the line.
    person = MemberFactory()
    late = services.rsvp_create(meet=meet, member=person, car=CarFactory(owner=person))
    assert late.status == RSVP.Status.WAITLISTED


def test_automatic_meets_still_promote_at_once(meet, waiting):
    Meet.objects.filter(pk=meet.pk).update(promotion=Meet.Promotion.AUTOMATIC)
    meet.refresh_from_db()

    free_a_place(meet)

    waiting[0].refresh_from_db()
    assert waiting[0].status == RSVP.Status.GOING
    assert Offer.objects.count() == 0


def test_an_offer_never_runs_past_the_start_of_the_meet(meet, waiting):
    Meet.objects.filter(pk=meet.pk).update(starts_at=timezone.now() + 3 * HOUR)
    meet.refresh_from_db()

    free_a_place(meet)

    (offer,) = open_offers(meet)
    assert offer.expires_at == meet.starts_at


def test_the_offer_mail_is_in_the_members_language_with_the_expiry_in_the_meets_zone(
    meet, waiting, django_capture_on_commit_callbacks
):
    german = waiting[0].member
    german.language = "de"
    german.save(update_fields=["language"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        free_a_place(meet)

    (message,) = [m for m in mail.outbox if m.to == [german.email]]
    offer = Offer.objects.get()
    local = timezone.localtime(offer.expires_at, meet.tz)
    assert local.strftime("%H:%M") in message.body
    assert "America/New_York" in message.body
    assert reverse("meets:mine") in message.body
    assert "Eifel Breakfast" in message.subject
    # Rendered in German: the weekday and month are German words (Django's own catalogue;
    # the club's sentences are translated by the lead after merging).
    with translation.override("de"):
        german_day = date_format(local, "l")
        english_day = local.strftime("%A")
    assert german_day != english_day
    assert german_day in message.body


def test_the_offer_mail_says_when_it_ends_and_links_to_my_meets(
    meet, waiting, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        free_a_place(meet)

    (message,) = [m for m in mail.outbox if m.to == [waiting[0].member.email]]
    offer = Offer.objects.get()
    when = timezone.localtime(offer.expires_at, meet.tz)
    assert message.subject == "A place is free at Eifel Breakfast: will you take it?"
    assert f"Accept it by {when:%A} {when.day} {when:%B %Y, %H:%M} (America/New_York)" in (
        " ".join(message.body.split())
    )
    assert "/meets/mine/" in message.body


# --- Accepting and declining ------------------------------------------------------------------


def test_accepting_in_time_makes_the_member_going_with_the_confirmation(
    meet, waiting, django_capture_on_commit_callbacks
):
    free_a_place(meet)
    (offer,) = open_offers(meet)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        rsvp = offers.offer_accept(offer=offer, member=offer.rsvp.member)

    assert rsvp.status == RSVP.Status.GOING
    offer.refresh_from_db()
    assert offer.state == Offer.State.ACCEPTED and offer.decided_at
    (message,) = mail.outbox
    assert message.subject == "You're going: Eifel Breakfast"
    assert any(name.endswith(".ics") for name, *_ in message.attachments)
    assert RSVP.objects.filter(meet=meet).going().count() == 2  # the capacity, exactly


def test_declining_passes_the_place_to_the_next_in_line(meet, waiting):
    free_a_place(meet)
    (offer,) = open_offers(meet)

    offers.offer_decline(offer=offer, member=offer.rsvp.member)

    waiting[0].refresh_from_db()
    assert waiting[0].status == RSVP.Status.CANCELLED  # they left the waiting list
    (nxt,) = open_offers(meet)
    assert nxt.rsvp == waiting[1]


def test_with_nobody_left_the_place_is_free_for_the_next_rsvp(meet):
    (only,) = [WaitlistedRSVPFactory(meet=meet)]
    free_a_place(meet)
    (offer,) = open_offers(meet)

    offers.offer_decline(offer=offer, member=only.member)

    assert open_offers(meet) == []
    person = MemberFactory()
    made = services.rsvp_create(meet=meet, member=person, car=CarFactory(owner=person))
    assert made.status == RSVP.Status.GOING


def test_an_offer_cannot_be_accepted_after_its_time_even_if_the_worker_is_late(meet, waiting):
    free_a_place(meet)
    (offer,) = open_offers(meet)

    with pytest.raises(services.RSVPError, match="This offer expired at"):
        offers.offer_accept(
            offer=offer, member=offer.rsvp.member, now=offer.expires_at + datetime.timedelta(1)
        )

    offer.refresh_from_db()
    assert offer.state == Offer.State.EXPIRED  # ended there and then, and kept
    assert RSVP.objects.get(pk=waiting[0].pk).status == RSVP.Status.CANCELLED
    assert [o.rsvp for o in open_offers(meet)] == [waiting[1]]


def test_an_ended_offer_cannot_be_accepted_twice(meet, waiting):
    free_a_place(meet)
    (offer,) = open_offers(meet)
    offers.offer_accept(offer=offer, member=offer.rsvp.member)

    with pytest.raises(services.RSVPError, match="accepted this offer already"):
        offers.offer_accept(offer=offer, member=offer.rsvp.member)
    assert RSVP.objects.filter(meet=meet).going().count() == 2


def test_only_its_member_may_accept_an_offer(meet, waiting):
    free_a_place(meet)
    (offer,) = open_offers(meet)

    with pytest.raises(services.RSVPError, match="not yours"):
        offers.offer_accept(offer=offer, member=waiting[1].member)
    offer.refresh_from_db()
    assert offer.state == Offer.State.OPEN


# --- Expiry by the worker ------------------------------------------------------------------


def test_the_command_expires_due_offers_and_offers_the_next_and_is_idempotent(meet, waiting):
    free_a_place(meet)
    (offer,) = open_offers(meet)
    later = (offer.expires_at + HOUR).isoformat()
    out = StringIO()

    call_command("expire_offers", "--now", later, stdout=out)
    call_command("expire_offers", "--now", later, stdout=out)

    assert out.getvalue().splitlines() == ["1 offer(s) expired.", "0 offer(s) expired."]
    offer.refresh_from_db()
    assert offer.state == Offer.State.EXPIRED
    (nxt,) = open_offers(meet)
    assert nxt.rsvp == waiting[1]
    assert nxt.made_at == offer.expires_at + HOUR


def test_the_command_leaves_offers_that_have_time_left(meet, waiting):
    free_a_place(meet)
    out = StringIO()

    call_command("expire_offers", stdout=out)

    assert out.getvalue().strip() == "0 offer(s) expired."
    assert len(open_offers(meet)) == 1


def test_the_command_refuses_a_time_without_its_zone():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="time zone offset"):
        call_command("expire_offers", "--now", "2027-06-01T09:00")


# --- Switching modes, cancelling ------------------------------------------------------------


def test_switching_to_automatic_promotes_at_once_and_keeps_open_offers(meet, waiting):
    meet.capacity = 3
    services.meet_save(meet=meet, old_capacity=2)  # one more place: offered
    free_a_place(meet)  # and another: offered too
    assert [o.rsvp for o in open_offers(meet)] == waiting[:2]
    meet.capacity = 4
    meet.promotion = Meet.Promotion.AUTOMATIC

    services.meet_save(meet=meet, old_capacity=3)

    assert [o.rsvp for o in open_offers(meet)] == waiting[:2]  # still valid
    assert RSVP.objects.get(pk=waiting[2].pk).status == RSVP.Status.GOING


def test_cancelling_the_meet_withdraws_its_offers(meet, waiting):
    free_a_place(meet)

    services.meet_cancel(meet=meet)

    assert Offer.objects.get().state == Offer.State.WITHDRAWN


def test_cancelling_an_rsvp_that_holds_an_offer_passes_it_on(meet, waiting):
    free_a_place(meet)
    (offer,) = open_offers(meet)

    services.rsvp_cancel(rsvp=offer.rsvp, member=offer.rsvp.member)

    offer.refresh_from_db()
    assert offer.state == Offer.State.WITHDRAWN
    assert [o.rsvp for o in open_offers(meet)] == [waiting[1]]


def test_the_meet_form_saves_the_mode_and_refuses_hours_out_of_range(organiser, client, meet):
    from tests.meets.test_organiser import meet_form_data

    login(client, organiser)
    url = reverse("meets:edit", args=[meet.slug])

    refused = client.post(url, meet_form_data(meet, promotion="offer", offer_hours="169"))
    assert "An offer lasts between 1 and 168 hours." in refused.content.decode()

    client.post(url, meet_form_data(meet, promotion="automatic", offer_hours="48"))
    meet.refresh_from_db()
    assert (meet.promotion, meet.offer_hours) == ("automatic", 48)


# --- Pages and buttons --------------------------------------------------------------------------


@pytest.fixture
def offer(meet, waiting):
    free_a_place(meet)
    (offer,) = open_offers(meet)
    return offer


def test_the_member_sees_the_offer_with_its_buttons_on_the_meet_page_and_my_meets(
    client, offer, page_text
):
    login(client, offer.rsvp.member)
    for url in (offer.rsvp.meet.get_absolute_url(), reverse("meets:mine")):
        text = page_text(client.get(url))
        assert "A place is free, and it's held for you." in text
        assert "Accept the place" in text and "Decline" in text


def test_a_page_shows_an_offer_past_its_time_as_expired(client, offer, page_text):
    Offer.objects.filter(pk=offer.pk).update(
        made_at=timezone.now() - 2 * HOUR, expires_at=timezone.now() - HOUR
    )
    login(client, offer.rsvp.member)

    text = page_text(client.get(offer.rsvp.meet.get_absolute_url()))

    assert "Accept the place" not in text
    assert "The place offered to you expired at" in text


def test_accepting_by_the_button_says_youre_going(client, offer, page_text):
    login(client, offer.rsvp.member)

    response = client.post(reverse("meets:offer_accept", args=[offer.pk]), follow=True)

    assert "You're going!" in page_text(response)
    assert RSVP.objects.get(pk=offer.rsvp_id).status == RSVP.Status.GOING


def test_accepting_too_late_by_the_button_says_so_clearly(client, offer, page_text):
    Offer.objects.filter(pk=offer.pk).update(
        made_at=timezone.now() - 2 * HOUR, expires_at=timezone.now() - HOUR
    )
    login(client, offer.rsvp.member)

    response = client.post(reverse("meets:offer_accept", args=[offer.pk]), follow=True)

    assert "This offer expired at" in page_text(response)
    assert RSVP.objects.get(pk=offer.rsvp_id).status == RSVP.Status.CANCELLED


def test_declining_by_the_button_says_so(client, offer, page_text):
    login(client, offer.rsvp.member)

    response = client.post(reverse("meets:offer_decline", args=[offer.pk]), follow=True)

    assert "You declined the place and left the waiting list." in page_text(response)


@pytest.mark.parametrize("name", ["meets:offer_accept", "meets:offer_decline"])
def test_the_buttons_climb_the_ladder(client, offer, waiting, organiser, staff, name):
    url = reverse(name, args=[offer.pk])
    assert client.post(url).status_code == 302  # anonymous: to log in
    assert reverse("account_login") in client.post(url).url
    for outsider in (waiting[1].member, organiser, staff):
        assert login(client, outsider).post(url).status_code == 404
    assert login(client, offer.rsvp.member).get(url).status_code == 405
    assert client.post(reverse(name, args=[999_999])).status_code == 404
    offer.refresh_from_db()
    assert offer.state == Offer.State.OPEN  # nobody but its member touched it


def test_the_attendees_page_counts_held_places(client, organiser, offer, page_text):
    text = page_text(
        login(client, organiser).get(reverse("meets:attendees", args=[offer.rsvp.meet.slug]))
    )

    assert "1 place is held by an open offer." in text
    assert "Places left 0" in text


def test_the_meets_list_and_series_page_show_a_held_place_as_taken(client, offer, page_text):
    from meets.series import series_create

    meet = offer.rsvp.meet
    series, _made = series_create(meet=meet, pattern="weekly", count=1)
    cache.clear()

    card = page_text(client.get(reverse("meets:list")))
    dates = page_text(client.get(series.get_absolute_url()))

    assert "1 of 2 cars going" not in card
    assert "Full · 3 waiting" in card
    assert "1 of 2" not in dates and "Full" in dates


def test_a_series_capacity_never_drops_below_the_cars_going_and_the_places_held(organiser, offer):
    from meets.series import series_create, series_update

    meet = offer.rsvp.meet
    series, _made = series_create(meet=meet, pattern="weekly", count=1)
    changes = {
        "title": "T",
        "description": "",
        "venue_name": "V",
        "venue_address": "",
        "capacity": 1,
    }

    _changed, held = series_update(series=series, changes=changes, apply_to_future=True)

    meet.refresh_from_db()
    assert meet.capacity == 2  # one car going and one place held by the open offer
    assert held == [meet]


def test_an_offer_cannot_be_accepted_once_the_meet_has_started(meet, offer):
    # The organiser moved the meet earlier, before the end of the offer's time.
    start = timezone.now() - HOUR
    Meet.objects.filter(pk=meet.pk).update(starts_at=start, ends_at=start + 4 * HOUR)
    assert offer.expires_at > timezone.now()

    with pytest.raises(services.RSVPError, match="The meet has started"):
        offers.offer_accept(offer=offer, member=offer.rsvp.member)

    offer.refresh_from_db()
    assert offer.state == Offer.State.EXPIRED
    assert RSVP.objects.get(pk=offer.rsvp_id).status == RSVP.Status.CANCELLED
    assert RSVP.objects.filter(meet=meet).going().count() == 1


def test_the_meet_page_offers_no_accept_button_once_the_meet_has_started(client, meet, offer):
    """The page shows what accepting would say, not a button that can only be refused."""
    start = timezone.now() - HOUR
    Meet.objects.filter(pk=meet.pk).update(starts_at=start, ends_at=start + 4 * HOUR)

    page = login(client, offer.rsvp.member).get(meet.get_absolute_url()).content.decode()

    assert "The meet has started: the place can no longer be taken." in page
    assert reverse("meets:offer_accept", args=[offer.pk]) not in page


def test_an_offer_of_a_place_the_organisers_took_away_is_withdrawn_not_accepted(meet, offer):
    """The meet was made smaller while the offer ran: accepting would go over capacity."""
    Meet.objects.filter(pk=meet.pk).update(capacity=1)  # one car going: no place left

    with pytest.raises(services.RSVPError, match="withdrawn"):
        offers.offer_accept(offer=offer, member=offer.rsvp.member)

    offer.refresh_from_db()
    assert offer.state == Offer.State.WITHDRAWN
    assert RSVP.objects.get(pk=offer.rsvp_id).status == RSVP.Status.WAITLISTED  # still in line
    assert RSVP.objects.filter(meet=meet).going().count() == 1
