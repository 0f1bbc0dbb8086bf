import datetime
import secrets
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.templatetags.tz import do_timezone
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from config.lib.history import HistoricalRecords
from register.models import Car

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def _code() -> str:
    return secrets.token_urlsafe(16)


def in_zone(value, zone):
    """`value` as a wall-clock time in `zone`, which templates then show as it is.

    Templates convert every aware datetime to the site's time zone (TIME_ZONE) before
    formatting it; the result of Django's `timezone` template filter is exempt. Without
    this, a meet in New York showed Berlin's wall-clock time.
    """
    return do_timezone(value, zone)


class MeetQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status__in=[Meet.Status.PUBLISHED, Meet.Status.CANCELLED])

    def upcoming(self):
        return self.published().filter(ends_at__gte=timezone.now()).order_by("starts_at")

    def past(self):
        return self.published().filter(ends_at__lt=timezone.now()).order_by("-starts_at")

    def with_counts(self):
        """The counts a meet's card shows: going, waiting and held come from the meet's
        row (meets/counts.py); checked-in is counted for past meets only (a correlated
        subquery, after LIMIT), the others show no such count."""
        came = (
            RSVP.objects.filter(meet=OuterRef("pk"), checked_in_at__isnull=False)
            .order_by()
            .values("meet")
            .annotate(n=Count("id"))
            .values("n")
        )
        return self.annotate(
            waitlist_count=F("waiting_count"),
            checked_in_count=models.Case(
                models.When(ends_at__lt=timezone.now(), then=Coalesce(Subquery(came), 0)),
                default=models.Value(0),
            ),
        )

    def organised_by(self, user):
        if user.is_staff:
            return self
        return self.filter(organisers=user)


