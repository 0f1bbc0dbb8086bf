"""`manage.py seed_large`: a large, realistic, invented club for load tests (`make bench`).

100,000 cars over seven model lines, 50,000 members, 1,000 meets and 100,000 RSVPs by
default, with ownership histories, timelines and mileage, written in one transaction
with COPY on PostgreSQL and executemany on SQLite (see Command._insert). Membership and
plaque numbers are handed out directly and their sequences raised past them, so the site
carries on numbering after the seed. With -v 2 it says where the time went.

For the benchmark it also makes:

- `bench-80-going`: a past meet, open to the public, with exactly 80 cars going;
- `bench-burst`: an upcoming published meet with RSVPs open, 45 of its 50 places taken;
- from 20 meets on, also: `bench-250-going` (upcoming, attendee list public, 250 going),
  `bench-burst-500` (100 places, none taken, RSVPs open), the monthly series
  `bench-monthly` with 6 dates, an album of 40 approved photos on `bench-80-going` (one
  small JPEG, referenced by every row) and 200 live for-sale listings;
- the bench members `bench-0000@bench.example` … (password `bench-password-2026`,
  verified e-mail, active, one verified car each, no RSVP anywhere).

Every person, VIN and figure is invented. Its rows are recognisable (members
`@large.example` and `@bench.example`, meets `large-…` and `bench-…`, VINs with
`LRGX` in positions 7–10), so a second run refuses unless `--force` deletes them first.
"""

import datetime
import itertools
import json
import operator
import random
import sys
import time
import zoneinfo
from collections.abc import Sequence as SequenceType
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max, Q, QuerySet
from django.db.models.base import ModelState
from django.utils import timezone
from django_countries.fields import CountryField
from tqdm import tqdm

from accounts.demo import FIRST, LAST, PLACES
from accounts.models import Sequence, User
from meets.album_models import ALBUM_FOLDER
from meets.counts import count_expressions
from meets.models import RSVP, AlbumPhoto, Meet, MeetSeries, Question
from meets.series import Pattern, build_rule, occurrences
from register import cache as register_cache
from register.demo import MARKETS, OPTIONS, PREVIOUS_OWNERS, STATUSES, VIN_ALPHABET
from register.models import (
    Car,
    CarPhoto,
    Claim,
    Colour,
    Listing,
    MileageReading,
    ModelLine,
    Ownership,
    ProductionFigure,
    TimelineEntry,
    Transfer,
)
from register.services import PLAQUE_SEQUENCE
from register.tallies import rebuild_tallies, tallies_paused

MEMBERSHIP_SEQUENCE = "membership-number"
BATCH = 5_000

LARGE_DOMAIN = "large.example"
BENCH_DOMAIN = "bench.example"
BENCH_EMAIL = "bench-{:04d}@" + BENCH_DOMAIN
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - an invented data set for load tests
BENCH_80_SLUG = "bench-80-going"
BENCH_80_GOING = 80
BENCH_BURST_SLUG = "bench-burst"
BURST_CAPACITY = 50
BURST_GOING = 45
# Issue 17's pages and bursts (made when --meets is at least EXTRAS_FROM):
BENCH_BIG_SLUG = "bench-250-going"  # the meet with hundreds of cars, open to the public
BENCH_BIG_GOING = 250
BENCH_BURST_500_SLUG = "bench-burst-500"  # 500 members RSVP at once for 100 places
BURST_500_CAPACITY = 100
BENCH_SERIES_SLUG = "bench-monthly"
SERIES_DATES = 6
ALBUM_PHOTOS = 40  # approved, on the 80-car meet
LISTINGS = 200  # live for-sale listings
EXTRAS_FROM = 20  # meets: the 4 benchmark meets and the series dates need room among them
MEET_SLUG_PREFIX = "large-"
VIN_MARK = "LRGX"  # positions 7–10 of every VIN seed_large makes
FIGURE_SOURCE = "Invented for the benchmark data set (manage.py seed_large)"
# Fields whose Python value is what the database stores (see Command._converter).
PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,
    models.ForeignKey,
    models.IntegerField,
    models.TextField,
)


@dataclass(frozen=True)
class Line:
    name: str
    slug: str
    start: int
    end: int
    share: float  # of all cars
    produced: int  # the primary production figure (invented, rounded)
    vin_code: str  # VIN positions 4–6
    transmissions: tuple[tuple[str, int], ...]
    # name, kind, swatch, weight; special (individual) paints are rare on purpose
    colours: tuple[tuple[str, str, str, float], ...]


STD, SPECIAL = Colour.Kind.STANDARD, Colour.Kind.SPECIAL
MANUAL, AUTO, DCT = Car.Transmission.MANUAL, Car.Transmission.AUTOMATIC, Car.Transmission.DCT
LINES = (
    Line(
        "BMW 1 Series M Coupé (E82)",
        "1m-coupe-e82",
        2011,
        2012,
        0.05,
        6309,
        "UR9",
        ((MANUAL, 1),),
        (
            ("Valencia Orange", STD, "#E8731A", 40),
            ("Alpine White", STD, "#F4F4F0", 30),
            ("Black Sapphire", STD, "#15171C", 30),
            ("Monte Carlo Blue", SPECIAL, "#1F4E9C", 0.03),
            ("Java Green", SPECIAL, "#3E9A3A", 0.05),
            ("Atacama Yellow", SPECIAL, "#E3B81F", 0.03),
        ),
    ),
    Line(
        "BMW M3 (E46)",
        "m3-e46",
        2000,
        2006,
        0.30,
        85_000,
        "BL9",
        ((MANUAL, 60), (AUTO, 40)),
        (
            ("Titanium Silver", STD, "#A7ABAE", 16),
            ("Carbon Black", STD, "#1B2330", 14),
            ("Jet Black", STD, "#0B0B0C", 12),
            ("Silver Grey", STD, "#8E9396", 12),
            ("Laguna Seca Blue", STD, "#3C7BD4", 10),
            ("Alpine White", STD, "#F4F4F0", 10),
            ("Phoenix Yellow", STD, "#E7C21C", 8),
            ("Imola Red", STD, "#B3121A", 8),
            ("Interlagos Blue", STD, "#203A78", 4),
            ("Mystic Blue", STD, "#2E3F62", 4),
            ("Oxford Green", STD, "#23392C", 2),
            ("Techno Violet", SPECIAL, "#4B2C73", 0.08),
            ("Velvet Blue", SPECIAL, "#2B2F6B", 0.1),
            ("Fire Orange", SPECIAL, "#E4521B", 0.05),
        ),
    ),
    Line(
        "BMW M3 Coupé (E92)",
        "m3-coupe-e92",
        2007,
        2013,
        0.22,
        40_000,
        "WD9",
        ((MANUAL, 45), (DCT, 55)),
        (
            ("Alpine White", STD, "#F4F4F0", 18),
            ("Jerez Black", STD, "#1A1C22", 16),
            ("Space Grey", STD, "#5A5E63", 14),
            ("Silverstone", STD, "#B9BDBF", 12),
            ("Melbourne Red", STD, "#8E1B1F", 10),
            ("Interlagos Blue", STD, "#203A78", 8),
            ("Le Mans Blue", STD, "#23469A", 8),
            ("Sparkling Graphite", STD, "#3B3E42", 8),
            ("Black Sapphire", STD, "#15171C", 6),
            ("Dakar Yellow", SPECIAL, "#F0C419", 0.05),
            ("Frozen Grey", SPECIAL, "#6E7276", 0.1),
            ("Fire Orange", SPECIAL, "#E4521B", 0.04),
        ),
    ),
    Line(
        "BMW M2 (F87)",
        "m2-f87",
        2016,
        2020,
        0.25,
        60_000,
        "MJ9",
        ((MANUAL, 40), (DCT, 60)),
        (
            ("Long Beach Blue", STD, "#2F6FB7", 30),
            ("Alpine White", STD, "#F4F4F0", 22),
            ("Black Sapphire", STD, "#15171C", 20),
            ("Mineral Grey", STD, "#5C6166", 14),
            ("Hockenheim Silver", STD, "#A9ADB0", 8),
            ("Sunset Orange", STD, "#E06A1C", 6),
            ("Java Green", SPECIAL, "#3E9A3A", 0.05),
            ("Frozen Grey", SPECIAL, "#6E7276", 0.08),
        ),
    ),
    Line(
        "BMW M5 (E39)",
        "m5-e39",
        1998,
        2003,
        0.10,
        20_000,
        "DE9",
        ((MANUAL, 1),),
        (
            ("Carbon Black", STD, "#1B2330", 22),
            ("Titanium Silver", STD, "#A7ABAE", 20),
            ("Le Mans Blue", STD, "#23469A", 14),
            ("Jet Black", STD, "#0B0B0C", 14),
            ("Silver Grey", STD, "#8E9396", 12),
            ("Anthracite", STD, "#3A3D40", 10),
            ("Imola Red", STD, "#B3121A", 2),
            ("Avus Blue", SPECIAL, "#1E3E8C", 0.08),
        ),
    ),
    Line(
        "BMW Z4 M Coupé (E86)",
        "z4-m-coupe-e86",
        2006,
        2008,
        0.03,
        4_275,
        "DU9",
        ((MANUAL, 1),),
        (
            ("Interlagos Blue", STD, "#203A78", 22),
            ("Black Sapphire", STD, "#15171C", 22),
            ("Silver Grey", STD, "#8E9396", 20),
            ("Sepang Bronze", STD, "#7A5A3A", 14),
            ("Alpine White", STD, "#F4F4F0", 12),
            ("Imola Red", STD, "#B3121A", 10),
            ("Dakar Yellow", SPECIAL, "#F0C419", 0.06),
        ),
    ),
    Line(
        "BMW M3 (E30)",
        "m3-e30",
        1986,
        1991,
        0.05,
        17_970,
        "AK0",
        ((MANUAL, 1),),
        (
            ("Alpine White", STD, "#F4F4F0", 30),
            ("Diamond Black", STD, "#16181C", 20),
            ("Henna Red", STD, "#A3161A", 15),
            ("Brilliant Red", STD, "#C8161D", 10),
            ("Macao Blue", STD, "#2A3E6E", 10),
            ("Lachs Silver", STD, "#B8AFA3", 10),
            ("Jet Black", STD, "#0B0B0C", 5),
            ("Nogaro Silver", SPECIAL, "#9FA4A8", 0.1),
        ),
    ),
)

VENUES = (
    ("Nürburgring, Grand-Prix parking", "DE", "Europe/Berlin", "50.335600", "6.947500"),
    ("Hockenheimring, Motodrom car park", "DE", "Europe/Berlin", "49.327800", "8.565800"),
    ("BMW Welt, Munich", "DE", "Europe/Berlin", "48.176900", "11.556000"),
    ("Circuit de Spa-Francorchamps", "BE", "Europe/Brussels", "50.437200", "5.971400"),
    ("Zandvoort, dune car park", "NL", "Europe/Amsterdam", "52.388700", "4.540900"),
    ("Silverstone, Club car park", "GB", "Europe/London", "52.078600", "-1.016900"),
    ("Goodwood, motor circuit paddock", "GB", "Europe/London", "50.858700", "-0.759400"),
    ("Red Bull Ring, Spielberg", "AT", "Europe/Vienna", "47.219700", "14.764700"),
    ("Monza, Parco", "IT", "Europe/Rome", "45.620500", "9.281100"),
    ("Circuit Paul Ricard", "FR", "Europe/Paris", "43.250600", "5.791700"),
    ("Anderstorp Raceway", "SE", "Europe/Stockholm", "57.264700", "13.601400"),
    ("Laguna Seca, paddock", "US", "America/Los_Angeles", "36.584200", "-121.752600"),
    ("Road America, Elkhart Lake", "US", "America/Chicago", "43.797200", "-87.989700"),
    ("Canadian Tire Motorsport Park", "CA", "America/Toronto", "44.048000", "-78.675500"),
    ("Phillip Island circuit", "AU", "Australia/Melbourne", "-38.502700", "145.231900"),
    ("Fuji Speedway, east car park", "JP", "Asia/Tokyo", "35.372200", "138.927800"),
)
MEET_KINDS = (
    "Spring drive",
    "Summer meet",
    "Track day",
    "Autumn run",
    "Breakfast meet",
    "Concours",
    "Photo shoot",
    "Members' weekend",
)
TIMELINE_EXTRAS = (
    (TimelineEntry.Kind.SERVICE, "Major service at the dealer"),
    (TimelineEntry.Kind.TRACK_DAY, "Nürburgring Nordschleife laps"),
    (TimelineEntry.Kind.MODIFIED, "Coilovers and a lighter exhaust fitted"),
    (TimelineEntry.Kind.RESTORED, "Paint correction and new seals"),
    (TimelineEntry.Kind.ACCIDENT, "Front bumper repaired after a parking knock"),
)
QUESTIONS = ("", "", "Dietary needs", "Dietary needs\nT-shirt size")


