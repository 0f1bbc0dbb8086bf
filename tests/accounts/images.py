"""Picture files for upload tests, built in memory with Pillow (and zlib for the bomb)."""

import io
import os
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

ORIENTATION = 0x0112
GPS_INFO = 0x8825
ROTATE_90_CW = 6  # the camera was held upright; viewers turn the picture a quarter to the right


def jpeg_bytes(size=(64, 48), color="seagreen", **save_options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", **save_options)
    return out.getvalue()


def jpeg_with_gps_and_orientation(size=(400, 200)) -> bytes:
    """A phone photo: landscape pixels tagged 'rotate 90°', with the place it was taken."""
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATE_90_CW
    exif[0x010F] = "Phone Maker"  # Make
    exif[GPS_INFO] = {
        1: "N",  # GPSLatitudeRef
        2: (50.0, 20.0, 6.0),  # GPSLatitude: the Nürburgring
        3: "E",  # GPSLongitudeRef
        4: (6.0, 56.0, 50.0),  # GPSLongitude
    }
    return jpeg_bytes(size, exif=exif.tobytes())


def png_bytes(size=(64, 48), mode="RGBA", color=(200, 30, 30, 128)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format="PNG")
    return out.getvalue()


def noise_jpeg_bytes(side: int) -> bytes:
    """A JPEG that does not compress: random pixels, about 1.6 bytes a pixel."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb_bytes(side: int = 20_000) -> bytes:
    """A valid 1-bit PNG of side×side pixels, all black: a few dozen kilobytes on disk,
    hundreds of megabytes once decoded."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    chunks = [packer.compress(row * 1000) for _ in range(side // 1000)]
    chunks.append(packer.compress(row * (side % 1000)))
    chunks.append(packer.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(chunks))
        + _png_chunk(b"IEND", b"")
    )


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)
