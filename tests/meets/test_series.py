"""Series of meets: the rule and its dates, "Repeat this meet", the series' pages and feed."""

import datetime
import io
import re
import zoneinfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from meets import series as series_lib
from meets.models import RSVP, Meet, MeetSeries
from meets.questions import Question
from meets.series import Pattern, build_rule, describe, occurrences, series_create, series_extend
from meets.views.public import UPCOMING_SHOWN
from tests.meets.factories import MeetFactory, PastMeetFactory, RSVPFactory, WaitlistedRSVPFactory

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
LIST = reverse("meets:list")


def berlin(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BERLIN)


def series_of(meet, pattern=Pattern.MONTHLY_WEEKDAY, **kwargs):
    return series_create(meet=meet, pattern=pattern, **kwargs)


def first_sunday_meet(**kwargs):
    """A meet at 10:00 on the first Sunday of a month a few weeks ahead (Berlin)."""
    day = timezone.localdate() + datetime.timedelta(days=40)
    day = day.replace(day=1)
    day += datetime.timedelta(days=(6 - day.weekday()) % 7)
    start = datetime.datetime.combine(day, datetime.time(10), tzinfo=BERLIN)
    return MeetFactory(
        title="Cars & Coffee",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=3),
        **kwargs,
    )


# --- The rule -------------------------------------------------------------------------------


def test_monthly_on_the_first_sunday_gives_the_first_sunday_of_each_month():
    rule = build_rule(
        pattern=Pattern.MONTHLY_WEEKDAY, start=datetime.datetime(2027, 1, 3, 10), count=4
    )
    s = MeetSeries(
        rule=rule,
        first_date=datetime.date(2027, 1, 3),
        start_time=datetime.time(10),
        time_zone="Europe/Berlin",
    )

    assert rule == "FREQ=MONTHLY;COUNT=4;BYDAY=+1SU"
    assert [d.date() for d in occurrences(s)] == [
        datetime.date(2027, 1, 3),
        datetime.date(2027, 2, 7),
        datetime.date(2027, 3, 7),
        datetime.date(2027, 4, 4),
    ]
    assert describe(rule) == "monthly, first Sunday"


def test_a_fifth_weekday_repeats_as_the_last_one_of_each_month():
    # 30 March 2027 is the fifth Tuesday; April has only four.
    rule = build_rule(
        pattern=Pattern.MONTHLY_WEEKDAY, start=datetime.datetime(2027, 3, 30, 19), count=2
    )
    s = MeetSeries(rule=rule, first_date=datetime.date(2027, 3, 30), start_time=datetime.time(19))

    assert describe(rule) == "monthly, last Tuesday"
    assert [d.date() for d in occurrences(s)] == [
        datetime.date(2027, 3, 30),
        datetime.date(2027, 4, 27),
    ]


def test_a_monthly_ten_oclock_stays_at_ten_across_the_change_to_summer_and_winter_time():
    rule = build_rule(
        pattern=Pattern.MONTHLY_WEEKDAY, start=datetime.datetime(2027, 2, 7, 10), count=10
    )
    s = MeetSeries(
        rule=rule,
        first_date=datetime.date(2027, 2, 7),
        start_time=datetime.time(10),
        time_zone="Europe/Berlin",
    )

    dates = occurrences(s)

    assert {d.astimezone(BERLIN).time() for d in dates} == {datetime.time(10)}
    # 10:00 in Berlin is 09:00 UTC in winter and 08:00 UTC in summer.
    utc_hours = [d.astimezone(datetime.UTC).hour for d in dates]
    assert utc_hours[0] == 9  # February
    assert utc_hours[3] == 8  # May
    assert utc_hours[-1] == 9  # November


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (Pattern.WEEKLY, "weekly, on Sunday"),
        (Pattern.FORTNIGHTLY, "every 2 weeks, on Sunday"),
        (Pattern.MONTHLY_DAY, "monthly, on day 3"),
    ],
)
def test_each_rule_of_the_picker_reads_as_words(pattern, words):
    rule = build_rule(pattern=pattern, start=datetime.datetime(2027, 1, 3, 10), count=3)

    assert describe(rule) == words


def test_a_rule_never_gives_more_than_24_dates_nor_runs_past_two_years():
    weekly = MeetSeries(
        rule=build_rule(pattern=Pattern.WEEKLY, start=datetime.datetime(2027, 1, 3, 10), count=99),
        first_date=datetime.date(2027, 1, 3),
        start_time=datetime.time(10),
    )
    assert "COUNT=24" in weekly.rule
    assert len(occurrences(weekly)) == 24

    # A rule written by hand (the admin) with no end still stops.
    monthly = MeetSeries(
        rule="FREQ=MONTHLY;BYMONTHDAY=1",
        first_date=datetime.date(2027, 1, 1),
        start_time=datetime.time(10),
    )
    dates = occurrences(monthly)
    assert len(dates) == 24
    assert dates[-1].date() == datetime.date(2028, 12, 1)
    quarterly = MeetSeries(
        rule="FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1",
        first_date=datetime.date(2027, 1, 1),
        start_time=datetime.time(10),
    )
    assert occurrences(quarterly)[-1].date() == datetime.date(2029, 1, 1)  # two years on


