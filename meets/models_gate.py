"""The check-in app's devices and the scans they send (meets/gate.py, meets/gate_api.py).

A `GateDevice` is a phone or tablet at one meet's gate, holding a secret token the
organiser's page showed once; only its SHA-256 is stored. A `GateScan` is one check-in or
walk-in a device sent, kept under the device's own id for it (`client_id`), so a batch
sent again after a lost answer changes nothing and gets the same results.
"""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class GateDeviceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class GateDevice(models.Model):
    meet = models.ForeignKey(
        "meets.Meet", verbose_name=_("meet"), on_delete=models.CASCADE, related_name="gate_devices"
    )
    name = models.CharField(_("name"), max_length=60)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    objects = GateDeviceQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("check-in device")
        verbose_name_plural = _("check-in devices")

    def __str__(self):
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


class GateScan(models.Model):
    class Result(models.TextChoices):
        CHECKED_IN = "checked_in", _("Checked in")
        ALREADY = "already", _("Already checked in")
        REFUSED = "refused", _("Refused")

    device = models.ForeignKey(
        GateDevice, verbose_name=_("device"), on_delete=models.CASCADE, related_name="scans"
    )
    client_id = models.UUIDField(_("the device's id for it"), default=uuid.uuid4)
    rsvp = models.ForeignKey(
        "meets.RSVP",
        verbose_name=_("RSVP"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gate_scans",
    )
    walk_in = models.BooleanField(_("walk-in"), default=False)
    scanned_at = models.DateTimeField(_("scanned at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    # Why a scan was refused: a key of meets.gate.REASONS, worded when answered.
    reason = models.CharField(_("reason"), max_length=20, blank=True)
    odometer_km = models.PositiveIntegerField(_("odometer (km)"), null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("gate scan")
        verbose_name_plural = _("gate scans")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "client_id"], name="meets_gatescan_once_per_device"
            )
        ]

    def __str__(self):
        return f"{self.device} {self.client_id}: {self.result}"
