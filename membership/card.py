"""The membership card: its signed code, what a scan of it says, and the card as a PNG.

The QR code on a card opens `membership:card_check` with a token signed with the site's
SECRET_KEY and a salt of its own. It carries the membership number and the card's version
(`Seat.card_version`) and nothing else: no name, no date. It needs no expiry, because the
check reads the member's status as it is at the moment of the scan; raising the version
(in the admin, on the membership's accounts) makes every earlier code "not valid".
"""

import dataclasses
import datetime
import functools
import io
import unicodedata

import segno
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fontTools.ttLib import TTFont, TTLibError
from PIL import Image, ImageDraw, ImageFont

from accounts.models import User
from config.lib.site import absolute_url
from membership.models import Invoice, Seat
from membership.standing import grace_last_day, last_day_of

SALT = "membership.card"
# A member with a number but no membership row (approved before the club's office existed).
NO_SEAT_VERSION = 0


def card_version(member: User, seat: Seat | None) -> int:
    return version_of(seat.card_version if seat is not None else None)


def version_of(seat_version: int | None) -> int:
    """A card's version from its seat's, read as a plain value (None: no seat)."""
    return NO_SEAT_VERSION if seat_version is None else seat_version


def _signer() -> signing.Signer:
    # No timestamp (signing.dumps would add one): the check reads the live status instead.
    return signing.Signer(salt=SALT)


def card_token(member: User, seat: Seat | None) -> str:
    """The signed token in a card's QR code (URL-safe; `:` separates its signature)."""
    return _signer().sign_object([member.membership_number, card_version(member, seat)])


def card_check_url(member: User, seat: Seat | None) -> str:
    return absolute_url(reverse("membership:card_check", args=[card_token(member, seat)]))