# --- Making the dates ------------------------------------------------------------------------


def test_repeating_a_meet_makes_its_dates_ahead_with_the_meets_settings(organiser, helper):
    meet = first_sunday_meet(organisers=[organiser], checkin_helpers=[helper], capacity=30)
    Question.objects.create(meet=meet, label="Coffee?", kind="yes_no")

    series, made = series_of(meet, count=12)

    meet.refresh_from_db()
    assert meet.series == series and meet.occurrence == meet.starts_at
    assert series.rule.endswith("BYDAY=+1SU")
    horizon = timezone.localdate() + datetime.timedelta(days=184)
    assert 3 <= len(made) <= 5  # six months ahead of today: the meet is five weeks off
    assert made[-1].local_start.date() <= horizon
    for date in made:
        local = date.local_start
        assert local.weekday() == 6 and local.day <= 7 and local.time() == datetime.time(10)
        assert date.ends_at - date.starts_at == datetime.timedelta(hours=3)
        assert date.capacity == 30 and date.status == Meet.Status.PUBLISHED
        assert list(date.questions.values_list("label", "kind")) == [("Coffee?", "yes_no")]
        assert list(date.organisers.all()) == [organiser]
        assert list(date.checkin_helpers.all()) == [helper]
        assert not date.rsvps.exists()


def test_a_meet_is_in_one_series_at_most(organiser):
    meet = first_sunday_meet(organisers=[organiser])
    series_of(meet)

    with pytest.raises(series_lib.SeriesError):
        series_of(meet)
    assert MeetSeries.objects.count() == 1


def test_extending_twice_makes_nothing_twice_and_a_moved_date_does_not_come_back(organiser):
    meet = first_sunday_meet(organisers=[organiser])
    series, made = series_of(meet, count=12)
    moved = made[0]
    moved.starts_at += datetime.timedelta(days=1)
    moved.ends_at += datetime.timedelta(days=1)
    moved.save()
    before = Meet.objects.filter(series=series).count()

    assert series_extend(series=series) == []
    assert Meet.objects.filter(series=series).count() == before


def test_later_days_bring_the_next_dates_until_the_rule_ends(organiser):
    meet = first_sunday_meet(organisers=[organiser])
    series, made = series_of(meet, count=8)
    in_a_year = timezone.localdate() + datetime.timedelta(days=365)

    more = series_extend(series=series, today=in_a_year - datetime.timedelta(days=200))

    assert len(made) + len(more) == 7  # eight dates, the first being the meet itself
    assert series_extend(series=series, today=in_a_year) == []


def test_the_extend_series_command_takes_a_date(organiser):
    meet = first_sunday_meet(organisers=[organiser])
    series, made = series_of(meet, count=24)
    later = (timezone.localdate() + datetime.timedelta(days=120)).isoformat()

    out = io.StringIO()
    call_command("extend_series", "--date", later, stdout=out)

    assert Meet.objects.filter(series=series).count() > len(made) + 1
    assert "date(s) of series made." in out.getvalue()


def test_unpublished_series_make_draft_dates(organiser):
    meet = first_sunday_meet(organisers=[organiser])

    _series, made = series_of(meet, count=3, publish_dates=False)

    assert {date.status for date in made} == {Meet.Status.DRAFT}


# --- The pages ---------------------------------------------------------------------------------


def repeat_url(meet):
    return reverse("meets:repeat", args=[meet.slug])


def test_the_repeat_page_climbs_the_ladder(client_for, organiser, helper, member):
    meet = first_sunday_meet(organisers=[organiser], checkin_helpers=[helper])

    assert client_for().get(repeat_url(meet)).status_code == 302
    assert client_for(member).get(repeat_url(meet)).status_code == 404
    assert client_for(helper).get(repeat_url(meet)).status_code == 403
    page = client_for(organiser).get(repeat_url(meet))
    assert page.status_code == 200
    assert "Monthly, first Sunday" in page.content.decode()
    assert client_for(organiser).get("/meets/no-such-meet/repeat/").status_code == 404