class Meet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    class AttendeeVisibility(models.TextChoices):
        ORGANISERS = "organisers", _("Organisers only")
        MEMBERS = "members", _("Club members")
        PUBLIC = "public", _("Everyone")

    class Promotion(models.TextChoices):
        AUTOMATIC = "automatic", _("Move the next car on the waiting list up at once")
        OFFER = "offer", _("Offer the place to the next car, who accepts within a time limit")

    title = models.CharField(_("title"), max_length=140)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description = models.TextField(_("description"), blank=True)
    cover_image = models.ImageField(_("cover image"), upload_to="meets/", blank=True)
    venue_name = models.CharField(_("venue name"), max_length=140)
    venue_address = models.CharField(_("venue address"), max_length=300, blank=True)
    venue_country = CountryField(_("venue country"), blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    map_url = models.URLField(_("link to an online map"), blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=[(z, z) for z in TIME_ZONES],
        default="Europe/Berlin",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity in cars"))
    rsvp_opens_at = models.DateTimeField(_("RSVPs open"), null=True, blank=True)
    rsvp_closes_at = models.DateTimeField(_("RSVPs close"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    members_only = models.BooleanField(_("members only"), default=False)
    attendee_visibility = models.CharField(
        _("who sees the attendee list"),
        max_length=10,
        choices=AttendeeVisibility.choices,
        default=AttendeeVisibility.MEMBERS,
    )
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organisers"),
        related_name="organised_meets",
        blank=True,
    )
    checkin_helpers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("check-in helpers"),
        related_name="helped_meets",
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    series = models.ForeignKey(
        "meets.MeetSeries",
        verbose_name=_("series"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meets",
    )
    # The start its series' rule gave it: kept when the meet is moved, so the series
    # never makes that date again.
    occurrence = models.DateTimeField(
        _("date in its series"), null=True, blank=True, editable=False
    )
    # Waiting-list offers (meets/offers.py): a freed place is offered, not given.
    promotion = models.CharField(
        _("when a place frees up"),
        max_length=10,
        choices=Promotion.choices,
        default=Promotion.AUTOMATIC,
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("hours to accept an offer"),
        default=24,
        help_text=_("Between 1 and 168 hours (a week)."),
    )
    # Kept up to date under the meet's lock by meets/counts.py: pages read these instead
    # of counting the RSVPs (issue 17).
    going_count = models.PositiveIntegerField(_("cars going"), default=0, editable=False)
    waiting_count = models.PositiveIntegerField(_("cars waiting"), default=0, editable=False)
    held_count = models.PositiveIntegerField(_("places held by offers"), default=0, editable=False)
    # The last save: a calendar file's DTSTAMP and LAST-MODIFIED (meets/ics.py). The
    # counters above are kept with update(), which leaves it alone.
    updated_at = models.DateTimeField(_("last changed"), auto_now=True, editable=False)

    objects = MeetQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("meet")
        verbose_name_plural = _("meets")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="meets_meet_ends_after_start",
                violation_error_message=_("A meet must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(rsvp_closes_at__isnull=True)
                | Q(rsvp_opens_at__isnull=True)
                | Q(rsvp_closes_at__gt=F("rsvp_opens_at")),
                name="meets_meet_rsvp_window_in_order",
                violation_error_message=_("RSVPs must close after they open."),
            ),
            models.UniqueConstraint(
                fields=["series", "occurrence"],
                name="meets_meet_one_per_series_date",
                violation_error_message=_("This series has a meet on that date already."),
            ),
            models.CheckConstraint(
                condition=Q(offer_hours__gte=1, offer_hours__lte=168),
                name="meets_meet_offer_hours_range",
                violation_error_message=_("An offer lasts between 1 and 168 hours."),
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self):
        return self.title

    def save(self, **kwargs):
        # A save of some fields (publishing, cancelling) is a change too: calendars
        # that hold the meet must see it.
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(**kwargs)

    def get_absolute_url(self):
        return reverse("meets:detail", args=[self.slug])

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_start(self):
        return in_zone(self.starts_at, self.tz)

    @property
    def local_end(self):
        return in_zone(self.ends_at, self.tz)

    def checkin_days(self) -> tuple[datetime.date, datetime.date]:
        """The first and last day, in the meet's time zone, on which cars may be checked
        in: from the day before the meet starts (early arrivals, a gate set up the evening
        before) to the day after it ends (late scans entered at the gate)."""
        one_day = datetime.timedelta(days=1)
        return self.local_start.date() - one_day, self.local_end.date() + one_day

    def checkin_open_at(self, when: datetime.datetime) -> bool:
        """Whether a check-in made at `when` falls on one of the meet's check-in days."""
        first, last = self.checkin_days()
        return first <= timezone.localtime(when, self.tz).date() <= last

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def has_started(self) -> bool:
        return timezone.now() >= self.starts_at

    @property
    def is_past(self) -> bool:
        return timezone.now() >= self.ends_at

    @property
    def rsvp_closes(self):
        return self.rsvp_closes_at or self.starts_at

    def rsvp_window_state(self, now=None) -> str:
        """'open', 'not_yet' or 'closed'."""
        now = now or timezone.now()
        if self.rsvp_opens_at and now < self.rsvp_opens_at:
            return "not_yet"
        if now >= self.rsvp_closes:
            return "closed"
        return "open"

    @property
    def map_link(self) -> str:
        if self.map_url:
            return self.map_url
        if self.latitude is not None and self.longitude is not None:
            return (
                "https://www.openstreetmap.org/?mlat="
                f"{self.latitude}&mlon={self.longitude}#map=15/{self.latitude}/{self.longitude}"
            )
        return ""


class RSVPQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status__in=RSVP.LIVE)

    def going(self):
        return self.filter(status=RSVP.Status.GOING)

    def waitlisted(self):
        return self.filter(status=RSVP.Status.WAITLISTED).order_by("created_at", "id")

    def for_list(self):
        from register.models import CarPhoto

        return self.select_related(
            "member", "car", "car__model_line", "car__colour"
        ).prefetch_related(
            models.Prefetch(
                "car__photos",
                queryset=CarPhoto.objects.filter(is_cover=True),
                to_attr="cover_photos",
            )
        )


class RSVP(models.Model):
    class Status(models.TextChoices):
        GOING = "going", _("Going")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    LIVE = (Status.GOING, Status.WAITLISTED)
    MAX_GUESTS = 6

    meet = models.ForeignKey(
        Meet, verbose_name=_("meet"), on_delete=models.CASCADE, related_name="rsvps"
    )
    # Null once the retention period has passed (purge_old_rsvps): the count stays.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rsvps",
    )
    car = models.ForeignKey(
        Car, verbose_name=_("car"), on_delete=models.PROTECT, related_name="rsvps"
    )
    guests = models.PositiveSmallIntegerField(_("guests"), default=0)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.GOING
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checkin_code = models.CharField(
        _("check-in code"), max_length=32, unique=True, default=_code, editable=False
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    # The check-in app's device that checked the car in (meets/models_gate.py), if one did.
    checked_in_device = models.ForeignKey(
        "meets.GateDevice",
        verbose_name=_("checked in by device"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = RSVPQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = [
            models.UniqueConstraint(
                fields=["meet", "member"],
                condition=Q(status__in=["going", "waitlisted"]),
                name="meets_rsvp_one_per_member",
                violation_error_message=_("You already have an RSVP for this meet."),
            ),
            models.UniqueConstraint(
                fields=["meet", "car"],
                condition=Q(status__in=["going", "waitlisted"]),
                name="meets_rsvp_one_per_car",
                violation_error_message=_("This car already has an RSVP for this meet."),
            ),
            models.CheckConstraint(condition=Q(guests__lte=6), name="meets_rsvp_guest_limit"),
        ]
        indexes = [
            models.Index(fields=["meet", "status", "created_at"]),
            models.Index(fields=["car", "checked_in_at"]),
        ]

    def __str__(self):
        return gettext("%(member)s with %(car)s at %(meet)s") % {
            "member": self.member,
            "car": self.car,
            "meet": self.meet,
        }

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def is_checked_in(self) -> bool:
        return self.checked_in_at is not None

    def get_checkin_url(self):
        return reverse("meets:checkin_code", args=[self.checkin_code])


class Message(models.Model):
    """A message organisers sent to a meet's attendees, kept for the record."""

    class Audience(models.TextChoices):
        GOING = "going", _("Everyone going")
        WAITLISTED = "waitlisted", _("Everyone on the waiting list")
        CHECKED_IN = "checked_in", _("Everyone checked in")

    meet = models.ForeignKey(
        Meet, verbose_name=_("meet"), on_delete=models.CASCADE, related_name="messages"
    )
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices)
    subject = models.CharField(_("subject"), max_length=140)
    body = models.TextField(_("body"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return self.subject


# Issue 16's models, each in its own module: the meet album, the check-in app's devices and
# scans, series of meets, waiting-list offers, typed questions.
from meets.album_models import AlbumPhoto  # noqa: E402, F401
from meets.models_gate import GateDevice, GateScan  # noqa: E402, F401
from meets.offer_models import Offer  # noqa: E402, F401
from meets.questions import Question  # noqa: E402, F401
from meets.series_models import MeetSeries  # noqa: E402, F401
