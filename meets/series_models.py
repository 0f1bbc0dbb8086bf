"""A series of meets: one rule (an RFC 5545 RRULE) and the defaults of each date.

Every date of a series is a Meet of its own, with its own RSVPs and capacity; the series
holds what the dates have in common and makes them ahead of time (meets/series.py).
Imported at the end of meets/models.py.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from meets.models import TIME_ZONES, Meet


class MeetSeries(models.Model):
    title = models.CharField(_("title"), max_length=140)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description = models.TextField(_("description"), blank=True)
    # The RRULE line only (e.g. FREQ=MONTHLY;COUNT=12;BYDAY=+1SU): its DTSTART is the
    # first date at the local start time below, in the series' time zone.
    rule = models.CharField(_("recurrence rule (RFC 5545)"), max_length=200)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=[(z, z) for z in TIME_ZONES],
        default="Europe/Berlin",
    )
    first_date = models.DateField(_("first date"))
    start_time = models.TimeField(_("local start time"))
    duration = models.DurationField(_("duration"))
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
    capacity = models.PositiveIntegerField(_("capacity in cars"))
    members_only = models.BooleanField(_("members only"), default=False)
    attendee_visibility = models.CharField(
        _("who sees the attendee list"),
        max_length=10,
        choices=Meet.AttendeeVisibility.choices,
        default=Meet.AttendeeVisibility.MEMBERS,
    )
    # RSVPs for each date open this long before it starts (empty: as soon as it is made).
    rsvp_opens_before = models.DurationField(
        _("RSVPs open before each date"), null=True, blank=True
    )
    publish_dates = models.BooleanField(
        _("publish new dates"),
        default=True,
        help_text=_("Off: new dates are drafts, published one by one."),
    )
    # The meet it was repeated from: new dates take its questions and cover image.
    template = models.ForeignKey(
        Meet,
        verbose_name=_("repeated from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organisers"),
        related_name="organised_series",
        blank=True,
    )
    checkin_helpers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("check-in helpers"),
        related_name="helped_series",
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["title"]
        verbose_name = _("series of meets")
        verbose_name_plural = _("series of meets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration__gt=datetime.timedelta(0)),
                name="meets_series_lasts",
                violation_error_message=_("A meet must end after it starts."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("meets:series", args=[self.slug])

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def dtstart(self) -> datetime.datetime:
        """The first date's start as a wall-clock time (naive): what the rule counts from."""
        return datetime.datetime.combine(self.first_date, self.start_time)