_ROW_PLANS: dict = {}


def _row(model, **values):
    """An unsaved `model` instance, made without Model.__init__ (most of the time of
    building 750,000 rows): every field's default, then `values` (related objects by
    their pk). Only for rows this command inserts itself (Command._insert)."""
    plan = _ROW_PLANS.get(model)
    if plan is None:
        fields = model._meta.concrete_fields
        defaults = {f.attname: None if f.generated else f.get_default() for f in fields}
        related = {f.name: f.attname for f in fields if f.is_relation}
        countries = {f.name for f in fields if isinstance(f, CountryField)}
        # Callable defaults (a random check-in code, say) are called for every row.
        fresh = [f for f in fields if f.has_default() and callable(f.default)]
        plan = _ROW_PLANS[model] = (defaults, related, countries, fresh)
    defaults, related, countries, fresh = plan
    obj = model.__new__(model)
    obj._state = ModelState()
    data = obj.__dict__
    data.update(defaults)
    for field in fresh:
        if field.name not in values:
            data[field.attname] = field.get_default()
    for name, value in values.items():
        if name in related:
            data[related[name]] = None if value is None else value.pk
        elif name in countries:  # a Country (car.market) is stored by its code
            data[name] = getattr(value, "code", value)
        else:
            data[name] = value
    return obj


def _weights(pairs: SequenceType[tuple]) -> tuple[list, list]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _cumulative(pairs: SequenceType[tuple]) -> tuple[list, list]:
    """Values and cumulative weights, for rng.choices(values, cum_weights=...)."""
    values, weights = _weights(pairs)
    return values, list(itertools.accumulate(weights))


def _tail(index: int, offset: int) -> str:
    """Seven VIN characters, unique per index (a permutation of 33**7), random-looking."""
    n = (index * 1_000_003 + offset) % 33**7
    chars = []
    for _ in range(7):
        n, digit = divmod(n, 33)
        chars.append(VIN_ALPHABET[digit])
    return "".join(chars)


def _random_date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    span = max((end - start).days, 0)
    return start + datetime.timedelta(days=rng.randrange(span + 1))


def seed_large_rows() -> dict[str, QuerySet]:
    """Querysets of everything seed_large made (for --force and the benchmark's checks)."""
    members = User.objects.filter(
        Q(email__endswith="@" + LARGE_DOMAIN) | Q(email__endswith="@" + BENCH_DOMAIN)
    )
    meets = Meet.objects.filter(Q(slug__startswith=MEET_SLUG_PREFIX) | Q(slug__startswith="bench-"))
    vin_q = Q()
    for line in LINES:
        vin_q |= Q(vin__startswith=f"WBS{line.vin_code}{VIN_MARK}")
    return {"members": members, "meets": meets, "cars": Car.objects.filter(vin_q)}


