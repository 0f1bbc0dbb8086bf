import secrets
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.templatetags.tz import do_timezone
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

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
        """Going, waiting and checked-in counts as correlated subqueries.

        Unlike a JOIN with GROUP BY, the database counts only for the meets it returns
        (after LIMIT), each from the (meet, status) index.
        """

        def count(**lookups):
            rows = (
                RSVP.objects.filter(meet=OuterRef("pk"), **lookups)
                .order_by()
                .values("meet")
                .annotate(n=Count("id"))
                .values("n")
            )
            return Coalesce(Subquery(rows), 0)

        return self.annotate(
            going_count=count(status=RSVP.Status.GOING),
            waitlist_count=count(status=RSVP.Status.WAITLISTED),
            checked_in_count=count(checked_in_at__isnull=False),
        )

    def organised_by(self, user):
        if user.is_staff:
            return self
        return self.filter(organisers=user)


class Meet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CANCELLED = "cancelled", "Cancelled"

    class AttendeeVisibility(models.TextChoices):
        ORGANISERS = "organisers", "Organisers only"
        MEMBERS = "members", "Club members"
        PUBLIC = "public", "Everyone"

    title = models.CharField(max_length=140)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    cover_image = models.ImageField(upload_to="meets/", blank=True)
    venue_name = models.CharField(max_length=140)
    venue_address = models.CharField(max_length=300, blank=True)
    venue_country = CountryField(blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    map_url = models.URLField("link to an online map", blank=True)
    time_zone = models.CharField(
        max_length=64, choices=[(z, z) for z in TIME_ZONES], default="Europe/Berlin"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField("capacity in cars")
    rsvp_opens_at = models.DateTimeField("RSVPs open", null=True, blank=True)
    rsvp_closes_at = models.DateTimeField("RSVPs close", null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    members_only = models.BooleanField(default=False)
    attendee_visibility = models.CharField(
        "who sees the attendee list",
        max_length=10,
        choices=AttendeeVisibility.choices,
        default=AttendeeVisibility.MEMBERS,
    )
    questions = models.TextField(
        "questions for attendees", blank=True, help_text="One question per line."
    )
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="organised_meets", blank=True
    )
    checkin_helpers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="helped_meets", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MeetQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="meets_meet_ends_after_start",
                violation_error_message="A meet must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(rsvp_closes_at__isnull=True)
                | Q(rsvp_opens_at__isnull=True)
                | Q(rsvp_closes_at__gt=F("rsvp_opens_at")),
                name="meets_meet_rsvp_window_in_order",
                violation_error_message="RSVPs must close after they open.",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self):
        return self.title

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

    @property
    def question_list(self) -> list[str]:
        return [q.strip() for q in self.questions.splitlines() if q.strip()]

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
        GOING = "going", "Going"
        WAITLISTED = "waitlisted", "On the waiting list"
        CANCELLED = "cancelled", "Cancelled"

    LIVE = (Status.GOING, Status.WAITLISTED)
    MAX_GUESTS = 6

    meet = models.ForeignKey(Meet, on_delete=models.CASCADE, related_name="rsvps")
    # Null once the retention period has passed (purge_old_rsvps): the count stays.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rsvps",
    )
    car = models.ForeignKey(Car, on_delete=models.PROTECT, related_name="rsvps")
    guests = models.PositiveSmallIntegerField(default=0)
    answers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GOING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checkin_code = models.CharField(max_length=32, unique=True, default=_code, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    objects = RSVPQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "RSVP"
        constraints = [
            models.UniqueConstraint(
                fields=["meet", "member"],
                condition=Q(status__in=["going", "waitlisted"]),
                name="meets_rsvp_one_per_member",
                violation_error_message="You already have an RSVP for this meet.",
            ),
            models.UniqueConstraint(
                fields=["meet", "car"],
                condition=Q(status__in=["going", "waitlisted"]),
                name="meets_rsvp_one_per_car",
                violation_error_message="This car already has an RSVP for this meet.",
            ),
            models.CheckConstraint(condition=Q(guests__lte=6), name="meets_rsvp_guest_limit"),
        ]
        indexes = [
            models.Index(fields=["meet", "status", "created_at"]),
            models.Index(fields=["car", "checked_in_at"]),
        ]

    def __str__(self):
        return f"{self.member} with {self.car} at {self.meet}"

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
        GOING = "going", "Everyone going"
        WAITLISTED = "waitlisted", "Everyone on the waiting list"
        CHECKED_IN = "checked_in", "Everyone checked in"

    meet = models.ForeignKey(Meet, on_delete=models.CASCADE, related_name="messages")
    audience = models.CharField(max_length=12, choices=Audience.choices)
    subject = models.CharField(max_length=140)
    body = models.TextField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self):
        return self.subject
