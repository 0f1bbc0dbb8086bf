"""The register's counts, kept up to date on write: what the statistics, rarity and filters read.

A `CarTally` row counts the public cars (verified, or accepted unverified) of one model
line that share one value of one dimension:

- "colour": the colour's id ("" for none), whether the car's colour is in dispute, whether
  the car is lost (written off or stolen) and the month it was last seen ("" never);
- "build": the build month ("2011-06", "" unknown);
- "year": the build year ("2011", "" unknown), lost, last seen month (the survival);
- "country", "status", "review": the country code, the life status, the review status.

The statistics page sums a few hundred rows instead of counting 100,000 cars. The rows
change with every car: `car_pre_save`/`car_post_save`/`car_pre_delete`/`car_post_delete`
(connected in register/apps.py) compare the stored row with the new one and move each
count by −1/+1 in one UPDATE (n = n + …), in the transaction of the save; a missing row is made
with an INSERT that ignores a conflict, so two first cars of a colour at once both count.
`note_evidence` (register/lastseen.py) moves a car's last-seen month the same way. Bulk
writes that send no signals (imports, the demo, seed_large) call `rebuild_tallies()`,
which counts everything again in a few GROUP BY queries; `manage.py rebuild_tallies`
repairs the table by hand.

Every change that moves a count bumps the register cache's "tally" scope once committed:
a mileage reading in the same month, a timeline entry or a new photo moves none.
"""

import threading
from collections import Counter
from contextlib import contextmanager

from django.db import connections, models, transaction
from django.db.models import BooleanField, Case, Count, Q, Value, When
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils.translation import gettext_lazy as _

from register.cache import register_cache
from register.facts import COLOUR_FACTS, in_dispute

# Written off or stolen (register/lastseen.py LOST_STATUSES; that module imports models).
LOST = ("written_off", "stolen")
PUBLIC = ("verified", "unverified")  # Car.PUBLIC_STATES
# The fields of a car the tallies count by.
TALLY_FIELDS = (
    "model_line_id",
    "colour_id",
    "disputed_fields",
    "build_date",
    "country",
    "status",
    "review_status",
    "last_seen_on",
)
SCOPE = "tally"


class CarTally(models.Model):
    class Kind(models.TextChoices):
        COLOUR = "colour", _("Colour")
        BUILD = "build", _("Build month")
        YEAR = "year", _("Build year")
        COUNTRY = "country", _("Country")
        STATUS = "status", _("Life status")
        REVIEW = "review", _("Review")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    model_line = models.ForeignKey(
        "register.ModelLine",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("model line"),
    )
    key = models.CharField(_("value"), max_length=20, blank=True)
    disputed = models.BooleanField(_("colour in dispute"), default=False)
    lost = models.BooleanField(_("lost"), default=False)
    seen = models.CharField(_("last seen month"), max_length=7, blank=True)
    n = models.IntegerField(_("cars"), default=0)

    class Meta:
        verbose_name = _("register tally")
        verbose_name_plural = _("register tallies")
        ordering = ["kind", "model_line", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "model_line", "key", "disputed", "lost", "seen"],
                name="register_cartally_one_row_per_key",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.model_line_id} {self.key!r}: {self.n}"


def month(value) -> str:
    """ "2011-06" for a date in June 2011, "" for none."""
    return f"{value.year:04d}-{value.month:02d}" if value else ""


def colour_disputed(disputed_fields: str) -> bool:
    return bool(set(disputed_fields.split(",")) & set(COLOUR_FACTS))


Key = tuple[str, int, str, bool, bool, str]


def tally_keys(row: dict | None) -> list[Key]:
    """The rows a car (its TALLY_FIELDS) counts in: none unless the car is public."""
    if row is None or row["review_status"] not in PUBLIC:
        return []
    line = row["model_line_id"]
    lost = row["status"] in LOST
    seen = month(row["last_seen_on"])
    colour = str(row["colour_id"]) if row["colour_id"] else ""
    return [
        ("colour", line, colour, colour_disputed(row["disputed_fields"]), lost, seen),
        ("build", line, month(row["build_date"]), False, False, ""),
        ("year", line, str(row["build_date"].year) if row["build_date"] else "", False, lost, seen),
        ("country", line, str(row["country"] or ""), False, False, ""),  # a Country
        ("status", line, str(row["status"]), False, False, ""),
        ("review", line, str(row["review_status"]), False, False, ""),
    ]


