"""Factories for meets. A MeetFactory meet is published, in ten days, with RSVPs open."""

import datetime

import factory
from django.utils import timezone

from meets.models import RSVP, Meet, Question
from tests.factories import MemberFactory
from tests.register.factories import CarFactory


class MeetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meet
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Meet {n}")
    slug = factory.Sequence(lambda n: f"meet-{n}")
    venue_name = "Nürburgring"
    venue_country = "DE"
    time_zone = "Europe/Berlin"
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + datetime.timedelta(days=10)).replace(microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda meet: meet.starts_at + datetime.timedelta(hours=6))
    capacity = 10
    rsvp_opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    rsvp_closes_at = None
    status = Meet.Status.PUBLISHED
    attendee_visibility = Meet.AttendeeVisibility.MEMBERS

    @factory.post_generation
    def organisers(meet, create, extracted, **kwargs):
        if create and extracted:
            meet.organisers.add(*extracted)

    @factory.post_generation
    def checkin_helpers(meet, create, extracted, **kwargs):
        if create and extracted:
            meet.checkin_helpers.add(*extracted)


class GateDayMeetFactory(MeetFactory):
    """A meet starting in two hours: its check-in is open (Meet.checkin_days), its RSVPs
    too."""

    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + datetime.timedelta(hours=2)).replace(microsecond=0)
    )


class RSVPFactory(factory.django.DjangoModelFactory):
    """An RSVP by a new member with a car of their own (or the member/car given)."""

    class Meta:
        model = RSVP
        skip_postgeneration_save = True

    meet = factory.SubFactory(MeetFactory)
    member = factory.SubFactory(MemberFactory)
    car = factory.LazyAttribute(lambda rsvp: CarFactory(owner=rsvp.member))
    status = RSVP.Status.GOING

    @factory.post_generation
    def counted(rsvp, create, extracted, **kwargs):
        # Made without the services (as a bulk load is): the meet's counters follow, as
        # `recount_meets` makes them (meets/counts.py).
        if create:
            from meets.counts import counts_refresh

            counts_refresh(rsvp.meet_id)


class PastMeetFactory(MeetFactory):
    """A published meet that took place a month ago."""

    starts_at = factory.LazyFunction(
        lambda: (timezone.now() - datetime.timedelta(days=30)).replace(microsecond=0)
    )
    rsvp_opens_at = factory.LazyAttribute(lambda meet: meet.starts_at - datetime.timedelta(days=60))


class WaitlistedRSVPFactory(RSVPFactory):
    status = RSVP.Status.WAITLISTED


class CheckedInRSVPFactory(RSVPFactory):
    """A car that came: going, and checked in half an hour after the meet started."""

    checked_in_at = factory.LazyAttribute(
        lambda rsvp: rsvp.meet.starts_at + datetime.timedelta(minutes=30)
    )


class QuestionFactory(factory.django.DjangoModelFactory):
    """An optional text question asked at RSVP (meets/questions.py)."""

    class Meta:
        model = Question

    meet = factory.SubFactory(MeetFactory)
    position = factory.Sequence(lambda n: n)
    label = factory.Sequence(lambda n: f"Question {n}?")
