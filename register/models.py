import datetime

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, F, Prefetch, Q, Value
from django.db.models.functions import Coalesce, Right
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import slugify
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from config.lib.history import HistoricalRecords
from register.validators import VIN_SHORT_LENGTH, normalise_vin, validate_vin


class ModelLine(models.Model):
    """A model the club registers, e.g. "BMW 1 Series M Coupé (E82)"."""

    marque = models.CharField(_("marque"), max_length=60)
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    production_start = models.PositiveSmallIntegerField(
        _("production start"), null=True, blank=True
    )
    production_end = models.PositiveSmallIntegerField(_("production end"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("model line")
        verbose_name_plural = _("model lines")
        ordering = ["marque", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(production_end__isnull=True)
                | Q(production_start__isnull=True)
                | Q(production_end__gte=F("production_start")),
                name="register_modelline_years_in_order",
                violation_error_message=_("Production cannot end before it starts."),
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:120]
        super().save(*args, **kwargs)

    @property
    def production_years(self) -> str:
        if self.production_start and self.production_end:
            return f"{self.production_start}–{self.production_end}"
        return str(self.production_start or "")


class ProductionFigure(models.Model):
    """How many were built, according to one source. Sources may disagree: keep them all."""

    model_line = models.ForeignKey(
        ModelLine, on_delete=models.CASCADE, related_name="figures", verbose_name=_("model line")
    )
    label = models.CharField(
        _("label"), max_length=120, help_text=_('e.g. "customer cars" or "all cars"')
    )
    count = models.PositiveIntegerField(_("count"))
    source = models.CharField(_("source"), max_length=200)
    source_url = models.URLField(_("source url"), blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    is_primary = models.BooleanField(
        _("is primary"),
        default=False,
        help_text=_("The figure the club uses for coverage statistics."),
    )

    class Meta:
        verbose_name = _("production figure")
        verbose_name_plural = _("production figures")
        ordering = ["-is_primary", "count"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_line"],
                condition=Q(is_primary=True),
                name="register_figure_one_primary_per_line",
                violation_error_message=_("A model line has only one primary production figure."),
            )
        ]

    def __str__(self):
        return f"{self.model_line}: {self.count} {self.label} ({self.source})"


class Colour(models.Model):
    class Kind(models.TextChoices):
        STANDARD = "standard", _("Standard")
        SPECIAL = "special", _("Special (individual) paint")

    model_line = models.ForeignKey(
        ModelLine, on_delete=models.CASCADE, related_name="colours", verbose_name=_("model line")
    )
    name = models.CharField(_("name"), max_length=80)
    paint_code = models.CharField(_("paint code"), max_length=20, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STANDARD)
    swatch = models.CharField(
        _("swatch"),
        max_length=7,
        default="#888888",
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("A hex colour like #F58220."))],
        help_text=_("A hex colour for charts, e.g. #F58220."),
    )
    reported_production = models.PositiveIntegerField(
        _("reported production"), null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("colour")
        verbose_name_plural = _("colours")
        ordering = ["model_line", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_line", "name"], name="register_colour_unique_name_per_line"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.paint_code})" if self.paint_code else self.name


class CarQuerySet(models.QuerySet):
    def public(self):
        """Cars the public may see: verified ones and accepted unverified records."""
        return self.filter(review_status__in=Car.PUBLIC_STATES)

    def for_list(self):
        """Everything a card of a car shows, in a fixed number of queries."""
        return self.select_related("model_line", "colour").prefetch_related(
            Prefetch(
                "photos",
                queryset=CarPhoto.objects.filter(is_cover=True),
                to_attr="cover_photos",
            )
        )

    def owned_by(self, member):
        # No DISTINCT needed: a car has one current ownership at most (a constraint).
        return self.filter(ownerships__member=member, ownerships__ended_on__isnull=True)


# The register's natural order: by plaque number, cars without one last. One expression
# for ORDER BY and for its index, so both databases can read the first page from the index.
NO_PLAQUE = 2_147_483_647


class Constant(Value):
    """A number written into the SQL itself, not sent as a parameter.

    With server-side binding on PostgreSQL each parameter is numbered ($1, $2…), so a
    DISTINCT query (the admin's search over owners) ordered by PLAQUE_ORDER would list
    COALESCE(…, $3) and order by COALESCE(…, $4), which PostgreSQL refuses as different
    expressions. Written inline, both read COALESCE(…, 2147483647), as the index does.
    """

    def as_sql(self, compiler, connection):
        return str(int(self.value)), []


PLAQUE_ORDER = Coalesce("plaque_number", Constant(NO_PLAQUE))


class Car(models.Model):
    class Review(models.TextChoices):
        PENDING = "pending", _("Waiting for staff")
        VERIFIED = "verified", _("Verified")
        UNVERIFIED = "unverified", _("On the register, not verified")
        REJECTED = "rejected", _("Rejected")

    class Status(models.TextChoices):
        ON_THE_ROAD = "road", _("On the road")
        STORED = "stored", _("Stored")
        OFF_THE_ROAD = "off_road", _("Off the road")
        WRITTEN_OFF = "written_off", _("Written off")
        STOLEN = "stolen", _("Stolen")
        EXPORTED = "exported", _("Exported")
        UNKNOWN = "unknown", _("Unknown")

    class Transmission(models.TextChoices):
        MANUAL = "manual", _("Manual")
        AUTOMATIC = "automatic", _("Automatic")
        DCT = "dct", _("Dual-clutch")
        UNKNOWN = "unknown", _("Unknown")

    class Steering(models.TextChoices):
        LEFT = "lhd", _("Left-hand drive")
        RIGHT = "rhd", _("Right-hand drive")

    class VinVisibility(models.TextChoices):
        LAST7 = "last7", _("Only the last 7 characters")
        FULL = "full", _("The full VIN")

    PUBLIC_STATES = (Review.VERIFIED, Review.UNVERIFIED)

    vin = models.CharField(_("VIN"), max_length=17, unique=True, validators=[validate_vin])
    # The last 7 characters (BMW's convention for the car itself), kept by the database
    # and indexed: a search by them must not scan every VIN.
    vin_tail = models.GeneratedField(
        expression=Right("vin", VIN_SHORT_LENGTH),
        output_field=models.CharField(max_length=VIN_SHORT_LENGTH),
        db_persist=True,
    )
    model_line = models.ForeignKey(
        ModelLine, on_delete=models.PROTECT, related_name="cars", verbose_name=_("model line")
    )
    colour = models.ForeignKey(
        Colour,
        on_delete=models.PROTECT,
        related_name="cars",
        null=True,
        blank=True,
        verbose_name=_("colour"),
    )
    build_date = models.DateField(
        _("build date"),
        null=True,
        blank=True,
        help_text=_("Month of production (the day is always the 1st)."),
    )
    market = CountryField(_("first market"), blank=True)
    country = CountryField(_("where it lives now"), blank=True)
    transmission = models.CharField(
        _("transmission"), max_length=10, choices=Transmission.choices, default=Transmission.MANUAL
    )
    steering = models.CharField(
        _("steering"), max_length=3, choices=Steering.choices, default=Steering.LEFT
    )
    options = models.TextField(
        _("options"), blank=True, help_text=_("Factory options, one per line.")
    )
    status = models.CharField(
        _("life status"), max_length=12, choices=Status.choices, default=Status.ON_THE_ROAD
    )
    story = models.TextField(_("the car's story"), blank=True)
    vin_visibility = models.CharField(
        _("show the public"),
        max_length=5,
        choices=VinVisibility.choices,
        default=VinVisibility.LAST7,
    )
    plaque_number = models.PositiveIntegerField(
        _("plaque number"), null=True, blank=True, editable=False
    )
    # No index of its own: nearly every car is public, so an index on the status would
    # only tempt the planner away from the plaque-order index (see Meta.indexes).
    review_status = models.CharField(
        _("review status"), max_length=10, choices=Review.choices, default=Review.PENDING
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("reviewed by"),
        help_text=_("The staff member who verified or rejected the record."),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The factory facts whose evidence disagrees and the registrar has not settled,
    # comma-separated (register/facts.py): a disputed car is found from an index.
    disputed_fields = models.CharField(
        _("facts in dispute"), max_length=120, blank=True, default="", editable=False
    )
    # Upper case without spaces or hyphens ("M-AB 123" is "MAB123"), so a sighting reported
    # by plate finds the car. Who sees it: plate_visibility below, ruled by register/plates.py.
    registration_plate = models.CharField(
        _("registration plate"),
        max_length=15,
        blank=True,
        db_index=True,
        help_text=_("It lets us match sightings, and the people at a meet's gate find your car."),
    )

    # Last seen (register/lastseen.py keeps these): the date of the newest evidence that
    # the car exists, what that evidence was, and the yearly "still mine" e-mail.
    class Evidence(models.TextChoices):
        CHECK_IN = "check_in", _("meet check-in")
        MILEAGE = "mileage", _("mileage reading")
        TIMELINE = "timeline", _("timeline entry")
        PHOTO = "photo", _("photo")
        SIGHTING = "sighting", _("sighting")
        OWNER_CONFIRMED = "owner", _("owner confirmed")

    last_seen_on = models.DateField(
        _("last seen on"), null=True, blank=True, db_index=True, editable=False
    )
    last_seen_kind = models.CharField(
        _("last seen by"), max_length=10, choices=Evidence.choices, blank=True, editable=False
    )
    still_mine_asked_on = models.DateField(
        _("owner last asked on"), null=True, blank=True, editable=False
    )
    still_mine_confirmed_on = models.DateField(
        _("owner last confirmed on"), null=True, blank=True, editable=False
    )

    class PlateVisibility(models.TextChoices):
        GATE = "gate", _("The club's staff and the organisers and helpers of meets I go to")
        MEMBERS = "members", _("Also every member of the club")
        PUBLIC = "public", _("Anyone, also visitors who are not logged in")

    # Who sees the registration plate besides the owner and staff (register/plates.py).
    plate_visibility = models.CharField(
        _("who sees the plate"),
        max_length=7,
        choices=PlateVisibility.choices,
        default=PlateVisibility.GATE,
    )

    objects = CarQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("car")
        verbose_name_plural = _("cars")
        # Cars without a plaque last, on SQLite and PostgreSQL alike, from an index.
        ordering = [PLAQUE_ORDER, "vin"]
        constraints = [
            models.UniqueConstraint(
                fields=["plaque_number"],
                condition=Q(plaque_number__isnull=False),
                name="register_car_unique_plaque",
            ),
            models.CheckConstraint(
                condition=Q(review_status="verified", plaque_number__isnull=False)
                | ~Q(review_status="verified"),
                name="register_car_verified_has_plaque",
                violation_error_message=_("A verified car needs a plaque number."),
            ),
        ]
        indexes = [
            models.Index(PLAQUE_ORDER, "vin", name="register_car_plaque_order"),
            # The review queue: the few cars waiting for staff, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(review_status="pending"),
                name="register_car_pending_queue",
            ),
            models.Index(fields=["vin_tail"], name="register_car_vin_tail"),
            models.Index(fields=["colour", "review_status"]),
            models.Index(fields=["build_date"]),
            models.Index(
                fields=["id"],
                condition=Q(disputed_fields__gt=""),
                name="register_car_disputed",
            ),
            # The register's filters and its "recently added" sort (register/filters.py).
            models.Index(fields=["status"], name="register_car_status"),
            models.Index(fields=["country"], name="register_car_country"),
            models.Index(fields=["-created_at", "-id"], name="register_car_added"),
        ]

    def __str__(self):
        name = self.model_line.name if self.model_line_id else gettext("Car")
        return f"{name} …{self.vin_short}"

    def get_absolute_url(self):
        return reverse("register:car", args=[self.pk])

    def clean_fields(self, exclude=None):
        # Normalise before the field validators run: "wbsur…" or "WBS-UR…" is a valid VIN.
        self.vin = normalise_vin(self.vin)
        super().clean_fields(exclude)

    def clean(self):
        self.vin = normalise_vin(self.vin)
        if (
            self.colour_id
            and self.model_line_id
            and self.colour.model_line_id != self.model_line_id
        ):
            from django.core.exceptions import ValidationError

            raise ValidationError({"colour": _("This colour belongs to another model line.")})

    @property
    def vin_short(self) -> str:
        return self.vin[-VIN_SHORT_LENGTH:]

    @property
    def public_vin(self) -> str:
        if self.vin_visibility == self.VinVisibility.FULL:
            return self.vin
        return "•" * (len(self.vin) - VIN_SHORT_LENGTH) + self.vin_short

    @property
    def is_public(self) -> bool:
        return self.review_status in self.PUBLIC_STATES

    @property
    def is_verified(self) -> bool:
        return self.review_status == self.Review.VERIFIED

    @property
    def build_year(self):
        return self.build_date.year if self.build_date else None

    @property
    def current_owner(self):
        """The current ownership, from `for_list()`'s prefetch when there is one."""
        if hasattr(self, "current_ownerships"):
            return self.current_ownerships[0] if self.current_ownerships else None
        return self.ownerships.current().select_related("member").first()

    @property
    def cover_photo(self):
        if hasattr(self, "cover_photos"):
            return self.cover_photos[0] if self.cover_photos else None
        return self.photos.filter(is_cover=True).first()


def colour_counts() -> dict[int, int]:
    """Public cars per settled colour id, in one query: the basis of every rarity figure.

    A car whose colour is in dispute (register/facts.py) is not counted in any colour.
    """
    from register.facts import COLOUR_FACTS, in_dispute

    rows = (
        Car.objects.public()
        .exclude(colour=None)
        .exclude(in_dispute(*COLOUR_FACTS))
        .values("colour")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["colour"]: row["n"] for row in rows}


class OwnershipQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_on__isnull=True)

    def overlapping(self, *, car_id: int, started_on, ended_on):
        """The car's periods that share a day with [started_on, ended_on).

        The same rule as the database's exclusion constraint on PostgreSQL (migration
        0007): daterange(started_on, ended_on, '[)') && ... — an open end runs on for
        ever, and a period with no known start, or one that ended the day it began,
        overlaps nothing.
        """
        if started_on is None or (ended_on is not None and ended_on <= started_on):
            return self.none()
        periods = self.filter(car_id=car_id, started_on__isnull=False).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=F("started_on"))
        )
        periods = periods.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=started_on))
        if ended_on is not None:
            periods = periods.filter(started_on__lt=ended_on)
        return periods


