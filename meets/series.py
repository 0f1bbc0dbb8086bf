"""Series of meets: the rule, its dates, and the writes that make and change them.

A series repeats a meet by an RFC 5545 recurrence rule built with dateutil.rrule from a
simple picker (every week, every two weeks, monthly on the Nth weekday, monthly on day
N), ending after a number of dates or on a day, and never past MAX_DATES dates or
MAX_YEARS years. Each date is a Meet of its own (own RSVPs, own capacity), made ahead of
time for the next AHEAD_MONTHS months by `series_extend` (the daily `extend_series`).

Dates are counted on the series' wall clock: the rule runs on naive local times, and
each is then placed in the series' time zone, so a monthly 10:00 meet stays at 10:00
when the clocks change. A meet remembers the date the rule gave it (`Meet.occurrence`,
unique per series): moving or cancelling one date never makes the rule bring it back,
and two runs of `series_extend` at once make each date once.

Also here: "Clone this meet" (`meet_clone`), which copies a meet to a new draft.
"""

import datetime
import re
from collections import Counter

from dateutil.relativedelta import relativedelta
from dateutil.rrule import MONTHLY, WEEKLY, rrule, rrulestr, weekday
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from meets import services
from meets.models import Meet, MeetSeries
from meets.questions import Question

MAX_DATES = 24
MAX_YEARS = 2
AHEAD_MONTHS = 6


class SeriesError(Exception):
    """A series rule was broken; the message is for the organiser."""


# --- The rule ------------------------------------------------------------------------------


class Pattern:
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY_WEEKDAY = "monthly_weekday"
    MONTHLY_DAY = "monthly_day"


WEEKDAYS = [
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
]
ORDINALS = {
    1: gettext_lazy("first"),
    2: gettext_lazy("second"),
    3: gettext_lazy("third"),
    4: gettext_lazy("fourth"),
    -1: gettext_lazy("last"),
}
DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def nth_weekday(day: datetime.date) -> int:
    """Which of its weekdays in the month `day` is: 1 to 4, or -1 for a fifth (the last)."""
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def build_rule(
    *, pattern: str, start: datetime.datetime, count: int | None = None, until=None
) -> str:
    """The RRULE line (no DTSTART) for `pattern` counted from the naive local `start`.

    Ends after `count` dates or on the day `until`; either way MAX_DATES at most, and
    `occurrences` stops after MAX_YEARS whatever the rule says.
    """
    kwargs = {"dtstart": start}
    day = start.date()
    if pattern == Pattern.WEEKLY:
        kwargs |= {"freq": WEEKLY, "byweekday": weekday(day.weekday())}
    elif pattern == Pattern.FORTNIGHTLY:
        kwargs |= {"freq": WEEKLY, "interval": 2, "byweekday": weekday(day.weekday())}
    elif pattern == Pattern.MONTHLY_WEEKDAY:
        kwargs |= {"freq": MONTHLY, "byweekday": weekday(day.weekday(), nth_weekday(day))}
    elif pattern == Pattern.MONTHLY_DAY:
        kwargs |= {"freq": MONTHLY, "bymonthday": day.day}
    else:
        raise ValueError(f"unknown pattern {pattern!r}")
    if until is not None:
        kwargs["until"] = datetime.datetime.combine(until, datetime.time(23, 59, 59))
    else:
        kwargs["count"] = min(count or MAX_DATES, MAX_DATES)
    text = str(rrule(**kwargs))
    return next(line for line in text.splitlines() if line.startswith("RRULE:"))[6:]


def occurrences(series: MeetSeries) -> list[datetime.datetime]:
    """Every date of the series as an aware datetime in its zone, in order (capped)."""
    start = series.dtstart
    last = start + relativedelta(years=MAX_YEARS)
    rule = rrulestr(series.rule, dtstart=start)
    dates = []
    for moment in rule:
        if moment > last or len(dates) == MAX_DATES:
            break
        dates.append(moment.replace(tzinfo=series.tz))
    return dates


def _parts(rule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rule.split(";") if "=" in part)


def describe(rule: str) -> str:
    """The rule in words, for the picker's rules: "monthly, first Sunday"."""
    parts = _parts(rule)
    freq, interval = parts.get("FREQ"), int(parts.get("INTERVAL", "1") or 1)
    byday = re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", parts.get("BYDAY", ""))
    name, nth = "", None
    if byday:
        name = WEEKDAYS[DAY_CODES.index(byday[2])]
        nth = int(byday[1]) if byday[1] else None
    if freq == "WEEKLY" and byday and not nth:
        if interval == 1:
            return _("weekly, on %(weekday)s") % {"weekday": name}
        return _("every %(n)d weeks, on %(weekday)s") % {"n": interval, "weekday": name}
    if freq == "MONTHLY" and interval == 1 and byday and nth in ORDINALS:
        return _("monthly, %(ordinal)s %(weekday)s") % {"ordinal": ORDINALS[nth], "weekday": name}
    if freq == "MONTHLY" and interval == 1 and parts.get("BYMONTHDAY", "").isdigit():
        return _("monthly, on day %(day)s") % {"day": parts["BYMONTHDAY"]}
    return _("repeating")


def pattern_choices(day: datetime.date) -> list[tuple[str, str]]:
    """The picker's choices for a series starting on `day`, in words."""
    start = datetime.datetime.combine(day, datetime.time(12))
    return [
        (pattern, capfirst(describe(build_rule(pattern=pattern, start=start, count=2))))
        for pattern in (
            Pattern.MONTHLY_WEEKDAY,
            Pattern.MONTHLY_DAY,
            Pattern.WEEKLY,
            Pattern.FORTNIGHTLY,
        )
    ]


# --- Who may see and run a series ---------------------------------------------------------------


def is_series_organiser(user, series: MeetSeries) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_staff or series.organisers.filter(pk=user.pk).exists()


def get_series_for_viewer(request, slug: str) -> MeetSeries:
    """A series is known once one of its dates is published (or cancelled)."""
    series = get_object_or_404(MeetSeries, slug=slug)
    if is_series_organiser(request.user, series):
        return series
    if not Meet.objects.published().filter(series=series).exists():
        raise Http404(_("No such series."))
    return series


def get_series_for_organiser(request, slug: str) -> MeetSeries:
    series = get_object_or_404(MeetSeries, slug=slug)
    if is_series_organiser(request.user, series):
        return series
    if request.user.is_authenticated and series.checkin_helpers.filter(pk=request.user.pk).exists():
        raise PermissionDenied(_("Check-in helpers can only check cars in."))
    raise Http404(_("No such series."))


# --- Querying dates ---------------------------------------------------------------------------


def one_per_series(meets, *, upcoming: bool):
    """`meets` with each series shown by one date: the next one (upcoming) or the latest
    (past). `series_more` counts the series' other dates on the same side of now.

    All in the list's own query (subqueries and a join): a list with series takes no
    more queries than one without.
    """
    now = timezone.now()
    side = {"ends_at__gte": now} if upcoming else {"ends_at__lt": now}
    siblings = Meet.objects.published().filter(series=OuterRef("series"), **side)
    start, pk = OuterRef("starts_at"), OuterRef("pk")
    if upcoming:
        before = Q(starts_at__lt=start) | Q(starts_at=start, pk__lt=pk)
    else:
        before = Q(starts_at__gt=start) | Q(starts_at=start, pk__gt=pk)
    others = siblings.exclude(pk=pk).order_by().values("series").annotate(n=Count("id")).values("n")
    return (
        meets.filter(~Exists(siblings.filter(before)))
        .annotate(series_more=Coalesce(Subquery(others), 0))
        .select_related("series")
    )


def one_per_series_page(meets, *, first: int, count: int) -> tuple[list[Meet], bool]:
    """`count` meets of `meets` from the `first`, each series shown by one date only (the
    first in `meets`' order: the next one upcoming, the latest past), with `series_more`
    counting its other dates in `meets`; and whether there are more.

    Two plain queries, whatever the number of series: the ids and series of `meets` (two
    integers a row, off the status and date index), then the page's meets by id. The
    same as one_per_series() answers, which costs a correlated subquery per row.
    """
    shown, first_of, more = [], {}, Counter()
    for pk, series in meets.values_list("pk", "series_id"):
        if series is None:
            shown.append(pk)
        elif series in first_of:
            more[series] += 1
        else:
            first_of[series] = pk
            shown.append(pk)
    page = shown[first : first + count]
    by_pk = meets.filter(pk__in=page).with_counts().select_related("series").in_bulk()
    rows = [by_pk[pk] for pk in page if pk in by_pk]
    for meet in rows:
        meet.series_more = more[meet.series_id] if meet.series_id else 0
    return rows, len(shown) > first + count