# A row's key, in the order of `Key`.
KEY_FIELDS = ("kind", "model_line", "key", "disputed", "lost", "seen")


def _update_sql(changes: dict[Key, int], connection) -> tuple[str, list]:
    """UPDATE tally SET n = n + CASE WHEN <key 1> THEN <step 1> … ELSE 0 END WHERE <keys>.

    Written out by hand: built with Q/Case/When, the ORM spent tens of milliseconds
    compiling six six-column conditions twice on every save of a car.
    """
    quote = connection.ops.quote_name
    meta = CarTally._meta
    table, n = quote(meta.db_table), quote(meta.get_field("n").column)
    # Names from the model, quoted; every value is a parameter.
    columns = (quote(meta.get_field(name).column) for name in KEY_FIELDS)
    match = "(" + " AND ".join(f"{column} = %s" for column in columns) + ")"
    whens = " ".join(f"WHEN {match} THEN %s" for _ in changes)
    where = " OR ".join(match for _ in changes)
    sql = f"UPDATE {table} SET {n} = {n} + CASE {whens} ELSE 0 END WHERE {where}"  # noqa: S608  # nosec B608
    params = [value for key, step in changes.items() for value in (*key, step)]
    params += [value for key in changes for value in key]
    return sql, params


def tally_move(old: dict | None, new: dict | None, *, using: str = "default") -> bool:
    """Move the counts from a car as it was to the car as it is; whether any moved.

    Call it in the transaction of the change. Two statements at most: an INSERT of the
    rows a count goes up in that ignores those already there (the unique constraint makes
    it race-free), and one UPDATE that adds −1/+1 to each row in the database (n = n + …).
    """
    delta = Counter(tally_keys(new))
    delta.subtract(tally_keys(old))
    changes = {key: step for key, step in sorted(delta.items()) if step}
    if not changes:
        return False
    rows = CarTally.objects.using(using)
    ups = [key for key, step in changes.items() if step > 0]
    if ups:
        rows.bulk_create(
            [
                CarTally(kind=k, model_line_id=ln, key=v, disputed=d, lost=lo, seen=s)
                for k, ln, v, d, lo, s in ups
            ],
            ignore_conflicts=True,
        )
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(*_update_sql(changes, connection))
    register_cache.bump_on_commit(using, scopes=(SCOPE,))
    return True


# --- Signals (connected in register/apps.py) -----------------------------------------------

_local = threading.local()


def paused() -> bool:
    return getattr(_local, "paused", 0) > 0


@contextmanager
def tallies_paused(*, using: str = "default"):
    """Bulk changes of many cars: no per-car counting; one rebuild once they commit."""
    _local.paused = getattr(_local, "paused", 0) + 1
    try:
        yield
    finally:
        _local.paused -= 1
    rebuild_tallies_on_commit(using=using)


def _stored(car_model, pk, using: str) -> dict | None:
    """The car's counted fields as stored, locked until the transaction ends."""
    cars = car_model._base_manager.using(using).filter(pk=pk)
    if connections[using].in_atomic_block:
        cars = cars.select_for_update()
    return cars.values(*TALLY_FIELDS).first()


def car_pre_save(sender, instance, raw=False, using="default", **kwargs) -> None:
    if raw or paused():
        return
    stored = None
    if instance.pk is not None and not instance._state.adding:
        stored = _stored(sender, instance.pk, using)
    instance._tally_stored = stored


def car_post_save(sender, instance, raw=False, using="default", update_fields=None, **kwargs):
    if raw or paused():
        return
    old = getattr(instance, "_tally_stored", None)
    instance._tally_stored = None
    new = {name: getattr(instance, name) for name in TALLY_FIELDS}
    for name in ("build_date", "last_seen_on"):  # a form or a test may give "2011-06-01"
        new[name] = sender._meta.get_field(name).to_python(new[name])
    if old is not None and update_fields is not None:
        # Fields the save did not write keep their stored values.
        written = set(update_fields)
        for name in TALLY_FIELDS:
            if name not in written and name.removesuffix("_id") not in written:
                new[name] = old[name]
    tally_move(old, new, using=using)


def car_pre_delete(sender, instance, using="default", origin=None, **kwargs) -> None:
    if paused():
        return
    if isinstance(origin, models.QuerySet):
        # A queryset's delete() has just read these rows itself: no query a car.
        instance._tally_stored = {name: getattr(instance, name) for name in TALLY_FIELDS}
    else:
        instance._tally_stored = _stored(sender, instance.pk, using)