def test_an_organiser_repeats_a_meet_monthly_from_the_picker(client_for, organiser):
    meet = first_sunday_meet(organisers=[organiser])

    response = client_for(organiser).post(
        repeat_url(meet),
        {"pattern": Pattern.MONTHLY_WEEKDAY, "ends": "count", "count": 4, "publish_dates": "on"},
        follow=True,
    )

    series = MeetSeries.objects.get()
    assert response.redirect_chain[-1][0] == series.get_absolute_url()
    assert Meet.objects.filter(series=series).count() == 4
    assert "The series is set up: 3 more dates are made" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"ends": "until", "until": ""}, "Give the last day"),
        ({"ends": "until", "until": "2001-01-01"}, "must be after the meet"),
        ({"ends": "until", "until": "2099-01-01"}, "2 years at most"),
        ({"ends": "count", "count": 25}, "less than or equal to 24"),
        ({"ends": "count", "count": "many"}, "Enter a whole number"),
        ({"ends": "never"}, "Select a valid choice"),
        ({"pattern": "yearly", "ends": "count", "count": 3}, "Select a valid choice"),
    ],
)
def test_the_picker_refuses_what_it_cannot_do(client_for, organiser, data, error):
    meet = first_sunday_meet(organisers=[organiser])

    response = client_for(organiser).post(repeat_url(meet), {"pattern": Pattern.WEEKLY, **data})

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not MeetSeries.objects.exists()