def next_dates(series: MeetSeries, *, exclude: Meet | None = None, limit: int = 3) -> list[Meet]:
    dates = Meet.objects.upcoming().filter(series=series)
    if exclude is not None:
        dates = dates.exclude(pk=exclude.pk)
    return list(dates[:limit])


# --- Writes ---------------------------------------------------------------------------------


def _unique_slug(base: str, *, model=Meet) -> str:
    base = slugify(base)[:120] or "meet"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _copy_questions(source: Meet, target: Meet) -> None:
    """Ask `target` the questions `source` asks: each a new row, in the same order."""
    copies = []
    for question in Question.objects.filter(meet=source).order_by("position", "pk"):
        question.pk, question.id, question.meet = None, None, target
        copies.append(question)
    Question.objects.bulk_create(copies)


def meet_clone(*, source: Meet, meet: Meet, by: User) -> Meet:
    """Save `meet` (an organiser's edited copy of `source`) as a new draft with the same
    organisers, helpers, questions and (unless a new one came) cover image; no RSVPs."""
    with transaction.atomic():
        meet.pk = None
        meet.status = Meet.Status.DRAFT
        meet.series, meet.occurrence = None, None
        if not meet.slug:
            meet.slug = _unique_slug(f"{meet.title}-{meet.local_start:%Y-%m-%d}")
        if not meet.cover_image and source.cover_image:
            meet.cover_image = source.cover_image.name  # the same file, not a copy
        meet.full_clean()
        meet.save()
        meet.organisers.set(source.organisers.all())
        if not meet.organisers.filter(pk=by.pk).exists() and not by.is_staff:
            meet.organisers.add(by)
        meet.checkin_helpers.set(source.checkin_helpers.all())
        _copy_questions(source, meet)
    return meet


def series_create(
    *,
    meet: Meet,
    pattern: str,
    count: int | None = None,
    until: datetime.date | None = None,
    publish_dates: bool = True,
    today: datetime.date | None = None,
) -> tuple[MeetSeries, list[Meet]]:
    """Repeat `meet` by `pattern`: a series whose first date is `meet`, and the dates of
    the next AHEAD_MONTHS made now. A meet belongs to one series at most."""
    with services._meet_transaction():
        meet = services._lock_meet(meet.pk)
        if meet.series_id is not None:
            raise SeriesError(_("This meet is part of a series already."))
        local = meet.local_start
        series = MeetSeries.objects.create(
            title=meet.title,
            slug=_unique_slug(meet.title, model=MeetSeries),
            description=meet.description,
            rule=build_rule(
                pattern=pattern, start=local.replace(tzinfo=None), count=count, until=until
            ),
            time_zone=meet.time_zone,
            first_date=local.date(),
            start_time=local.time().replace(tzinfo=None),
            duration=meet.ends_at - meet.starts_at,
            venue_name=meet.venue_name,
            venue_address=meet.venue_address,
            venue_country=meet.venue_country,
            latitude=meet.latitude,
            longitude=meet.longitude,
            map_url=meet.map_url,
            capacity=meet.capacity,
            members_only=meet.members_only,
            attendee_visibility=meet.attendee_visibility,
            rsvp_opens_before=meet.starts_at - meet.rsvp_opens_at if meet.rsvp_opens_at else None,
            publish_dates=publish_dates,
            template=meet,
        )
        series.organisers.set(meet.organisers.all())
        series.checkin_helpers.set(meet.checkin_helpers.all())
        meet.series, meet.occurrence = series, meet.starts_at
        meet.save(update_fields=["series", "occurrence"])
        made = series_extend(series=series, today=today)
    return series, made