def car_post_delete(sender, instance, using="default", **kwargs) -> None:
    if paused():
        return
    tally_move(getattr(instance, "_tally_stored", None), None, using=using)
    instance._tally_stored = None


# --- Counting everything again -------------------------------------------------------------


def fill_tallies(car_model, tally_model, *, using: str = "default") -> int:
    """Count the public cars into empty tallies in six GROUP BY queries; rows written.

    Takes the models so that a migration can pass its historical ones.
    """
    cars = car_model._base_manager.using(using).filter(review_status__in=PUBLIC).order_by()
    lost = Case(
        When(status__in=LOST, then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    disputed = Case(
        When(in_dispute(*COLOUR_FACTS), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    seen = TruncMonth("last_seen_on")
    rows = []

    def add(kind, line, key, n, disputed=False, lost=False, seen=""):
        rows.append(
            tally_model(
                kind=kind,
                model_line_id=line,
                key=key,
                disputed=bool(disputed),
                lost=bool(lost),
                seen=seen,
                n=n,
            )
        )

    by_colour = (
        cars.annotate(d=disputed, lo=lost, s=seen)
        .values("model_line_id", "colour_id", "d", "lo", "s")
        .annotate(n=Count("id"))
    )
    for r in by_colour:
        colour = str(r["colour_id"]) if r["colour_id"] else ""
        add("colour", r["model_line_id"], colour, r["n"], r["d"], r["lo"], month(r["s"]))
    by_month = (
        cars.annotate(m=TruncMonth("build_date"))
        .values("model_line_id", "m")
        .annotate(n=Count("id"))
    )
    for r in by_month:
        add("build", r["model_line_id"], month(r["m"]), r["n"])
    by_year = (
        cars.annotate(y=ExtractYear("build_date"), lo=lost, s=seen)
        .values("model_line_id", "y", "lo", "s")
        .annotate(n=Count("id"))
    )
    for r in by_year:
        year = str(r["y"]) if r["y"] else ""
        add("year", r["model_line_id"], year, r["n"], lost=r["lo"], seen=month(r["s"]))
    for kind, field in (("country", "country"), ("status", "status"), ("review", "review_status")):
        for r in cars.values("model_line_id", field).annotate(n=Count("id")):
            add(kind, r["model_line_id"], r[field], r["n"])
    tally_model._base_manager.using(using).bulk_create(rows, batch_size=500)
    return len(rows)


def rebuild_tallies(*, using: str = "default") -> int:
    """Count every tally again from the cars (seconds at 100,000 cars); rows written."""
    from register.models import Car

    with transaction.atomic(using=using):
        CarTally.objects.using(using).all().delete()
        written = fill_tallies(Car, CarTally, using=using)
        register_cache.bump_on_commit(using, scopes=(SCOPE,))
    return written


def rebuild_tallies_on_commit(*, using: str = "default") -> None:
    """After a bulk change commits (at once outside a transaction)."""
    transaction.on_commit(lambda: rebuild_tallies(using=using), using=using)


# --- Reading -------------------------------------------------------------------------------


def line_colour_counts(model_line_id: int, colour_id: int) -> tuple[int, int, int]:
    """(cars of the line, of the colour settled, of the colour in dispute), one query."""
    cid = str(colour_id)
    found = (
        CarTally.objects.filter(kind="colour", model_line_id=model_line_id)
        .order_by()
        .aggregate(
            line=models.Sum("n"),
            settled=models.Sum("n", filter=Q(key=cid, disputed=False)),
            disputed=models.Sum("n", filter=Q(key=cid, disputed=True)),
        )
    )
    return found["line"] or 0, found["settled"] or 0, found["disputed"] or 0


def counts_by(kind: str, *, lines=None) -> Counter:
    """Public cars per key of one kind (all lines, or those ids), one query."""
    rows = CarTally.objects.filter(kind=kind)
    if lines is not None:
        rows = rows.filter(model_line_id__in=lines)
    found = Counter()
    for key, n in (
        rows.order_by().values("key").annotate(total=models.Sum("n")).values_list("key", "total")
    ):
        if n:
            found[key] += n
    return found


def counts_by_line() -> Counter:
    """Public cars per model line id, one query."""
    rows = CarTally.objects.filter(kind="colour").order_by().values("model_line_id")
    found = Counter()
    for line, n in rows.annotate(total=models.Sum("n")).values_list("model_line_id", "total"):
        found[line] += n or 0
    return found
