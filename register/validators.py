import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

VIN_LENGTH = 17
VIN_SHORT_LENGTH = 7
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_SEPARATORS = re.compile(r"[\s\-_.]+")


def normalise_vin(value: str) -> str:
    """Upper-case a VIN and drop spaces and separators people type in."""
    return _SEPARATORS.sub("", value or "").upper()


def validate_vin(value: str) -> None:
    """17 characters, letters and digits, never I, O or Q (ISO 3779)."""
    if len(value) != VIN_LENGTH:
        raise ValidationError(
            _("A VIN has exactly 17 characters; this one has %(n)s."),
            code="vin_length",
            params={"n": len(value)},
        )
    bad = sorted({ch for ch in value if ch in "IOQ"})
    if bad:
        raise ValidationError(
            _("A VIN never contains the letters I, O or Q (found: %(bad)s). Did you mean 1 or 0?"),
            code="vin_letters",
            params={"bad": ", ".join(bad)},
        )
    if not _VIN_RE.match(value):
        raise ValidationError(
            _("A VIN contains only the letters A–Z (without I, O, Q) and the digits 0–9."),
            code="vin_characters",
        )