class Command(BaseCommand):
    help = (
        "Build a large invented club for load tests: 100,000 cars, 50,000 members, "
        "1,000 meets and 100,000 RSVPs by default, with bulk inserts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cars", type=int, default=100_000)
        parser.add_argument("--members", type=int, default=50_000)
        parser.add_argument("--meets", type=int, default=1_000)
        parser.add_argument("--rsvps", type=int, default=100_000)
        parser.add_argument(
            "--bench-members",
            type=int,
            default=64,
            help="Members bench-NNNN@bench.example with one car each and no RSVP (default 64).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete the data of an earlier seed_large run first, instead of refusing.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")

    # -- entry point --------------------------------------------------------------------------

    def handle(self, *args, **options):
        started = self._started = time.monotonic()
        self.rng = random.Random(options["seed"])
        self.progress = not options["no_progress"] and options["verbosity"] > 0
        n_cars, n_members = options["cars"], options["members"]
        n_meets, n_rsvps = options["meets"], options["rsvps"]
        n_bench = options["bench_members"]
        if n_members < n_bench + 200 or n_cars < n_members // 2 or n_meets < 3:
            raise CommandError(
                "Too small: --members must be at least --bench-members + 200, --cars at "
                "least half of --members, and --meets at least 3."
            )

        rows = seed_large_rows()
        if rows["members"].exists() or rows["meets"].exists() or rows["cars"].exists():
            if not options["force"]:
                raise CommandError(
                    "This database already holds seed_large's data (members @large.example, "
                    "meets bench-…/large-…). Run with --force to delete it and seed again."
                )
            self._delete_previous(rows)

        self.laps, self.inserting = [], 0.0
        with transaction.atomic():
            self._tuning()
            lines = self._model_lines()
            members, bench = self._members(n_members, n_bench)
            self._lap("members")
            cars = self._cars(lines, n_cars, n_bench)
            self._lap("cars")
            pool = self._ownerships(cars, members, bench)
            self._lap("ownerships")
            self._timelines(cars)
            self._lap("timelines")
            meets = self._meets(n_meets, pool, n_rsvps)
            self._lap("meets")
            if n_meets >= EXTRAS_FROM:
                self._bench_extras(pool)
            self._index_again()
            self._raise_sequences()
            # The RSVPs went in past the services: every meet's going, waiting and held
            # counters (meets/counts.py) counted once, in one statement.
            Meet.objects.update(**count_expressions())
        self._lap("extras, counters, commit")
        # Bulk inserts send no signals: tell the register's cached figures they are stale.
        register_cache.bump()
        rebuild_tallies()  # the register's counts (register/tallies.py), from the cars
        # What autovacuum would do soon after a bulk load on PostgreSQL; SQLite never does it
        # by itself, and without statistics its planner walked 50,000 members by status to
        # find the 250 of one meet (the gate's cards: 17 ms instead of 2).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        self._lap("analyze")
        took = time.monotonic() - started
        if options["verbosity"] > 1:  # where the time went: building rows or inserting them
            for name, seconds in self.laps:
                self.stdout.write(f"  {name:<16} {seconds:6.1f} s")
            self.stdout.write(f"  of which inserts {self.inserting:6.1f} s")
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_large: {len(cars):,} cars, {len(members):,} members "
                f"({len(bench)} bench members, password {BENCH_PASSWORD}), {meets:,} meets, "
                f"{self.rsvp_count:,} RSVPs in {took:.1f} s on {connection.vendor}"
            )
        )

    # -- plumbing -----------------------------------------------------------------------------

    def _lap(self, name: str) -> None:
        now = time.monotonic()
        last = getattr(self, "_last_lap", self._started)
        self.laps.append((name, now - last))
        self._last_lap = now

    def _bar(self, total: int, desc: str):
        return tqdm(
            total=total,
            desc=f"{desc:<12}",
            unit=" rows",
            unit_scale=True,
            disable=not self.progress,
            file=sys.stderr,
            leave=True,
            dynamic_ncols=True,
        )

    def _insert(self, model, objs: list, desc: str) -> list:
        """Insert `objs` with their pks given here; returns them.

        Django's bulk_create prepares every value of every row through the field's
        get_db_prep_save, which is most of the time of a 100,000-car seed. The rows
        here are plain values made by this command, so they go in as they are: with
        `COPY` on PostgreSQL, `executemany` on SQLite. Bulk inserts send no signals.
        """
        if not objs:
            return objs
        if objs[0].pk is None:
            self._number(model, objs)
        self._unindex(model)
        fields = [f for f in model._meta.concrete_fields if not f.generated]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        # Most values go as the instance holds them (one itemgetter call a row); the few
        # that need converting are put in their place after.
        plain = operator.itemgetter(*[f.attname for f in fields])
        convert = [(i, c) for i, f in enumerate(fields) if (c := self._converter(f))]
        started = time.monotonic()
        with self._bar(len(objs), desc) as bar, connection.cursor() as cursor:
            for start in range(0, len(objs), BATCH):
                chunk = objs[start : start + BATCH]
                rows = [plain(obj.__dict__) for obj in chunk]
                if convert:
                    rows = [list(row) for row in rows]
                    for row, obj in zip(rows, chunk, strict=True):
                        for i, c in convert:
                            row[i] = c(obj)
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(fields))
                    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608
                    cursor.executemany(sql, rows)
                bar.update(len(chunk))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                    cursor.execute(sql)
        self.inserting += time.monotonic() - started
        return objs

    # PostgreSQL keeps every index of a table up to date row by row while COPY fills it: the
    # ownerships' GiST no-overlap index alone made their 175,000 rows take 17 s instead of
    # 0.3 s. As pg_restore does, a table's indexes (and exclusion constraints) go before its
    # load and are built again, each in one pass, after the last (_index_again). Primary keys
    # and unique constraints stay: foreign keys lean on them.
    _INDEXES = """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname,
               pg_get_constraintdef(c.oid)
        FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
        WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
          AND (c.contype IS NULL OR c.contype = 'x')
    """

    def _unindex(self, model) -> None:
        if connection.vendor != "postgresql" or getattr(self, "dropped", None) is None:
            return
        table = model._meta.db_table
        if table in self.dropped:
            return
        with connection.cursor() as cursor:
            cursor.execute(self._INDEXES, [table])
            found = cursor.fetchall()
            quoted = connection.ops.quote_name(table)
            for index, _definition, constraint, _constraint_def in found:
                if constraint:
                    name = connection.ops.quote_name(constraint)
                    cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {name}")  # noqa: S608  # nosec B608
                else:
                    cursor.execute(f"DROP INDEX {index}")  # noqa: S608  # nosec B608
        self.dropped[table] = found

    def _index_again(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for table, found in self.dropped.items():
                quoted = connection.ops.quote_name(table)
                for _index, definition, constraint, constraint_def in found:
                    if constraint:
                        name = connection.ops.quote_name(constraint)
                        cursor.execute(
                            f"ALTER TABLE {quoted} ADD CONSTRAINT {name} {constraint_def}"  # noqa: S608  # nosec B608
                        )
                    else:
                        cursor.execute(definition)
        self.dropped = {}

    @staticmethod
    def _number(model, objs: list) -> None:
        """Give `objs` the next primary keys (this command's transaction is the only writer)."""
        first = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        for pk, obj in enumerate(objs, start=first):
            obj.pk = pk

    @staticmethod
    def _converter(field):
        """How one field's value goes from a model instance to the database, or None when
        the value goes as the instance holds it (text, numbers, keys; dates and times on
        PostgreSQL). Files, decimals, auto_now…: the way Django saves them.
        """
        name = field.attname
        ops = connection.ops
        sqlite = connection.vendor == "sqlite"
        if isinstance(field, models.JSONField):
            return lambda obj: json.dumps(obj.__dict__[name])
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
        if isinstance(field, models.DateTimeField):
            return (
                (lambda obj: ops.adapt_datetimefield_value(obj.__dict__[name])) if sqlite else None
            )
        if isinstance(field, models.DateField):
            return (lambda obj: ops.adapt_datefield_value(obj.__dict__[name])) if sqlite else None
        if isinstance(field, PLAIN_FIELDS) and not isinstance(field, models.FileField):
            return None
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)

    def _tuning(self) -> None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")  # 256 MB for this connection
        elif connection.vendor == "postgresql":
            self.dropped = {}  # table: the indexes _unindex took away, for _index_again
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # index builds
            # The foreign keys are checked at commit, one trigger a row: 1.5 million checks
            # of keys this command handed out itself. As pg_restore --disable-triggers
            # does, a superuser's load skips them for this transaction (the SQLite tests
            # check them); anyone else's load keeps them.
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            except DatabaseError:
                pass

    def _delete_previous(self, rows) -> None:
        self.stdout.write("Deleting the data of the earlier seed_large run…")
        members, meets, cars = rows["members"], rows["meets"], rows["cars"]
        # No per-car counting while 100,000 cars go: the tallies rebuilt once, after.
        with transaction.atomic(), tallies_paused():
            RSVP.objects.filter(
                Q(meet__in=meets) | Q(car__in=cars) | Q(member__in=members)
            ).delete()
            meets.delete()
            MeetSeries.objects.filter(slug=BENCH_SERIES_SLUG).delete()
            for model in (
                Listing,
                Ownership,
                TimelineEntry,
                MileageReading,
                CarPhoto,
                Claim,
                Transfer,
            ):
                model.objects.filter(car__in=cars).delete()
            cars.delete()
            EmailAddress.objects.filter(user__in=members).delete()
            members.delete()

    # -- the register's model lines -----------------------------------------------------------

    def _model_lines(self) -> list[tuple[Line, ModelLine, list[Colour], list[float]]]:
        result = []
        for spec in LINES:
            line, _ = ModelLine.objects.get_or_create(
                name=spec.name,
                defaults={
                    "marque": "BMW",
                    "slug": spec.slug,
                    "production_start": spec.start,
                    "production_end": spec.end,
                },
            )
            if not line.figures.filter(is_primary=True).exists():
                ProductionFigure.objects.create(
                    model_line=line,
                    label="cars built (rounded)",
                    count=spec.produced,
                    source=FIGURE_SOURCE,
                    is_primary=True,
                )
            colours, weights = [], []
            for name, kind, swatch, weight in spec.colours:
                colour, _ = Colour.objects.get_or_create(
                    model_line=line, name=name, defaults={"kind": kind, "swatch": swatch}
                )
                colours.append(colour)
                weights.append(weight)
            result.append((spec, line, colours, weights))
        return result

    # -- members ------------------------------------------------------------------------------

    def _members(self, n_members: int, n_bench: int) -> tuple[list[User], list[User]]:
        rng = self.rng
        password = make_password(BENCH_PASSWORD)  # hashed once: hashing is slow on purpose
        numbers = [
            User.objects.aggregate(m=Max("membership_number"))["m"] or 0,
            Sequence.objects.filter(name=MEMBERSHIP_SEQUENCE)
            .values_list("last_value", flat=True)
            .first()
            or 0,
        ]
        next_number = max(numbers) + 1
        today = timezone.localdate()
        now = timezone.now()
        statuses = _weights(
            [
                (User.Status.ACTIVE, 88),
                (User.Status.PENDING, 5),
                (User.Status.LAPSED, 5),
                (User.Status.RESIGNED, 2),
            ]
        )
        visibilities = _weights(
            [
                (User.Visibility.PUBLIC, 25),
                (User.Visibility.MEMBERS, 65),
                (User.Visibility.NOBODY, 10),
            ]
        )
        users = []
        for index in range(n_members):
            bench = index < n_bench
            status = User.Status.ACTIVE if bench else rng.choices(*statuses)[0]
            country, city = PLACES[rng.randrange(len(PLACES))]
            first, last = rng.choice(FIRST), rng.choice(LAST)
            since = _random_date(rng, datetime.date(2012, 1, 1), today)
            numbered = status != User.Status.PENDING
            renewal = since.replace(year=today.year, day=min(since.day, 28))
            if status == User.Status.ACTIVE and renewal < today:
                renewal = renewal.replace(year=today.year + 1)
            elif status != User.Status.ACTIVE:
                renewal = renewal.replace(year=today.year - 1)
            user = _row(
                User,
                email=(
                    BENCH_EMAIL.format(index) if bench else f"member-{index:05d}@{LARGE_DOMAIN}"
                ),
                password=password,
                display_name=(
                    f"Bench Member {index:04d}"
                    if bench
                    else (f"{first} {last}" if rng.random() < 0.95 else "")
                ),
                country=country,
                city=city if rng.random() < 0.8 else "",
                name_visibility=rng.choices(*visibilities)[0],
                directory_listed=rng.random() < 0.85,
                show_location=rng.random() < 0.3,
                membership_status=status,
                membership_number=next_number if numbered else None,
                member_since=since if numbered else None,
                renewal_date=renewal if numbered else None,
                date_joined=now - datetime.timedelta(days=(today - since).days + 3),
                is_active=True,
            )
            if numbered:
                next_number += 1
            users.append(user)
        self._insert(User, users, "members")
        self._insert(
            EmailAddress,
            [_row(EmailAddress, user=u, email=u.email, verified=True, primary=True) for u in users],
            "e-mails",
        )
        return users, users[:n_bench]

    # -- cars ---------------------------------------------------------------------------------

    def _cars(self, lines, n_cars: int, n_bench: int) -> list[Car]:
        rng = self.rng
        counts = [int(spec.share * n_cars) for spec, *_ in lines]
        counts[1] += n_cars - sum(counts)  # the largest line takes the rounding
        plan = [i for i, count in enumerate(counts) for _ in range(count)]
        rng.shuffle(plan)

        plaque = (
            max(
                Car.objects.aggregate(m=Max("plaque_number"))["m"] or 0,
                Sequence.objects.filter(name=PLAQUE_SEQUENCE)
                .values_list("last_value", flat=True)
                .first()
                or 0,
            )
            + 1
        )
        offset = rng.randrange(33**7)
        markets = [(code, weight) for code, weight, _rhd in MARKETS]
        rhd = {code for code, _weight, is_rhd in MARKETS if is_rhd}
        market_codes, market_cum = _cumulative(markets)
        status_values, status_cum = _cumulative(STATUSES)
        review_values, review_cum = _cumulative(
            [
                (Car.Review.VERIFIED, 85),
                (Car.Review.UNVERIFIED, 10),
                (Car.Review.PENDING, 4),
                (Car.Review.REJECTED, 1),
            ]
        )
        gearboxes = {i: _cumulative(spec.transmissions) for i, (spec, *_) in enumerate(lines)}
        first_registered = timezone.now() - datetime.timedelta(days=365 * 13)
        # Precomputed per line: its colour choices for every car, its transmissions.
        colour_picks = {
            i: iter(rng.choices(colours, weights=weights, k=counts[i]))
            for i, (_spec, _line, colours, weights) in enumerate(lines)
        }
        cars = []
        for index, line_index in enumerate(plan):
            spec, line, _colours, _weights_ = lines[line_index]
            market = rng.choices(market_codes, cum_weights=market_cum)[0]
            status = rng.choices(review_values, cum_weights=review_cum)[0]
            gearbox_values, gearbox_cum = gearboxes[line_index]
            # The first few cars are the bench members': always verified.
            if index < n_bench:
                status = Car.Review.VERIFIED
            created = first_registered + datetime.timedelta(minutes=rng.randrange(13 * 525_600))
            car = _row(
                Car,
                vin=f"WBS{spec.vin_code}{VIN_MARK}{_tail(index, offset)}",
                model_line=line,
                colour=next(colour_picks[line_index]),
                build_date=datetime.date(rng.randint(spec.start, spec.end), rng.randint(1, 12), 1),
                market=market,
                country=market if rng.random() < 0.88 else rng.choice(market_codes),
                transmission=rng.choices(gearbox_values, cum_weights=gearbox_cum)[0],
                steering=Car.Steering.RIGHT if market in rhd else Car.Steering.LEFT,
                options="\n".join(rng.sample(OPTIONS, rng.randrange(0, 4))),
                status=rng.choices(status_values, cum_weights=status_cum)[0],
                vin_visibility=(
                    Car.VinVisibility.FULL if rng.random() < 0.2 else Car.VinVisibility.LAST7
                ),
                review_status=status,
                plaque_number=plaque if status == Car.Review.VERIFIED else None,
                verified_at=(
                    created + datetime.timedelta(days=rng.randrange(1, 30))
                    if status == Car.Review.VERIFIED
                    else None
                ),
                rejection_reason=(
                    "We could not match the VIN to the photos." if status == "rejected" else ""
                ),
                created_at=created,
            )
            if status == Car.Review.VERIFIED:
                plaque += 1
            cars.append(car)
        # Numbered now, inserted once _ownerships has named who registered the pending
        # ones (foreign keys are checked at commit): no second pass over 5,000 rows.
        self._number(Car, cars)
        return cars

    # -- ownership histories ------------------------------------------------------------------

    def _ownerships(self, cars, members, bench) -> list[tuple[User, Car]]:
        """1–3 owners a car, the last often a member. Returns who can come to meets:
        (member, car) pairs, one per member, never a bench member."""
        rng = self.rng
        today = timezone.localdate()
        active = [
            m
            for m in members[len(bench) :]
            if m.membership_status == User.Status.ACTIVE and m.is_active
        ]
        everyone = members[len(bench) :]
        visibility = list(Ownership.Visibility.values)
        # Bench members get the first verified cars, one each.
        verified = (c for c in cars if c.review_status == Car.Review.VERIFIED)
        bench_cars = {}
        for member in bench:
            bench_cars[next(verified).pk] = member
        ownerships, pool, seen = [], [], set()
        self.starts = {}
        for car in cars:
            delivered = car.build_date + datetime.timedelta(days=rng.randrange(20, 90))
            owners = rng.choices((1, 2, 3), weights=(45, 35, 20))[0]
            changes = sorted(_random_date(rng, delivered, today) for _ in range(owners - 1))
            starts = [delivered, *changes]
            self.starts[car.pk] = starts  # for the timeline
            bench_member = bench_cars.get(car.pk)
            needs_member = car.review_status in (Car.Review.PENDING, Car.Review.REJECTED)
            for n, began in enumerate(starts):
                last = n == len(starts) - 1
                member = None
                if last:
                    if bench_member is not None:
                        member = bench_member
                    elif needs_member or rng.random() < 0.55:
                        member = rng.choice(active)
                elif rng.random() < 0.1:
                    member = rng.choice(everyone)
                ownerships.append(
                    _row(
                        Ownership,
                        car=car,
                        member=member,
                        owner_name="" if member else rng.choice(PREVIOUS_OWNERS),
                        name_visibility=rng.choice(visibility),
                        country=car.country if last else car.market,
                        started_on=began,
                        ended_on=None if last else starts[n + 1],
                    )
                )
                if last and member is not None and bench_member is None:
                    if needs_member:
                        car.registered_by = member  # a member's own registration
                    elif member.pk not in seen:
                        seen.add(member.pk)
                        pool.append((member, car))
        self._insert(Ownership, ownerships, "ownerships")
        self._insert(Car, cars, "cars")
        return pool

    # -- timelines and mileage ----------------------------------------------------------------

    def _timelines(self, cars) -> None:
        rng = self.rng
        entries, readings = [], []
        this_year = timezone.localdate().year
        for car in cars:
            starts = self.starts[car.pk]
            entries.append(
                _row(
                    TimelineEntry,
                    car=car,
                    kind=TimelineEntry.Kind.DELIVERED,
                    happened_on=starts[0],
                    system_text="delivered_in" if car.market else "delivered",
                    params={"country": car.market.code} if car.market else {},
                )
            )
            for sold in starts[1:]:
                if rng.random() < 0.6:
                    entries.append(
                        _row(
                            TimelineEntry,
                            car=car,
                            kind=TimelineEntry.Kind.SOLD,
                            happened_on=sold,
                            system_text="sold_on",
                        )
                    )
            if rng.random() < 0.25:
                kind, title = rng.choice(TIMELINE_EXTRAS)
                entries.append(
                    _row(
                        TimelineEntry,
                        car=car,
                        kind=kind,
                        happened_on=starts[0] + datetime.timedelta(days=rng.randrange(100, 3000)),
                        title=title,
                    )
                )
            km = 0
            year = starts[0].year + rng.randrange(1, 4)
            for _ in range(rng.choice((0, 1, 1, 2))):
                if year > this_year:
                    break
                km += rng.randrange(8_000, 40_000)
                readings.append(
                    _row(MileageReading, car=car, read_on=datetime.date(year, 5, 1), kilometres=km)
                )
                year += rng.randrange(2, 5)
        self._insert(TimelineEntry, entries, "timeline")
        self._insert(MileageReading, readings, "mileage")

    # -- meets and RSVPs ----------------------------------------------------------------------

    def _meets(self, n_meets: int, pool: list[tuple[User, Car]], n_rsvps: int) -> int:
        rng = self.rng
        now = timezone.now()
        organisers = [m for m, _car in pool[:400]]
        first_meet = now - datetime.timedelta(days=365 * 12)
        meets = []
        asks: dict[int, str] = {}  # a regular meet's index: its text questions, one a line
        extras = n_meets >= EXTRAS_FROM
        specials = 4 + SERIES_DATES if extras else 2
        for index in range(n_meets - specials):
            venue, country, zone, lat, lon = rng.choice(VENUES)
            # About 85% in the past, the rest in the coming year.
            if rng.random() < 0.85:
                day = first_meet + datetime.timedelta(days=rng.randrange((now - first_meet).days))
            else:
                day = now + datetime.timedelta(days=rng.randrange(2, 365))
            local = day.astimezone(zoneinfo.ZoneInfo(zone)).replace(
                hour=rng.choice((9, 10, 14)), minute=0, second=0, microsecond=0
            )
            upcoming = local > now
            status = Meet.Status.PUBLISHED
            if rng.random() < 0.03:
                status = Meet.Status.CANCELLED
            elif upcoming and rng.random() < 0.05:
                status = Meet.Status.DRAFT
            kind = rng.choice(MEET_KINDS)
            meets.append(
                Meet(
                    title=f"{kind} at {venue.split(',')[0]} {local.year}",
                    slug=f"{MEET_SLUG_PREFIX}{local:%Y-%m-%d}-{index:04d}",
                    description=f"{kind} for the club: {venue}. Bring your car and a friend.",
                    venue_name=venue,
                    venue_country=country,
                    latitude=lat,
                    longitude=lon,
                    time_zone=zone,
                    starts_at=local,
                    ends_at=local + datetime.timedelta(hours=rng.choice((4, 6, 8, 30))),
                    capacity=rng.choice((30, 40, 50, 60, 80, 100, 120, 150, 200, 250)),
                    rsvp_opens_at=local - datetime.timedelta(days=60),
                    status=status,
                    members_only=rng.random() < 0.3,
                    attendee_visibility=rng.choices(
                        list(Meet.AttendeeVisibility.values), weights=(10, 60, 30)
                    )[0],
                    created_at=local - datetime.timedelta(days=90),
                )
            )
            asks[index] = rng.choice(QUESTIONS)  # drawn where the old text field drew it
        ring = now - datetime.timedelta(days=7)
        meets.append(
            Meet(
                title="Benchmark meet: 80 cars going",
                slug=BENCH_80_SLUG,
                description="A past meet with exactly 80 cars going, for make bench.",
                venue_name=VENUES[0][0],
                venue_country="DE",
                latitude=VENUES[0][3],
                longitude=VENUES[0][4],
                time_zone="Europe/Berlin",
                starts_at=ring,
                ends_at=ring + datetime.timedelta(hours=8),
                capacity=100,
                status=Meet.Status.PUBLISHED,
                attendee_visibility=Meet.AttendeeVisibility.PUBLIC,
                created_at=ring - datetime.timedelta(days=90),
            )
        )
        burst = now + datetime.timedelta(days=30)
        meets.append(
            Meet(
                title="Benchmark meet: nearly full",
                slug=BENCH_BURST_SLUG,
                description=(
                    f"{BURST_GOING} of {BURST_CAPACITY} places taken: make bench's RSVP burst."
                ),
                venue_name=VENUES[2][0],
                venue_country="DE",
                time_zone="Europe/Berlin",
                starts_at=burst,
                ends_at=burst + datetime.timedelta(hours=5),
                capacity=BURST_CAPACITY,
                rsvp_opens_at=now - datetime.timedelta(days=7),
                status=Meet.Status.PUBLISHED,
                attendee_visibility=Meet.AttendeeVisibility.MEMBERS,
                created_at=now - datetime.timedelta(days=10),
            )
        )
        if extras:
            meets += self._extra_meets(now)
        self._insert(Meet, meets, "meets")
        Question.objects.bulk_create(
            [
                Question(meet_id=meets[index].pk, position=position, label=label)
                for index, text in asks.items()
                for position, label in enumerate(text.splitlines())
            ],
            batch_size=BATCH,
        )
        Through = Meet.organisers.through
        links = []
        for meet in meets:
            for member in rng.sample(organisers, rng.choice((1, 1, 2))):
                links.append(Through(meet_id=meet.pk, user_id=member.pk))
        Through.objects.bulk_create(links, batch_size=BATCH)
        organiser_of = {}
        for link in links:
            organiser_of.setdefault(link.meet_id, link.user_id)

        # RSVPs: the two benchmark meets exactly, the rest spread by capacity.
        regular = meets[: n_meets - specials]
        bench_80, bench_burst = meets[n_meets - specials], meets[n_meets - specials + 1]
        plan = {bench_80.pk: (BENCH_80_GOING, 0), bench_burst.pk: (BURST_GOING, 0)}
        exact = {bench_80.pk, bench_burst.pk}  # never a cancelled RSVP: their counts are exact
        for meet in meets[n_meets - specials + 2 :]:  # the extras: the big one, none elsewhere
            big = min(BENCH_BIG_GOING, len(pool), max(n_rsvps - BENCH_80_GOING - BURST_GOING, 0))
            plan[meet.pk] = (big, 0) if meet.slug == BENCH_BIG_SLUG else (0, 0)
            exact.add(meet.pk)
        left = max(n_rsvps - sum(going for going, _waiting in plan.values()), 0)
        # Drafts and meets whose RSVPs have not opened yet have none.
        wanted = [
            m.capacity * rng.uniform(0.5, 1.25)
            if m.status != Meet.Status.DRAFT and m.rsvp_opens_at <= now
            else 0
            for m in regular
        ]
        scale = left / sum(wanted) if sum(wanted) else 0
        targets = [min(int(w * scale), len(pool)) for w in wanted]
        short = left - sum(targets)
        for i in range(len(targets)):
            if short <= 0:
                break
            if wanted[i] and targets[i] < len(pool):
                targets[i] += 1
                short -= 1
        for meet, target in zip(regular, targets, strict=True):
            going = min(target, meet.capacity)
            plan[meet.pk] = (going, target - going)

        statuses = RSVP.Status
        rsvps = []
        for meet in meets:
            going, waiting = plan[meet.pk]
            if going + waiting == 0:
                continue
            pairs = rng.sample(pool, going + waiting)
            past = meet.ends_at < now
            opened = meet.rsvp_opens_at or meet.created_at
            window = max(int((min(meet.starts_at, now) - opened).total_seconds()), 60)
            created = sorted(
                opened + datetime.timedelta(seconds=rng.randrange(window)) for _ in pairs
            )
            helper = organiser_of.get(meet.pk)
            for n, ((member, car), at) in enumerate(zip(pairs, created, strict=True)):
                status = statuses.GOING if n < going else statuses.WAITLISTED
                cancelled = None
                if status == statuses.GOING and meet.pk not in exact and rng.random() < 0.04:
                    status, cancelled = statuses.CANCELLED, at + datetime.timedelta(days=2)
                came = (
                    past
                    and status == statuses.GOING
                    and meet.status == Meet.Status.PUBLISHED
                    and rng.random() < 0.88
                )
                rsvps.append(
                    _row(
                        RSVP,
                        meet=meet,
                        member=member,
                        car=car,
                        guests=rng.choice((0, 0, 0, 1, 1, 2)),
                        status=status,
                        created_at=at,
                        cancelled_at=cancelled,
                        checked_in_at=(
                            meet.starts_at + datetime.timedelta(minutes=rng.randrange(240))
                            if came
                            else None
                        ),
                        checked_in_by_id=helper if came else None,
                        reminder_sent_at=meet.starts_at - datetime.timedelta(days=1)
                        if past
                        else None,
                    )
                )
        self._insert(RSVP, rsvps, "rsvps")
        self.rsvp_count = len(rsvps)
        return len(meets)

    # -- issue 17's benchmark rows -----------------------------------------------------------

    def _extra_meets(self, now: datetime.datetime) -> list[Meet]:
        """The meet with hundreds of cars, the 500-member burst's meet, a monthly series."""
        berlin = zoneinfo.ZoneInfo("Europe/Berlin")
        venue, country, zone, lat, lon = VENUES[0]
        big = (
            (now + datetime.timedelta(days=3))
            .astimezone(berlin)
            .replace(hour=10, minute=0, second=0, microsecond=0)
        )
        burst = now + datetime.timedelta(days=45)
        meets = [
            Meet(
                title=f"Benchmark meet: {BENCH_BIG_GOING} cars going",
                slug=BENCH_BIG_SLUG,
                description="The meet with hundreds of cars, its attendee list public.",
                venue_name=venue,
                venue_country=country,
                latitude=lat,
                longitude=lon,
                time_zone=zone,
                starts_at=big,
                ends_at=big + datetime.timedelta(hours=8),
                capacity=BENCH_BIG_GOING + 50,
                rsvp_opens_at=now - datetime.timedelta(days=60),
                status=Meet.Status.PUBLISHED,
                attendee_visibility=Meet.AttendeeVisibility.PUBLIC,
                created_at=now - datetime.timedelta(days=90),
            ),
            Meet(
                title="Benchmark meet: 100 places, none taken",
                slug=BENCH_BURST_500_SLUG,
                description="make bench's 500-member RSVP burst.",
                venue_name=VENUES[1][0],
                venue_country="DE",
                time_zone="Europe/Berlin",
                starts_at=burst,
                ends_at=burst + datetime.timedelta(hours=5),
                capacity=BURST_500_CAPACITY,
                rsvp_opens_at=now - datetime.timedelta(days=7),
                status=Meet.Status.PUBLISHED,
                attendee_visibility=Meet.AttendeeVisibility.MEMBERS,
                created_at=now - datetime.timedelta(days=10),
            ),
        ]
        first = (now + datetime.timedelta(days=10)).astimezone(berlin).date()
        start = datetime.time(9, 0)
        series = MeetSeries.objects.create(
            title="Benchmark series: monthly breakfast",
            slug=BENCH_SERIES_SLUG,
            description="A monthly breakfast meet, for make bench's series page.",
            rule=build_rule(
                pattern=Pattern.MONTHLY_WEEKDAY,
                start=datetime.datetime.combine(first, start),
                count=SERIES_DATES,
            ),
            time_zone="Europe/Berlin",
            first_date=first,
            start_time=start,
            duration=datetime.timedelta(hours=3),
            venue_name=VENUES[2][0],
            venue_country="DE",
            capacity=60,
        )
        for moment in occurrences(series):
            meets.append(
                Meet(
                    title=series.title,
                    slug=f"{BENCH_SERIES_SLUG}-{moment:%Y-%m-%d}",
                    description=series.description,
                    venue_name=series.venue_name,
                    venue_country="DE",
                    time_zone=series.time_zone,
                    starts_at=moment,
                    ends_at=moment + series.duration,
                    capacity=series.capacity,
                    status=Meet.Status.PUBLISHED,
                    series=series,
                    occurrence=moment,
                    created_at=now - datetime.timedelta(days=10),
                )
            )
        return meets

    def _bench_extras(self, pool: list[tuple[User, Car]]) -> None:
        """An album of approved photos on the 80-car meet, and cars for sale."""
        rng = self.rng
        now = timezone.now()
        meet = Meet.objects.get(slug=BENCH_80_SLUG)
        going = list(
            RSVP.objects.filter(meet=meet).going().values_list("member_id", "car_id")[:ALBUM_PHOTOS]
        )
        name, (width, height) = self._album_image(meet.pk)
        organiser = meet.organisers.values_list("pk", flat=True).first()
        self._insert(
            AlbumPhoto,
            [
                AlbumPhoto(
                    meet=meet,
                    uploaded_by_id=member,
                    image=name,
                    thumbnail=name,
                    width=width,
                    height=height,
                    caption=f"On the grid, photo {n + 1}",
                    car_id=car,
                    state=AlbumPhoto.State.APPROVED,
                    created_at=meet.ends_at + datetime.timedelta(hours=n + 1),
                    decided_by_id=organiser,
                    decided_at=meet.ends_at + datetime.timedelta(hours=n + 2),
                )
                for n, (member, car) in enumerate(going)
            ],
            "album",
        )
        verified = [(m, c) for m, c in pool if c.review_status == Car.Review.VERIFIED]
        sellers = rng.sample(verified, min(LISTINGS, len(verified)))
        self._insert(
            Listing,
            [
                Listing(
                    car=car,
                    seller=member,
                    price_cents=rng.randrange(20_000, 120_000) * 100,
                    description="Well looked after, full history with the club.",
                    created_at=now - datetime.timedelta(days=rng.randrange(1, 60)),
                    expires_at=now + datetime.timedelta(days=rng.randrange(5, 60)),
                )
                for member, car in sellers
            ],
            "listings",
        )

    @staticmethod
    def _album_image(meet_pk: int) -> tuple[str, tuple[int, int]]:
        """One small JPEG in the meet's (private) album folder, for every photo's row."""
        from io import BytesIO

        from django.core.files.base import ContentFile
        from PIL import Image

        size = (320, 240)
        buffer = BytesIO()
        Image.new("RGB", size, (40, 90, 160)).save(buffer, "JPEG", quality=70)
        storage = AlbumPhoto._meta.get_field("image").storage
        name = storage.save(f"{ALBUM_FOLDER}{meet_pk}/bench.jpg", ContentFile(buffer.getvalue()))
        return name, size

    # -- sequences ----------------------------------------------------------------------------

    def _raise_sequences(self) -> None:
        """Raise both sequences past the numbers handed out, so the site carries on after them."""
        top_member = User.objects.aggregate(m=Max("membership_number"))["m"] or 0
        top_plaque = Car.objects.aggregate(m=Max("plaque_number"))["m"] or 0
        for name, top in ((MEMBERSHIP_SEQUENCE, top_member), (PLAQUE_SEQUENCE, top_plaque)):
            sequence, _ = Sequence.objects.get_or_create(name=name)
            if sequence.last_value < top:
                sequence.last_value = top
                sequence.save(update_fields=["last_value"])
