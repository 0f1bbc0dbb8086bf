"""Safe handling of uploaded images: no app imports here.

Every uploaded picture goes through `clean_image`: it must be a real, complete
image within the size and pixel limits; it is turned upright, resized, and
re-encoded from pixels only, so no EXIF (GPS above all) or other metadata
survives.
"""

import io
import uuid
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import floatformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


def _human_size(n: int) -> str:
    # One decimal: a 10.4 MB file must not be reported as "10 MB; the limit is 10 MB".
    # In the request's language: 10.4 MB in English, 10,4 MB in German.
    return f"{number_format(round(n / (1024 * 1024), 1), decimal_pos=1)} MB"


def _megapixels(n: int) -> str:
    # 40 for 40,000,000 pixels; one decimal only when the limit needs it (25.5), localised.
    return floatformat(n / 1_000_000, -1)


def open_image(upload) -> Image.Image:
    """Open and fully decode an upload, or raise ValidationError with a clear message."""
    max_bytes = settings.PADDOCK_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("This file is %(size)s; the limit is %(limit)s. Please upload a smaller photo."),
            code="too_large",
            params={"size": _human_size(upload.size), "limit": _human_size(max_bytes)},
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = settings.PADDOCK_MAX_IMAGE_PIXELS
            image = Image.open(upload)
            if image.format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("Please upload a JPEG, PNG, WebP or GIF photo."), code="bad_format"
                )
            width, height = image.size
            if width * height > settings.PADDOCK_MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _(
                        "This image is %(width)d×%(height)d pixels, which is too large to "
                        "process: the limit is %(limit)s megapixels. Please upload a smaller photo."
                    ),
                    code="too_many_pixels",
                    params={
                        "width": width,
                        "height": height,
                        "limit": _megapixels(settings.PADDOCK_MAX_IMAGE_PIXELS),
                    },
                )
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _(
                "This image is too large to process: the limit is %(limit)s megapixels. "
                "Please upload a smaller photo."
            ),
            code="too_many_pixels",
            params={"limit": _megapixels(settings.PADDOCK_MAX_IMAGE_PIXELS)},
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _(
                "This file is not a picture we can read, or it is damaged or incomplete. "
                "Please upload a JPEG, PNG, WebP or GIF photo."
            ),
            code="invalid_image",
        ) from exc
    finally:
        upload.seek(0)
    return image


def clean_image(upload, *, max_side: int, quality: int = 85) -> ContentFile:
    """Return a fresh JPEG: upright, at most `max_side` pixels a side, with no metadata."""
    image = open_image(upload)
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new image object with only pixels: nothing of the original's info dict is written.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    clean.save(out, format="JPEG", quality=quality, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
