"""The Offer model: a place on a full meet held for the next car on the waiting list.

Imported at the end of meets/models.py. The rules (who gets one, when it ends) are in
meets/offers.py.
"""

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from meets.models import RSVP, in_zone


class OfferQuerySet(models.QuerySet):
    def open(self):
        """Offers still holding a place: open, including those past their time that the
        worker has not ended yet (they end, and pass on, under the meet's lock)."""
        return self.filter(state=Offer.State.OPEN)

    def due(self, now=None):
        return self.open().filter(expires_at__lte=now or timezone.now())


class Offer(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    rsvp = models.ForeignKey(
        RSVP, verbose_name=_("RSVP"), on_delete=models.CASCADE, related_name="offers"
    )
    made_at = models.DateTimeField(_("made at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = _("waiting-list offer")
        verbose_name_plural = _("waiting-list offers")
        constraints = [
            models.UniqueConstraint(
                fields=["rsvp"],
                condition=Q(state="open"),
                name="meets_offer_one_open_per_rsvp",
                violation_error_message=_("This RSVP already has an open offer."),
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("made_at")),
                name="meets_offer_expires_after_made",
                violation_error_message=_("An offer must expire after it is made."),
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self):
        return gettext("Offer to %(rsvp)s") % {"rsvp": self.rsvp}

    def is_open(self, now=None) -> bool:
        """Open and not yet past its time: whatever the worker has done so far."""
        return self.state == self.State.OPEN and (now or timezone.now()) < self.expires_at

    @property
    def open_now(self) -> bool:
        return self.is_open()

    def local_expires(self, meet):
        return in_zone(self.expires_at, meet.tz)


def held_places() -> Count:
    """In an aggregate over a meet's RSVPs: the places held by open offers. A held place is
    taken wherever places are counted (RSVPs, promotion, walk-ins, the pages)."""
    return Count("offers", filter=Q(offers__state=Offer.State.OPEN), distinct=True)
