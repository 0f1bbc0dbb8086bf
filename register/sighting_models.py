"""A sighting: someone saw a car and told the register. Imported at the end of models.py."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

# No sighting before the register's cars could be seen on the road (and no typo'd 1909).
EARLIEST_SIGHTING = datetime.date(1990, 1, 1)


class Sighting(models.Model):
    """ "I saw this car": from anyone, waiting for the registrar.

    The reporter (an account, or a name and an e-mail address) is for the registrar only:
    the car's page and the owner's e-mail show the town, the country and the date.
    """

    class Identifier(models.TextChoices):
        PLAQUE = "plaque", _("Plaque number")
        VIN = "vin", _("Full VIN")
        LAST7 = "last7", _("Last 7 characters of the VIN")
        PLATE = "plate", _("Registration plate")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for staff")
        ACCEPTED = "accepted", pgettext_lazy("sighting state", "Accepted")
        REJECTED = "rejected", pgettext_lazy("sighting state", "Rejected")
        LEAD = "lead", _("Lead: no car matched")

    OPEN_STATES = (State.PENDING, State.LEAD)

    identifier_kind = models.CharField(_("identified by"), max_length=6, choices=Identifier.choices)
    identifier = models.CharField(_("identifier"), max_length=20)
    car = models.ForeignKey(
        "register.Car",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sightings",
        verbose_name=_("car"),
    )
    town = models.CharField(_("town"), max_length=80)
    country = CountryField(_("country"))
    seen_on = models.DateField(_("seen on"))
    photo = models.ImageField(_("photo"), upload_to="sightings/", blank=True)
    note = models.TextField(_("note"), blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reporter"),
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=120, blank=True)
    reporter_email = models.EmailField(_("reporter's e-mail address"), blank=True)
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
    # A keyed hash of the reporter's address, for rate limits only: never the address.
    ip_hash = models.CharField(_("address hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("sighting")
        verbose_name_plural = _("sightings")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="accepted") | Q(car__isnull=False),
                name="register_sighting_accepted_has_car",
                violation_error_message=_("An accepted sighting needs a car."),
            ),
            models.CheckConstraint(
                condition=Q(seen_on__gte=EARLIEST_SIGHTING),
                name="register_sighting_not_too_early",
                violation_error_message=_("A sighting cannot be dated before 1990."),
            ),
        ]
        indexes = [
            # The moderation queue: the few open sightings, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(state__in=["pending", "lead"]),
                name="register_sighting_open_queue",
            ),
        ]

    def __str__(self):
        return gettext("Sighting of %(identifier)s in %(town)s on %(date)s") % {
            "identifier": self.identifier,
            "town": self.town,
            "date": self.seen_on,
        }

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES
