"""Cars for sale, tied to their record: listings, buyers' enquiries, invitations to join.

Imported at the end of register/models.py, so the models are the register app's.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from register.models import Car


def listing_days() -> int:
    return settings.PADDOCK_LISTING_DAYS


def _club_currency() -> str:
    return settings.PADDOCK_CURRENCY


def _default_expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=listing_days())


class ListingQuerySet(models.QuerySet):
    def live(self, now: datetime.datetime | None = None):
        """Active listings of verified cars, not yet past their expiry: what buyers see.

        A car the registrar later rejects or sends back for review is no longer public:
        nor is its listing, whatever its state says.
        """
        return self.filter(
            state=Listing.State.ACTIVE,
            expires_at__gt=now or timezone.now(),
            car__review_status=Car.Review.VERIFIED,
        )


class Listing(models.Model):
    """An owner offers a verified car for sale; the listing ends in its transfer."""

    class State(models.TextChoices):
        ACTIVE = "active", _("For sale")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")
        SOLD = "sold", _("Sold")

    class SoldTo(models.TextChoices):
        MEMBER = "member", _("A member of the club")
        INVITED = "invited", _("A buyer invited to join the club")
        OUTSIDE = "outside", _("Someone outside the club")

    car = models.ForeignKey(
        Car, on_delete=models.CASCADE, related_name="listings", verbose_name=_("car")
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="listings",
        verbose_name=_("seller"),
    )
    price_cents = models.PositiveIntegerField(_("price (cents)"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=_club_currency)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    sold_to = models.CharField(_("sold to"), max_length=10, choices=SoldTo.choices, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"), default=_default_expiry)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["car"],
                condition=Q(state="active"),
                name="register_listing_one_active_per_car",
                violation_error_message=_("This car is already listed for sale."),
            ),
            models.CheckConstraint(
                condition=Q(state="active", ended_at__isnull=True)
                | (~Q(state="active") & Q(ended_at__isnull=False)),
                name="register_listing_ended_when_not_active",
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self):
        return gettext("%(car)s for sale") % {"car": self.car}

    def get_absolute_url(self):
        return reverse("register:listing", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return (
            self.state == self.State.ACTIVE
            and self.expires_at > timezone.now()
            and self.car.is_verified
        )

    @property
    def shown_state(self) -> str:
        """The state as a reader sees it: an active listing past its date has expired."""
        if self.state == self.State.ACTIVE and not self.is_live:
            return self.State.EXPIRED.label
        return self.get_state_display()

    @property
    def price(self) -> str:
        from django.utils.formats import number_format

        from membership.money import cents_to_decimal

        if self.price_cents is None:
            return gettext("Price on request")
        # A car's price reads best grouped and in whole units: "64,500 EUR" ("64.500 EUR").
        places = 0 if self.price_cents % 100 == 0 else 2
        amount = number_format(
            cents_to_decimal(self.price_cents), places, use_l10n=True, force_grouping=True
        )
        return f"{amount} {self.currency}"


class Enquiry(models.Model):
    """A buyer's conversation with a seller about one listing, through the site."""

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="enquiries", verbose_name=_("listing")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enquiries",
        verbose_name=_("buyer"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last message at"), default=timezone.now)

    class Meta:
        verbose_name = _("enquiry")
        verbose_name_plural = _("enquiries")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "buyer"], name="register_enquiry_one_per_buyer_and_listing"
            )
        ]

    def __str__(self):
        return gettext("Enquiry about %(listing)s") % {"listing": self.listing}

    def get_absolute_url(self):
        return reverse("register:enquiry", args=[self.pk])


class EnquiryMessage(models.Model):
    enquiry = models.ForeignKey(
        Enquiry, on_delete=models.CASCADE, related_name="messages", verbose_name=_("enquiry")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("enquiry message")
        verbose_name_plural = _("enquiry messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["author", "created_at"])]

    def __str__(self):
        return gettext("Message %(pk)s about %(enquiry)s") % {
            "pk": self.pk,
            "enquiry": self.enquiry_id,
        }


class SaleInvitation(models.Model):
    """A car sold to someone not (yet) in the club: they join, then take the car over.

    The e-mail carries a signed token of this row (register.sale.invitation_token); once
    the buyer is an approved member, following it starts the transfer they accept.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the buyer to join")
        TAKEN = "taken", _("Taken over by the buyer")
        CANCELLED = "cancelled", pgettext_lazy("invitation state", "Cancelled")

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("listing")
    )
    car = models.ForeignKey(
        Car, on_delete=models.CASCADE, related_name="sale_invitations", verbose_name=_("car")
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("seller"),
    )
    email = models.EmailField(_("buyer's e-mail address"))
    sold_on = models.DateField(_("date of sale"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sale invitation")
        verbose_name_plural = _("sale invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["car"],
                condition=Q(state="pending"),
                name="register_invitation_one_pending_per_car",
                violation_error_message=_("This car already has a buyer invited to join."),
            )
        ]

    def __str__(self):
        return gettext("Invitation to take over %(car)s") % {"car": self.car}