def read_token(token: str) -> tuple[int, int] | None:
    """(membership number, card version) from a token this site signed, else None."""
    try:
        value = _signer().unsign_object(token[:200])
    except (signing.BadSignature, ValueError):
        return None
    match value:
        case [int() as number, int() as version] if number > 0 and version >= 0:
            return number, version
    return None


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a scan of a card says: valid (until a day, or for life), lapsed, or not valid."""

    VALID, LAPSED, NOT_VALID = "valid", "lapsed", "not valid"

    state: str
    number: int | None = None
    last_day: datetime.date | None = None  # valid through this day (inclusive)
    for_life: bool = False

    @property
    def is_valid(self) -> bool:
        return self.state == self.VALID


def verdict_for(token: str, *, today: datetime.date | None = None) -> Verdict:
    """What the gate sees for a scanned token, read from the live status (one or two queries)."""
    today = today or timezone.localdate()
    read = read_token(token)
    if read is None:
        return Verdict(Verdict.NOT_VALID)
    number, version = read
    member = (
        User.objects.filter(membership_number=number, is_active=True)
        .select_related("seat__membership")
        .first()
    )
    if member is None:
        return Verdict(Verdict.NOT_VALID)
    seat = getattr(member, "seat", None)
    if card_version(member, seat) != version:
        return Verdict(Verdict.NOT_VALID)
    if member.membership_status == User.Status.LAPSED:
        return Verdict(Verdict.LAPSED, number)
    if member.membership_status != User.Status.ACTIVE:
        return Verdict(Verdict.NOT_VALID)
    if seat is None:
        # A member from before the club's office: their renewal date, if it is to come.
        renewal = member.renewal_date
        last_day = last_day_of(renewal) if renewal and renewal > today else None
        return Verdict(Verdict.VALID, number, last_day)
    valid_until = seat.membership.valid_until
    if valid_until is None:
        return Verdict(Verdict.VALID, number, for_life=True)
    if valid_until > today:
        return Verdict(Verdict.VALID, number, last_day_of(valid_until))
    # The term is over and the member still active (the renewal cycle decides when they
    # lapse): in grace, a member until the last day to pay.
    due_on = (
        Invoice.objects.filter(
            membership=seat.membership_id, kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN
        )
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
    )
    last_day = grace_last_day(due_on) if due_on else None
    return Verdict(Verdict.VALID, number, last_day if last_day and last_day >= today else None)


# --- The card as a PNG --------------------------------------------------------------------

# ISO/IEC 7810 ID-1 (a bank card, 85.60 × 53.98 mm) at 300 dots per inch.
WIDTH, HEIGHT = 1011, 638
MARGIN = 48
INK = (255, 255, 255)
MUTED = (205, 220, 235)
BAND = (20, 52, 90)  # the site's navigation blue, darker
PAPER = (245, 247, 250)
TEXT = (20, 24, 30)
CAPTION = (90, 100, 115)


# A TrueType font with more scripts than Pillow's own, where the server has one: the
# setting's, or DejaVu Sans (Debian's fonts-dejavu-core and others). None is required.
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


@functools.cache
def _typeface(candidates: tuple[str, ...]) -> tuple[str | None, frozenset[int]]:
    """The first readable font file of `candidates` (None: Pillow's own) and what it draws."""
    for path in candidates:
        if not path:
            continue
        try:
            return path, frozenset(TTFont(path, lazy=True).getBestCmap())
        except (OSError, TTLibError, AttributeError, TypeError):
            continue
    # Pillow's own scalable font (Aileron, Pillow >= 10.1): Latin letters without accents.
    builtin = ImageFont.load_default(size=10)
    font_bytes = getattr(builtin, "font_bytes", b"")
    try:
        covered = frozenset(TTFont(io.BytesIO(font_bytes)).getBestCmap())
    except (OSError, TTLibError, AttributeError, TypeError):
        covered = frozenset(range(0x20, 0x7F))
    return None, covered


def typeface() -> tuple[str | None, frozenset[int]]:
    configured = getattr(settings, "PADDOCK_CARD_FONT", "") or ""
    return _typeface((configured, *SYSTEM_FONTS))


def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path:
        return ImageFont.truetype(path, size)
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # a Pillow built without FreeType
        return ImageFont.load_default()


def drawable(text: str, covered: frozenset[int]) -> str:
    """`text` as the font can draw it: what it lacks loses its accents (é → e), or is
    transliterated (ß → ss, 山 → Shan), or is left out; control characters are dropped.

    A name in any script draws: as itself where the font has it, else in Latin letters
    rather than as empty boxes.
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isspace():
            out.append(" ")
        elif not ch.isprintable():
            continue
        elif ord(ch) in covered:
            out.append(ch)
        else:
            out.append(_fold(ch, covered))
    return " ".join("".join(out).split())


def _fold(ch: str, covered: frozenset[int]) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and all(ord(c) in covered for c in base):
        return base
    try:
        from text_unidecode import unidecode  # comes with sepaxml
    except ImportError:  # pragma: no cover - then the character is left out
        return ""
    # An ideograph comes back as a word with a space after it: 山田 → "Shan Tian ".
    return "".join(c for c in unidecode(ch) if ord(c) in covered)


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    """`text`, cut with an ellipsis to fit `width` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _qr_image(url: str, size: int) -> Image.Image:
    """The code on a white square of `size` pixels, each module a whole number of pixels."""
    qr = segno.make(url, error="m", micro=False)
    modules = qr.symbol_size(scale=1, border=2)[0]
    out = io.BytesIO()
    qr.save(out, kind="png", scale=max(1, size // modules), border=2)
    out.seek(0)
    code = Image.open(out).convert("RGB")
    square = Image.new("RGB", (size, size), (255, 255, 255))
    square.paste(code, ((size - code.width) // 2, (size - code.height) // 2))
    return square


@dataclasses.dataclass(frozen=True)
class CardFace:
    """What is printed on a card, as text in the request's language."""

    club: str
    name: str
    number: str
    level: str
    valid: str
    check_url: str


def card_png(face: CardFace) -> bytes:
    """The card as a PNG the size of a bank card at 300 dpi: club, name, number, level,
    valid until, and the code the gate scans."""
    path, covered = typeface()
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    band = 132
    draw.rectangle((0, 0, WIDTH, band), fill=BAND)
    qr_size = HEIGHT - band - 2 * 40
    text_width = WIDTH - 2 * MARGIN - qr_size - 32
    title, label, body = (_font(path, size) for size in (44, 26, 34))

    def write(xy, text: str, font, fill, width: int) -> None:
        text = _fit(draw, drawable(text, covered) or "—", font, width)
        draw.text(xy, text, font=font, fill=fill)

    write((MARGIN, 34), face.club, title, INK, WIDTH - 2 * MARGIN)
    write((MARGIN, 88), _("Membership card"), label, MUTED, WIDTH - 2 * MARGIN)
    y = band + 36
    # A long name in a smaller size before it is cut short.
    name = drawable(face.name, covered) or "—"
    for size in (52, 46, 40, 34):
        big = _font(path, size)
        if draw.textlength(name, font=big) <= text_width:
            break
    write((MARGIN, y + (52 - size) // 2), name, big, TEXT, text_width)
    y += 78
    for caption, value in (
        (_("Membership number"), face.number),
        (_("Level"), face.level),
        (_("Valid until"), face.valid),
    ):
        write((MARGIN, y), caption, label, CAPTION, text_width)
        write((MARGIN, y + 30), value, body, TEXT, text_width)
        y += 84
    image.paste(_qr_image(face.check_url, qr_size), (WIDTH - MARGIN - qr_size, band + 40))

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def valid_text(*, last_day: datetime.date | None, for_life: bool) -> str:
    """ "31 December 2026", "For life", or a dash."""
    if for_life:
        return _("For life")
    return date_format(last_day, "DATE_FORMAT") if last_day else "—"