def test_the_series_page_lists_dates_to_come_with_places_left(client, organiser):
    meet = first_sunday_meet(organisers=[organiser], capacity=20)
    series, made = series_of(meet, count=4)
    RSVPFactory(meet=made[0])
    WaitlistedRSVPFactory(meet=made[0])

    response = client.get(series.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "A series of meets: monthly, first Sunday, at 10:00 (Europe/Berlin time)." in html
    assert "19 of 20" in html  # made[0]: one car going
    assert html.count("20 of 20") == 3
    assert "Edit the series" not in html


def test_a_series_with_only_drafts_is_known_to_its_organisers_only(client_for, organiser, member):
    meet = first_sunday_meet(organisers=[organiser], status=Meet.Status.DRAFT)
    series, _made = series_of(meet, count=3, publish_dates=False)

    assert client_for(member).get(series.get_absolute_url()).status_code == 404
    assert client_for().get(reverse("meets:series_ics", args=[series.slug])).status_code == 404
    assert client_for(organiser).get(series.get_absolute_url()).status_code == 200
    assert client_for().get("/meets/series/no-such-series/").status_code == 404


def test_a_meet_page_names_its_series_and_the_next_dates(client, organiser):
    meet = first_sunday_meet(organisers=[organiser])
    series, made = series_of(meet, count=4)

    html = client.get(meet.get_absolute_url()).content.decode()

    assert f'Part of the series <a href="{series.get_absolute_url()}">Cars &amp; Coffee</a>' in html
    assert "(monthly, first Sunday)" in html
    for date in made:
        assert date.get_absolute_url() in html


@pytest.mark.parametrize("count", [2, 20])
def test_the_series_page_takes_the_same_queries_for_few_dates_and_many(
    client, organiser, count, django_assert_num_queries
):
    meet = first_sunday_meet(organisers=[organiser])
    series, _ = series_of(meet, pattern=Pattern.WEEKLY, count=count)
    PastMeetFactory(series=series, occurrence=timezone.now() - datetime.timedelta(days=30))
    cache.clear()

    # 1. the series, 2. has it a published date, 3. its dates to come with their counts,
    # 4. its past dates with theirs (an anonymous visitor organises nothing: no query)
    with django_assert_num_queries(4):
        response = client.get(series.get_absolute_url())

    assert response.content.decode().count("<tr>") == count + 1  # a header and the dates


@pytest.mark.parametrize("count", [2, 50])
def test_the_meets_list_shows_a_series_by_its_next_date_in_the_same_queries(
    client, count, django_assert_num_queries
):
    series = MeetSeries.objects.create(
        title="Cars & Coffee",
        slug="cars-coffee",
        rule="FREQ=WEEKLY;BYDAY=SU",
        first_date=timezone.localdate(),
        start_time=datetime.time(10),
        duration=datetime.timedelta(hours=2),
        venue_name="Café",
        capacity=10,
    )
    for n in range(count):
        start = timezone.now() + datetime.timedelta(days=10 + 7 * n)
        MeetFactory(title=f"Coffee {n}", series=series, occurrence=start, starts_at=start)
        MeetFactory(title=f"Drive {n}", starts_at=start)
        past = timezone.now() - datetime.timedelta(days=10 + 7 * n)
        PastMeetFactory(title=f"Old coffee {n}", series=series, occurrence=past, starts_at=past)
    cache.clear()

    # 1. the upcoming meets' ids and series, 2. a page of them, a series by its next
    # date, with their counts, 3–4. the past meets likewise (anonymous: no session, no
    # drafts)
    with django_assert_num_queries(4):
        response = client.get(LIST)

    html = response.content.decode()
    assert html.count("Coffee 0") == 1 and "Coffee 1<" not in html
    assert f"+ {count - 1} more date" in html
    assert html.count(">Drive ") == min(count, UPCOMING_SHOWN - 1)
    assert "Old coffee 0" in html and "Old coffee 1<" not in html
    assert f"{count - 1} earlier date" in html


def test_every_published_date_is_in_the_club_calendar_and_the_series_calendar(client, organiser):
    meet = first_sunday_meet(organisers=[organiser])
    series, made = series_of(meet, count=4)
    made[1].status = Meet.Status.CANCELLED
    made[1].save()
    MeetFactory(title="Ring day")

    feed = Calendar.from_ical(client.get(reverse("meets:calendar")).content)
    own = client.get(reverse("meets:series_ics", args=[series.slug]))
    mine = Calendar.from_ical(own.content)
    assert own["Content-Type"] == "text/calendar; charset=utf-8"

    feed_events = [e for e in feed.walk("VEVENT") if str(e["SUMMARY"]) == "Cars & Coffee"]
    assert len(feed_events) == 4
    assert not any("RRULE" in e for e in feed.walk("VEVENT"))  # concrete dates only
    events = mine.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Cars & Coffee"] * 4
    assert [e["DTSTART"].dt for e in events] == sorted(
        [meet.starts_at] + [m.starts_at for m in made]
    )
    assert {e["DTSTART"].dt.astimezone(BERLIN).hour for e in events} == {10}
    assert [str(e["STATUS"]) for e in events].count("CANCELLED") == 1
    assert own["Content-Disposition"] == f'attachment; filename="{series.slug}.ics"'


# --- Editing the series -----------------------------------------------------------------------


def edit_url(series):
    return reverse("meets:series_edit", args=[series.slug])


def test_editing_the_series_changes_the_dates_to_come_never_below_their_cars_going(
    client_for, organiser, helper, member
):
    meet = first_sunday_meet(organisers=[organiser], checkin_helpers=[helper], capacity=10)
    series, made = series_of(meet, count=4)
    for _ in range(3):
        RSVPFactory(meet=made[0])
    past = PastMeetFactory(title="Cars & Coffee", series=series, occurrence=timezone.now())
    data = {
        "title": "Cars & Coffee Rhein-Main",
        "description": "Every first Sunday.",
        "venue_name": "Kolbenring Café",
        "venue_address": "",
        "capacity": 2,
        "apply_to_future": "on",
    }

    assert client_for(member).get(edit_url(series)).status_code == 404
    assert client_for(helper).get(edit_url(series)).status_code == 403
    response = client_for(organiser).post(edit_url(series), data, follow=True)

    assert response.status_code == 200
    assert "keeps 3 places: that many cars are going already" in response.content.decode()
    for date in Meet.objects.filter(series=series, starts_at__gt=timezone.now()):
        assert date.title == "Cars & Coffee Rhein-Main"
        assert date.venue_name == "Kolbenring Café"
        assert date.capacity == (3 if date == made[0] else 2)
    past.refresh_from_db()
    assert past.title == "Cars & Coffee" and past.venue_name == "Nürburgring"


def test_raising_the_capacity_of_the_series_moves_cars_up_from_the_waiting_lists(
    client_for, organiser
):
    meet = first_sunday_meet(organisers=[organiser], capacity=1)
    series, made = series_of(meet, count=2)
    RSVPFactory(meet=made[0])
    waiting = WaitlistedRSVPFactory(meet=made[0])
    data = {"title": "C&C", "description": "", "venue_name": "Café", "capacity": 5}

    client_for(organiser).post(edit_url(series), {**data, "apply_to_future": "on"})

    waiting.refresh_from_db()
    assert waiting.status == RSVP.Status.GOING


def test_without_the_box_the_dates_stay_as_they_were(client_for, organiser):
    meet = first_sunday_meet(organisers=[organiser], capacity=10)
    series, made = series_of(meet, count=2)
    data = {"title": "New", "description": "", "venue_name": "Café", "capacity": 5}

    client_for(organiser).post(edit_url(series), data)

    series.refresh_from_db()
    made[0].refresh_from_db()
    assert series.title == "New" and made[0].title == "Cars & Coffee"


def test_the_meet_list_page_has_no_series_marks_for_meets_outside_one(client):
    MeetFactory(title="Ring day")

    html = client.get(LIST).content.decode()

    assert re.search(r"more dates?|Series:", html) is None


def test_the_dates_of_a_series_offer_places_as_its_first_meet_does(organiser):
    meet = first_sunday_meet(organisers=[organiser], promotion=Meet.Promotion.OFFER, offer_hours=12)

    _series, made = series_of(meet, count=3)

    assert made
    assert {(d.promotion, d.offer_hours) for d in made} == {(Meet.Promotion.OFFER, 12)}
