"""The world every fuzz test posts into: the cast, their cars, a meet with its RSVPs.

Built once per test (inside the `db` fixture's transaction); each Hypothesis example runs
in a savepoint of its own that is rolled back (`properties.rolled_back`).
"""

import datetime
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone
from hypothesis.configuration import set_hypothesis_home_dir

from meets.models import Meet, Question
from tests.factories import MemberFactory
from tests.meets.factories import GateDayMeetFactory, MeetFactory, RSVPFactory
from tests.register.factories import (
    CarFactory,
    ClaimFactory,
    ColourFactory,
    ModelLineFactory,
    PhotoFactory,
    TransferFactory,
)

# Hypothesis keeps caches (unicode tables, the constants of our code) in a .hypothesis/
# folder: in the temporary directory, not in the working tree. (Failing examples are not
# kept at all: `database=None` in strategies.fuzz_settings.)
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "paddock-hypothesis")


def pytest_terminal_summary(terminalreporter):
    """The crawling fuzzer's counts (tests/fuzz/test_crawl.py), with or without -s."""
    from tests.fuzz.crawler import SUMMARIES

    for line in SUMMARIES:
        terminalreporter.write_line(line)


@pytest.fixture
def world(db, member, other_member, organiser, staff):
    line = ModelLineFactory()
    colour = ColourFactory(model_line=line)
    other_line = ModelLineFactory(name="BMW M2 (F87)", production_start=2016, production_end=2021)
    car = CarFactory(owner=member, story="Bought new in Munich.")
    other_car = CarFactory(owner=other_member)
    pending_car = CarFactory(pending=True, owner=other_member, vin="WBSUR9C50BP000001")
    sold_car = CarFactory(owner=other_member)  # other_member is selling it to member
    helper = MemberFactory(display_name="Hanna Helper")
    waiting_member = MemberFactory(display_name="Walter Waiting")

    # On its check-in days (Meet.checkin_days): the check-in forms can check a car in.
    meet = GateDayMeetFactory(
        title="Spring drive",
        organisers=[organiser],
        checkin_helpers=[helper],
        capacity=2,
    )
    # Typed questions with fixed ids: the fuzzed forms name their fields after them.
    Question.objects.bulk_create(
        [
            Question(pk=9001, meet=meet, position=0, label="Dietary needs?"),
            Question(
                pk=9002,
                meet=meet,
                position=1,
                label="T-shirt size?",
                kind="single",
                choices=["S", "M", "L"],
            ),
            Question(
                pk=9003,
                meet=meet,
                position=2,
                label="Passengers",
                kind="number",
                required=True,
                min_value=0,
                max_value=3,
            ),
            Question(pk=9004, meet=meet, position=3, label="Dinner?", kind="yes_no"),
            Question(pk=9005, meet=meet, position=4, label="Arriving", kind="date"),
            Question(pk=9006, meet=meet, position=5, label="From", kind="country"),
            Question(
                pk=9007,
                meet=meet,
                position=6,
                label="Extras",
                kind="multiple",
                choices=["Dinner", "Lap"],
            ),
            Question(pk=9008, meet=meet, position=7, label="Wristband", asked_at="checkin"),
        ]
    )
    going = RSVPFactory(meet=meet, member=other_member, car=other_car)
    waiting = RSVPFactory(meet=meet, status="waitlisted", member=waiting_member)
    other_meet = MeetFactory(title="Autumn drive", organisers=[organiser])
    mine = RSVPFactory(meet=other_meet, member=member, car=car)
    draft = MeetFactory(
        title="Winter drive",
        organisers=[organiser],
        status=Meet.Status.DRAFT,
        starts_at=timezone.now() + datetime.timedelta(days=60),
    )
    return SimpleNamespace(
        member=member,
        other_member=other_member,
        organiser=organiser,
        staff=staff,
        helper=helper,
        line=line,
        colour=colour,
        other_line=other_line,
        car=car,
        other_car=other_car,
        pending_car=pending_car,
        photo=PhotoFactory(car=car, is_cover=True),
        other_photo=PhotoFactory(car=car),
        claim=ClaimFactory(car=other_car, claimant=helper),  # member may claim other_car
        transfer=TransferFactory(car=sold_car, from_member=other_member, to_member=member),
        sold_car=sold_car,
        meet=meet,
        other_meet=other_meet,
        draft=draft,
        going=going,
        waiting=waiting,
        mine=mine,
    )