class Ownership(models.Model):
    """A dated period in which a person owned a car. Members or, for earlier owners, names."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        MEMBERS = "members", _("Club members only")
        NOBODY = "nobody", _("Nobody")

    car = models.ForeignKey(
        Car, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("car")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ownerships",
        verbose_name=_("member"),
    )
    owner_name = models.CharField(
        _("owner name"),
        max_length=120,
        blank=True,
        help_text=_("For an earlier owner who is not a member."),
    )
    name_visibility = models.CharField(
        _("show a non-member's name to"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
    )
    country = CountryField(_("country"), blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = OwnershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        ordering = ["car", F("started_on").asc(nulls_first=True), "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["car"],
                condition=Q(ended_on__isnull=True),
                name="register_ownership_one_current_per_car",
                violation_error_message=_("A car has only one current owner."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="register_ownership_dates_in_order",
                violation_error_message=_("An ownership cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["member", "ended_on"])]

    def __str__(self):
        who = self.member or self.owner_name or gettext("unknown owner")
        return f"{who} — {self.car_id}"

    def clean(self):
        if not self.car_id:
            return
        clash = (
            Ownership.objects.overlapping(
                car_id=self.car_id, started_on=self.started_on, ended_on=self.ended_on
            )
            .exclude(pk=self.pk)
            .first()
        )
        if clash is not None:
            from django.core.exceptions import ValidationError

            raise ValidationError(overlap_message(clash))

    @property
    def is_current(self) -> bool:
        return self.ended_on is None

    def name_for(self, viewer) -> str:
        """The owner's name as `viewer` may see it."""
        if self.member_id:
            return self.member.name_for(viewer)
        if not self.owner_name:
            return gettext("Unknown owner")
        if self.name_visibility == self.Visibility.PUBLIC:
            return self.owner_name
        is_member = getattr(viewer, "is_active_member", False) or getattr(viewer, "is_staff", False)
        if self.name_visibility == self.Visibility.MEMBERS and is_member:
            return self.owner_name
        if getattr(viewer, "is_staff", False):
            return self.owner_name
        return gettext("Name withheld")


