"""Last seen and survival: when each car was last seen, and how many of a kind survive.

Every piece of evidence that a car still exists moves its `Car.last_seen_on` forward:

- a meet check-in (meets' `rsvp_check_in`, the meet's local date),
- a mileage reading (its date), a timeline entry (its date), a photo (the upload date),
- a sighting (the sightings' moderation, when it accepts one),
- its owner confirming "still mine" from the yearly e-mail (`manage.py send_still_mine`).

Any app records evidence with `note_evidence(car_id, on, kind)`; nothing else writes the
two fields. Deleting evidence does not move the date back.

The statistics page estimates survivors per colour and per build year from these dates
(`survival_estimates`): a range between the share of cars seen lately and the share of
cars not known lost, applied to the production figures.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, transaction
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import ExtractYear, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from config.lib.email import send_templated
from config.lib.site import site_url
from register.cache import register_cache
from register.facts import COLOUR_FACTS, in_dispute
from register.models import Car, Ownership
from register.tallies import TALLY_FIELDS, rebuild_tallies, tally_move

Evidence = Car.Evidence

# --- Evidence ------------------------------------------------------------------------------


def note_evidence(car_id: int, on: datetime.date, kind: str) -> bool:
    """Record that car `car_id` was seen on `on` (a date), by `kind` (a `Car.Evidence`).

    Moves `last_seen_on` forward only, in one UPDATE whose WHERE clause the database
    checks under the row's lock: two notes at once leave the later date, on SQLite and
    PostgreSQL alike. A date in the future (a planned event) is no evidence. Call it
    inside the transaction that stores the evidence; it bumps the register's cache once
    that commits. Returns whether the date moved.
    """
    if isinstance(on, datetime.datetime):
        on = timezone.localtime(on).date() if timezone.is_aware(on) else on.date()
    if on is None or on > timezone.localdate():
        return False
    with transaction.atomic():
        # The row as stored, locked: the tallies count cars by the month last seen.
        stored = Car.objects.select_for_update().filter(pk=car_id).values(*TALLY_FIELDS).first()
        if stored is None or (stored["last_seen_on"] is not None and stored["last_seen_on"] >= on):
            return False
        moved = (
            Car.objects.filter(pk=car_id)
            .filter(Q(last_seen_on__isnull=True) | Q(last_seen_on__lt=on))
            .update(last_seen_on=on, last_seen_kind=kind)
        )
        if moved:
            tally_move(stored, {**stored, "last_seen_on": on})  # only a new month moves one
    if moved:
        # update() sends no signals: this car's page, and what follows last-seen dates.
        register_cache.bump_on_commit(scopes=(f"car:{car_id}", "lastseen"))
    return bool(moved)


def advance_from(cars, evidence, *, date, kind: str, today: datetime.date) -> int:
    """Move `cars`' last seen forward to the newest of `evidence`, in one UPDATE.

    `evidence` is a queryset of rows with a `car` foreign key; `date` names or computes
    the day of each row (a field name, or an expression such as TruncDate). Set-based, so
    it is as fast for 100,000 cars as for 10: the backfill migrations and the demo use it
    with historical models. Returns the number of cars moved.
    """
    dated = evidence.annotate(seen_day=F(date) if isinstance(date, str) else date).filter(
        car=OuterRef("pk"), seen_day__lte=today
    )
    newest = dated.order_by().values("car").annotate(m=Max("seen_day")).values("m")[:1]
    later = Exists(dated) & Q(last_seen_on__isnull=True) | Exists(
        dated.filter(seen_day__gt=OuterRef("last_seen_on"))
    )
    return cars.filter(later).update(last_seen_on=Subquery(newest), last_seen_kind=kind)


def backfill_register(apps, *, today: datetime.date | None = None, cars=None) -> None:
    """Last seen from the register's own evidence: readings, timeline entries, photos.

    `apps`: an app registry (a migration's, or django.apps.apps). Meets' check-ins are
    backfilled by a migration of meets (the register knows no meets).
    """
    today = today or timezone.localdate()
    car_model = apps.get_model("register", "Car")
    cars = cars if cars is not None else car_model.objects.all()
    sources = [
        ("MileageReading", "read_on", Evidence.MILEAGE),
        ("TimelineEntry", "happened_on", Evidence.TIMELINE),
        ("CarPhoto", TruncDate("created_at"), Evidence.PHOTO),
    ]
    for name, date, kind in sources:
        rows = apps.get_model("register", name).objects.all()
        advance_from(cars, rows, date=date, kind=kind, today=today)


def years_ago(today: datetime.date, years: int) -> datetime.date:
    """The same day `years` years earlier (28 February for a 29th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


# --- "Still mine": the yearly e-mail -------------------------------------------------------

STILL_MINE_EVERY = datetime.timedelta(days=365)
STILL_MINE_LINK_VALID = datetime.timedelta(days=60)
STILL_MINE_SALT = "register.still-mine"
# Written off or stolen: nobody is asked whether such a car is still theirs.
LOST_STATUSES = (Car.Status.WRITTEN_OFF, Car.Status.STOLEN)


class StillMineLinkError(Exception):
    """The link was tampered with or has expired; the message is for the member."""


def still_mine_token(*, car_id: int, member_id: int, asked_on: datetime.date) -> str:
    return signing.dumps([car_id, member_id, asked_on.isoformat()], salt=STILL_MINE_SALT)


def still_mine_url(*, car_id: int, member_id: int, asked_on: datetime.date) -> str:
    token = still_mine_token(car_id=car_id, member_id=member_id, asked_on=asked_on)
    return site_url() + reverse("register:still_mine", args=[token])


def still_mine_read(token: str) -> tuple[int, int, datetime.date]:
    """(car id, member id, ask date) of a link the site signed in the last 60 days."""
    try:
        car_id, member_id, asked = signing.loads(
            token, salt=STILL_MINE_SALT, max_age=STILL_MINE_LINK_VALID
        )
        return int(car_id), int(member_id), datetime.date.fromisoformat(asked)
    except signing.SignatureExpired:
        raise StillMineLinkError(
            _(
                "This link has expired: links in the yearly e-mail work for 60 days. "
                "Nothing to worry about; we will ask again next year."
            )
        ) from None
    except (signing.BadSignature, TypeError, ValueError):
        raise StillMineLinkError(
            _("This link is not valid. Please use the link in the e-mail exactly as it came.")
        ) from None


def still_mine_due(today: datetime.date):
    """Public cars, not lost, with a member as current owner, neither confirmed nor asked
    in the last 12 months (each is checked again under its lock before it is asked)."""
    year_ago = today - STILL_MINE_EVERY
    member_owned = Ownership.objects.filter(
        car=OuterRef("pk"),
        ended_on__isnull=True,
        member__is_active=True,
        member__membership_status=User.Status.ACTIVE,
    )
    return (
        Car.objects.public()
        .exclude(status__in=LOST_STATUSES)
        .filter(Exists(member_owned))
        .filter(Q(still_mine_confirmed_on__isnull=True) | Q(still_mine_confirmed_on__lte=year_ago))
        .filter(Q(still_mine_asked_on__isnull=True) | Q(still_mine_asked_on__lte=year_ago))
    )


def still_mine_run(*, today: datetime.date | None = None) -> int:
    """Ask each due car's owner, once a year, whether it is still theirs; the mails sent.

    Run daily from cron. What was done lives in the car's row (`still_mine_asked_on`), set
    under the row's lock in the transaction that queues the mail: a second run, the same
    day or at the same time, finds nothing due and sends nothing twice.
    """
    today = today or timezone.localdate()
    sent = 0
    for pk in list(still_mine_due(today).order_by("pk").values_list("pk", flat=True)):
        try:
            sent += _still_mine_ask(pk=pk, today=today)
        except OperationalError:
            # A lock held too long: nothing of this car was saved; tomorrow's run asks.
            continue
    return sent


def _still_mine_ask(*, pk: int, today: datetime.date) -> int:
    with transaction.atomic():
        car = (
            still_mine_due(today)
            .select_for_update(of=("self",))
            .select_related("model_line", "colour")
            .filter(pk=pk)
            .first()
        )
        if car is None:  # asked by another run meanwhile, or no longer due
            return 0
        owner = car.ownerships.current().select_related("member").first()
        member = owner.member
        Car.objects.filter(pk=pk).update(still_mine_asked_on=today)
        send_templated(
            to=[member.email],
            language=member.language,
            subject=format_lazy(
                gettext_lazy("Is your {model} still yours?"), model=car.model_line.name
            ),
            template="register/email/still_mine.txt",
            context={
                "car": car,
                "member": member,
                "link": still_mine_url(car_id=car.pk, member_id=member.pk, asked_on=today),
                "valid_days": STILL_MINE_LINK_VALID.days,
            },
        )
    return 1


def still_mine_confirm(*, car: Car, member: User, today: datetime.date | None = None) -> None:
    """The owner says the car is still theirs: recorded, and it counts as seen today."""
    today = today or timezone.localdate()
    with transaction.atomic():
        if not car.ownerships.current().filter(member=member).exists():
            raise PermissionDenied(_("Only the car's current owner can confirm it."))
        Car.objects.filter(pk=car.pk).update(still_mine_confirmed_on=today)
        note_evidence(car.pk, today, Evidence.OWNER_CONFIRMED)
        register_cache.bump_on_commit(scopes=(f"car:{car.pk}",))


# --- Survival ------------------------------------------------------------------------------

# Cars seen within this many years count as surely alive (the low end of the range).
SEEN_LATELY_YEARS = 5
# Below this many cars on the register, a group's shares say too little to estimate.
SURVIVAL_MIN_CARS = 10


def _about(value: float, *, up: bool) -> int:
    """Rounded outwards to two significant figures (an estimate is no exact count)."""
    if value < 100:
        return math.ceil(value) if up else math.floor(value)
    step = 10 ** (int(math.log10(value)) - 1)
    return (math.ceil(value / step) if up else math.floor(value / step)) * step


@dataclass
class SurvivalRow:
    """One colour or build year: its production and its cars on the register."""

    label: str
    built: float | None  # production the estimate is against (None: no figure)
    registered: int
    seen: int  # seen in the last SEEN_LATELY_YEARS years
    not_lost: int  # neither written off nor stolen
    scaled: bool = False  # production shared out by the register's cars of the year

    @property
    def enough(self) -> bool:
        return self.registered >= SURVIVAL_MIN_CARS

    @property
    def low(self) -> int | None:
        if self.built is None or not self.enough:
            return None
        return _about(self.built * self.seen / self.registered, up=False)

    @property
    def high(self) -> int | None:
        if self.built is None or not self.enough:
            return None
        return _about(self.built * self.not_lost / self.registered, up=True)

    @property
    def built_shown(self) -> str:
        if self.built is None:
            return "—"
        value = round(self.built)
        text = number_format(value, force_grouping=True)
        return _("about %(count)s") % {"count": text} if self.scaled else text

    @property
    def estimate(self) -> str:
        if self.built is None:
            return _("no production figure")
        if not self.enough:
            return _("too few cars to estimate")
        low, high = self.low, self.high
        if low == high:
            return _("about %(count)s survive") % {"count": number_format(low, force_grouping=True)}
        return _("about %(low)s–%(high)s survive") % {
            "low": number_format(low, force_grouping=True),
            "high": number_format(high, force_grouping=True),
        }


@dataclass
class LineSurvival:
    line: object  # a ModelLine
    primary: object | None  # its primary ProductionFigure
    total: SurvivalRow
    colours: list[SurvivalRow] = field(default_factory=list)
    years: list[SurvivalRow] = field(default_factory=list)


def survival_estimates(cars, line_stats, colours, *, today=None) -> list[LineSurvival]:
    """Survivors per model line, colour and build year, in two aggregate queries.

    `cars`: the public cars the statistics count; `line_stats`: the stats' LineStats (each
    with its figures); `colours`: the lines' colours.
    """
    today = today or timezone.localdate()
    lately = years_ago(today, SEEN_LATELY_YEARS)
    counts = {
        "n": Count("id"),
        # A car written off or stolen last year was seen, but does not survive.
        "seen": Count("id", filter=Q(last_seen_on__gte=lately) & ~Q(status__in=LOST_STATUSES)),
        "not_lost": Count("id", filter=~Q(status__in=LOST_STATUSES)),
    }
    # 1. Per line and colour (no colour too: the line's totals). A car whose colour is in
    #    dispute counts in no colour until the registrar settles it, as in the colour chart.
    by_colour = list(
        cars.order_by()
        .annotate(
            colour_key=Case(When(in_dispute(*COLOUR_FACTS), then=Value(None)), default=F("colour"))
        )
        .values("model_line", "colour_key")
        .annotate(**counts)
    )
    # 2. Per line and build year (no build date too).
    by_year = list(
        cars.order_by()
        .annotate(year=ExtractYear("build_date"))
        .values("model_line", "year")
        .annotate(**counts)
    )
    result = []
    for stats in line_stats:
        pk = stats.line.pk
        primary = stats.primary
        rows = [r for r in by_colour if r["model_line"] == pk]
        total = SurvivalRow(
            label=stats.line.name,
            built=primary.count if primary else None,
            registered=sum(r["n"] for r in rows),
            seen=sum(r["seen"] for r in rows),
            not_lost=sum(r["not_lost"] for r in rows),
        )
        found = {r["colour_key"]: r for r in rows}
        colour_rows = []
        for colour in colours:
            if colour.model_line_id != pk:
                continue
            row = found.get(colour.pk, {"n": 0, "seen": 0, "not_lost": 0})
            colour_rows.append(
                SurvivalRow(
                    label=colour.name,
                    built=colour.reported_production,
                    registered=row["n"],
                    seen=row["seen"],
                    not_lost=row["not_lost"],
                )
            )
        colour_rows.sort(key=lambda r: (-r.registered, r.label))
        dated = [r for r in by_year if r["model_line"] == pk and r["year"] is not None]
        dated_total = sum(r["n"] for r in dated)
        year_rows = [
            SurvivalRow(
                label=str(r["year"]),
                built=primary.count * r["n"] / dated_total if primary and dated_total else None,
                registered=r["n"],
                seen=r["seen"],
                not_lost=r["not_lost"],
                scaled=True,
            )
            for r in sorted(dated, key=lambda r: r["year"])
        ]
        result.append(
            LineSurvival(
                line=stats.line, primary=primary, total=total, colours=colour_rows, years=year_rows
            )
        )
    return result


# --- The demo ------------------------------------------------------------------------------

DEMO_NOT_SEEN = 12  # cars not seen for 5 to 12 years
DEMO_NEVER_SEEN = 3
DEMO_CONFIRMED = 3


def seed_lastseen(stdout) -> None:
    """The demo club's last-seen dates: most cars seen lately (from the demo's readings,
    timeline entries and photos), a dozen not for 5–12 years, a few never, and a few
    confirmed "still mine" by their owners. Running it twice changes nothing."""
    from django.apps import apps as django_apps

    from register.models import MileageReading, TimelineEntry

    if Car.objects.filter(still_mine_confirmed_on__isnull=False).exists():
        stdout.write("  last seen: already there\n")
        return
    today = timezone.localdate()
    member_owned = Ownership.objects.filter(
        car=OuterRef("pk"), ended_on__isnull=True, member__isnull=False
    )
    # Cars no member owns and no photo shows: nobody at the club has seen them for years.
    quiet = (
        Car.objects.public()
        .exclude(Exists(member_owned))
        .filter(photos__isnull=True)
        .exclude(colour__kind="special")
        .order_by("id")
    )
    with transaction.atomic():
        backfill_register(django_apps, today=today)
        never = list(
            quiet.filter(review_status=Car.Review.UNVERIFIED).values_list("pk", flat=True)[
                :DEMO_NEVER_SEEN
            ]
        )
        MileageReading.objects.filter(car__in=never).delete()
        TimelineEntry.objects.filter(car__in=never).delete()
        Car.objects.filter(pk__in=never).update(last_seen_on=None, last_seen_kind="")

        aged = list(quiet.exclude(pk__in=never)[:DEMO_NOT_SEEN])
        for index, car in enumerate(aged):
            # From 5 years and 40 days to about 11 years and 8 months ago.
            last = years_ago(today, 5 + index * 6 // (DEMO_NOT_SEEN - 1))
            last -= datetime.timedelta(days=40 + 17 * index)
            readings = MileageReading.objects.filter(car=car)
            readings.filter(read_on__gte=last).delete()
            TimelineEntry.objects.filter(car=car, happened_on__gt=last).delete()
            km = readings.aggregate(km=Max("kilometres"))["km"] or 20_000
            MileageReading.objects.create(car=car, read_on=last, kilometres=km + 4_000)
            Car.objects.filter(pk=car.pk).update(last_seen_on=last, last_seen_kind=Evidence.MILEAGE)

        confirmed = list(
            Car.objects.public()
            .filter(Exists(member_owned), photos__isnull=True)
            .order_by("id")
            .values_list("pk", flat=True)[:DEMO_CONFIRMED]
        )
        asked = today - datetime.timedelta(days=3)
        Car.objects.filter(pk__in=confirmed).update(
            still_mine_asked_on=asked, still_mine_confirmed_on=asked
        )
        for pk in confirmed:
            note_evidence(pk, asked, Evidence.OWNER_CONFIRMED)
    register_cache.bump()  # bulk changes send no signals
    rebuild_tallies()
    lately = Car.objects.public().filter(last_seen_on__gte=years_ago(today, SEEN_LATELY_YEARS))
    stdout.write(
        f"  last seen: {lately.count()} cars seen in the last {SEEN_LATELY_YEARS} years, "
        f"{len(aged)} not for 5–12 years, {len(never)} never, {len(confirmed)} confirmed "
        "by their owners\n"
    )