def series_extend(*, series: MeetSeries, today: datetime.date | None = None) -> list[Meet]:
    """Make the series' dates from `today` to AHEAD_MONTHS ahead that it has not made yet.

    Idempotent: under the series' row lock (PostgreSQL; SQLite's write lock does the
    same) and behind the unique (series, occurrence) constraint, a date is made once
    however often and however concurrently this runs.
    """
    today = today or timezone.localdate()
    horizon = today + relativedelta(months=AHEAD_MONTHS)
    made = []
    with transaction.atomic():
        series = MeetSeries.objects.select_for_update().get(pk=series.pk)
        have = set(Meet.objects.filter(series=series).values_list("occurrence", flat=True))
        template = series.template
        organisers = list(series.organisers.all())
        helpers = list(series.checkin_helpers.all())
        for moment in occurrences(series):
            if moment.date() < today or moment in have:
                continue
            if moment.date() > horizon:
                break
            meet = _make_date(series, moment, template=template)
            if meet is None:
                continue
            meet.organisers.set(organisers)
            meet.checkin_helpers.set(helpers)
            if template is not None:
                _copy_questions(template, meet)
            made.append(meet)
    return made


def _make_date(series: MeetSeries, moment: datetime.datetime, *, template) -> Meet | None:
    meet = Meet(
        title=series.title,
        slug=_unique_slug(f"{series.slug}-{moment:%Y-%m-%d}"),
        description=series.description,
        cover_image=template.cover_image.name if template and template.cover_image else "",
        venue_name=series.venue_name,
        venue_address=series.venue_address,
        venue_country=series.venue_country,
        latitude=series.latitude,
        longitude=series.longitude,
        map_url=series.map_url,
        time_zone=series.time_zone,
        starts_at=moment,
        ends_at=moment + series.duration,
        capacity=series.capacity,
        rsvp_opens_at=moment - series.rsvp_opens_before if series.rsvp_opens_before else None,
        status=Meet.Status.PUBLISHED if series.publish_dates else Meet.Status.DRAFT,
        members_only=series.members_only,
        attendee_visibility=series.attendee_visibility,
        series=series,
        occurrence=moment,
    )
    if template is not None:
        # How a freed place moves up the waiting list (meets/offers.py), as on the first date.
        meet.promotion, meet.offer_hours = template.promotion, template.offer_hours
    try:
        with transaction.atomic():
            meet.save()
    except IntegrityError:
        return None  # made meanwhile by another run: the constraint kept it to one
    return meet


def series_extend_all(*, today: datetime.date | None = None) -> int:
    """The daily run: extend every series that may still have dates to make."""
    today = today or timezone.localdate()
    oldest = today - relativedelta(years=MAX_YEARS)
    made = 0
    for series in MeetSeries.objects.filter(first_date__gte=oldest).order_by("pk"):
        made += len(series_extend(series=series, today=today))
    return made


FUTURE_FIELDS = ("title", "description", "venue_name", "venue_address", "capacity")


def series_update(
    *, series: MeetSeries, changes: dict, apply_to_future: bool
) -> tuple[int, list[Meet]]:
    """Change the series' defaults; with `apply_to_future`, also its dates to come.

    A date that has started is left as it is. A capacity below a date's cars going and
    places held by open offers becomes that count (nobody loses their place, nor an offer
    its place); a raised one promotes
    from the waiting list. Returns (dates changed, dates whose capacity was held up).
    """
    changed, held = 0, []
    with services._meet_transaction():
        series = MeetSeries.objects.select_for_update().get(pk=series.pk)
        for name in FUTURE_FIELDS:
            setattr(series, name, changes[name])
        series.save(update_fields=list(FUTURE_FIELDS))
        if not apply_to_future:
            return 0, []
        future = Meet.objects.filter(series=series, starts_at__gt=timezone.now()).exclude(
            status=Meet.Status.CANCELLED
        )
        for pk in future.order_by("starts_at").values_list("pk", flat=True):
            meet = services._lock_meet(pk)
            # Places taken: cars going and places held by open waiting-list offers.
            taken = services.taken_places(meet)
            going = taken["going"] + taken["held"]
            old_capacity = meet.capacity
            for name in FUTURE_FIELDS:
                setattr(meet, name, changes[name])
            if meet.capacity < going:
                meet.capacity = going
                held.append(meet)
            meet.save(update_fields=list(FUTURE_FIELDS))
            if meet.capacity > old_capacity:
                services._promote(meet)
            changed += 1
    return changed, held