def periods_overlap(a: Ownership, b: Ownership) -> bool:
    """Whether two periods share a day: OwnershipQuerySet.overlapping's rule, in Python."""
    for one in (a, b):
        if one.started_on is None or (one.ended_on is not None and one.ended_on <= one.started_on):
            return False
    return (b.ended_on is None or a.started_on < b.ended_on) and (
        a.ended_on is None or b.started_on < a.ended_on
    )


def overlap_message(clash: Ownership) -> str:
    """What a user is told when a period of ownership would overlap `clash`."""
    return gettext(
        "Ownership periods of a car cannot overlap: another ownership runs from %(start)s "
        "to %(end)s."
    ) % {
        "start": date_format(clash.started_on),
        "end": date_format(clash.ended_on) if clash.ended_on else gettext("today"),
    }


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        SOLD = "sold", _("Sold")
        SERVICE = "service", _("Service")
        RESTORED = "restored", _("Restored")
        REPAINTED = "repainted", _("Repainted")
        MODIFIED = "modified", _("Modified")
        ACCIDENT = "accident", _("Accident")
        TRACK_DAY = "track_day", _("Track day")
        MEET = "meet", _("Meet")
        OTHER = "other", _("Other")
        SIGHTING = "sighting", _("Sighting")

    car = models.ForeignKey(
        Car, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("car")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    happened_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=120, blank=True)
    body = models.TextField(_("details"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # An entry the site writes itself: a key of register.timeline.SYSTEM_TEXTS and its
    # values, worded in the reader's language when shown (title stays empty).
    system_text = models.CharField(_("written by the site"), max_length=30, blank=True)
    params = models.JSONField(_("values"), default=dict, blank=True)

    # The owner may correct or delete an entry: the history keeps what it said.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-happened_on", "-id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self):
        return f"{self.happened_on}: {self.display_title}"

    @property
    def display_title(self) -> str:
        """The member's own title, or the site's wording in the reader's language."""
        if self.system_text:
            from register.timeline import system_title

            return system_title(self.system_text, self.params)
        return self.title


class MileageReading(models.Model):
    car = models.ForeignKey(
        Car, on_delete=models.CASCADE, related_name="mileage_readings", verbose_name=_("car")
    )
    read_on = models.DateField(_("read on"))
    kilometres = models.PositiveIntegerField(_("kilometres"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    flagged = models.BooleanField(
        _("lower than an earlier reading"),
        default=False,
        help_text=_("The owner confirmed a reading that goes back from another one."),
    )

    # The owner may correct or delete a reading: the history keeps what it said.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("mileage reading")
        verbose_name_plural = _("mileage readings")
        ordering = ["-read_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kilometres__lte=5_000_000),
                name="register_mileage_plausible",
                violation_error_message=_("That mileage is not plausible."),
            )
        ]

    def __str__(self):
        return gettext("%(km)s km on %(date)s") % {
            "km": number_format(self.kilometres, force_grouping=True),
            "date": self.read_on,
        }

    def goes_back_from(self) -> "MileageReading | None":
        """Another reading of the car this one contradicts, or None.

        An odometer only counts up: a reading lower than one read on or before its date,
        or higher than one read after it, goes backwards.
        """
        others = MileageReading.objects.filter(car_id=self.car_id).exclude(pk=self.pk)
        return (
            others.filter(read_on__lte=self.read_on, kilometres__gt=self.kilometres)
            .order_by("-read_on", "-id")
            .first()
        ) or (
            others.filter(read_on__gt=self.read_on, kilometres__lt=self.kilometres)
            .order_by("read_on", "id")
            .first()
        )


def _photo_path(instance, filename):
    return f"cars/{instance.car_id}/{filename}"


class CarPhoto(models.Model):
    car = models.ForeignKey(
        Car, on_delete=models.CASCADE, related_name="photos", verbose_name=_("car")
    )
    image = models.ImageField(
        _("image"), upload_to=_photo_path, width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_photo_path)
    width = models.PositiveIntegerField(_("width"), null=True, editable=False)
    height = models.PositiveIntegerField(_("height"), null=True, editable=False)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    is_cover = models.BooleanField(_("is cover"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("car photo")
        verbose_name_plural = _("car photos")
        ordering = ["-is_cover", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["car"], condition=Q(is_cover=True), name="register_photo_one_cover_per_car"
            )
        ]

    def __str__(self):
        return self.caption or gettext("Photo %(photo)s of car %(car)s") % {
            "photo": self.pk,
            "car": self.car_id,
        }

    @property
    def alt_text(self) -> str:
        return self.caption or gettext("Photo of %(car)s") % {"car": self.car}


class Claim(models.Model):
    """A member says they own a car already on the register; staff decide."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for staff")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    car = models.ForeignKey(
        Car, on_delete=models.CASCADE, related_name="claims", verbose_name=_("car")
    )
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="claims",
        verbose_name=_("claimant"),
    )
    evidence = models.TextField(
        _("evidence"), help_text=_("How you came to own it: date, seller, documents.")
    )
    evidence_photo = models.ImageField(_("evidence photo"), upload_to="claims/", blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    reason = models.TextField(_("staff's reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["car", "claimant"],
                condition=Q(state="pending"),
                name="register_claim_one_pending_per_member_and_car",
                violation_error_message=_(
                    "You already have a claim on this car waiting for staff."
                ),
            )
        ]

    def __str__(self):
        return gettext("Claim on %(car)s by %(claimant)s") % {
            "car": self.car,
            "claimant": self.claimant,
        }


class Transfer(models.Model):
    """The owner hands a car to another member, who accepts."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the buyer")
        # A context of their own: a cancelled transfer is "abgebrochen", a meet "abgesagt".
        ACCEPTED = "accepted", pgettext_lazy("transfer state", "Accepted")
        DECLINED = "declined", pgettext_lazy("transfer state", "Declined")
        CANCELLED = "cancelled", pgettext_lazy("transfer state", "Cancelled")

    car = models.ForeignKey(
        Car, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("car")
    )
    from_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="transfers_out",
        verbose_name=_("from member"),
    )
    to_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="transfers_in",
        verbose_name=_("to member"),
    )
    transfer_date = models.DateField(_("transfer date"), default=timezone.localdate)
    note = models.CharField(_("note"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["car"],
                condition=Q(state="pending"),
                name="register_transfer_one_pending_per_car",
                violation_error_message=_("This car already has a transfer waiting."),
            ),
            models.CheckConstraint(
                condition=~Q(from_member=F("to_member")),
                name="register_transfer_to_someone_else",
                violation_error_message=_("You cannot transfer a car to yourself."),
            ),
        ]

    def __str__(self):
        return gettext("Transfer of %(car)s to %(member)s") % {
            "car": self.car,
            "member": self.to_member,
        }


# A verified car's factory facts: its owner proposes a change, the registrar decides.
FACT_FIELDS = ("vin", "model_line", "colour", "build_date", "market", "options")


class CarChangeRequest(models.Model):
    """An owner's proposed change to a verified car's factory facts, for the registrar.

    `changes` holds the proposed values, field by field, as JSON: a foreign key as its id,
    a date in ISO form, a country as its code. The car keeps its verified facts until the
    registrar accepts.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for staff")
        ACCEPTED = "accepted", pgettext_lazy("change request state", "Accepted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    car = models.ForeignKey(
        Car, on_delete=models.CASCADE, related_name="change_requests", verbose_name=_("car")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    changes = models.JSONField(_("proposed values"), default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    reason = models.TextField(_("staff's reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["car"],
                condition=Q(state="pending"),
                name="register_change_one_pending_per_car",
                violation_error_message=_("This car already has a change waiting for staff."),
            )
        ]

    def __str__(self):
        return gettext("Change to %(car)s") % {"car": self.car}

    def proposed_values(self) -> dict:
        """The proposed values as the car's fields hold them (attname -> value)."""
        values = {}
        for name, value in self.changes.items():
            field = Car._meta.get_field(name)
            if isinstance(field, models.DateField) and value:
                value = datetime.date.fromisoformat(value)
            values[field.attname] = value
        return values


def fact_json(value):
    """A factory fact as a change request keeps it: an id, an ISO date, a country code."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, int | str):
        return value
    return str(value)  # a Country: its code


def car_fact(car: Car, name: str):
    """The car's own value of a factory fact, in the form fact_json gives."""
    return fact_json(getattr(car, Car._meta.get_field(name).attname)) or None


def attach_diffs(requests: list[CarChangeRequest]) -> None:
    """Give each request `.diff`, rows of (label, now, proposed), in two queries at most."""
    from django_countries import countries

    colour_ids = {r.changes.get("colour") for r in requests} - {None}
    line_ids = {r.changes.get("model_line") for r in requests} - {None}
    colours = Colour.objects.in_bulk(colour_ids) if colour_ids else {}
    lines = ModelLine.objects.in_bulk(line_ids) if line_ids else {}

    def shown(name: str, value) -> str:
        if value in (None, ""):
            return "—"
        if name == "colour":
            return str(colours.get(value, value))
        if name == "model_line":
            return str(lines.get(value, value))
        if name == "build_date":
            return date_format(datetime.date.fromisoformat(value), "YEAR_MONTH_FORMAT")
        if name == "market":
            return countries.name(value) or value
        if name == "options":
            return ", ".join(line.strip() for line in value.splitlines() if line.strip())
        return str(value)

    for request in requests:
        car = request.car
        colours.setdefault(car.colour_id, car.colour)
        lines.setdefault(car.model_line_id, car.model_line)
        request.diff = [
            (
                Car._meta.get_field(name).verbose_name,
                shown(name, car_fact(car, name)),
                shown(name, value),
            )
            for name, value in request.changes.items()
        ]


# Every factory fact with its source (the evidence behind the car's own fields).
from register.facts import CarFact, FactSettlement  # noqa: E402, F401

# Cars for sale (listings, enquiries, invitations): their own module, the register's models.
from register.models_sale import (  # noqa: E402, F401
    Enquiry,
    EnquiryMessage,
    Listing,
    SaleInvitation,
)

# Sightings: "I saw this car" from anyone, for the registrar (register/sightings.py).
from register.sighting_models import Sighting  # noqa: E402, F401

# The register's counts, kept up to date on write (statistics, rarity, filters).
from register.tallies import CarTally  # noqa: E402, F401
