"""Hypothesis strategies for hostile form input, and the settings every fuzz test uses.

`hostile()` is one value a person (or a script) might type into any field: very long
strings, unicode that changes length when upper-cased, NUL and control characters, HTML
and script, SQL, numbers no form expects, dates no calendar has, or nothing at all.

`form_data(valid)` builds a whole POST body from the valid values of a form: sometimes
every field hostile, sometimes a valid form with a few fields spoiled (so the request gets
past the first validation error and into the code behind it); any field may be missing or
sent twice.
"""

import io
import os
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image

# A few dozen requests per form keep the suite near a minute on SQLite; raise it for a
# longer hunt: PADDOCK_FUZZ_EXAMPLES=500 pytest tests/fuzz
EXAMPLES = int(os.environ.get("PADDOCK_FUZZ_EXAMPLES", "25"))

fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # a bug, once found, is pinned with an explicit @example instead
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- The values ---------------------------------------------------------------------------

# Markup that must never reach a page unescaped. `assert_escaped` looks for each of these.
HTML_PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe src=//evil.example>",
)
SQL = (
    "' OR '1'='1",
    "1; DROP TABLE register_car; --",
    '" OR ""="',
    "%",
    "_",
    "\\",
    "%%' AND 1=1 --",
)
NUMBERS = (
    "-1",
    "0",
    "-0",
    "1.5",
    "99999999999999999999",
    "9223372036854775808",
    "2147483648",
    "-2147483649",
    "1e308",
    "-1e308",
    "1e-308",
    "NaN",
    "Infinity",
    "-inf",
    "0x1F",
    "１２３",  # full-width digits: str.isdigit() and int() accept them
    "²",  # a superscript: str.isdigit() says yes, int() says no
    "①",
    "٣",
)
DATES = (
    "2023-02-30",
    "0000-00-00",
    "99999-01-01",
    "2023-13-01",
    "2023-00-10",
    "0001-01-01",
    "9999-12-31",
    "1899-12-31",
    "2011-06",
    "06/2011",
    "31/12/2011",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2027-03-28T02:30",  # a wall-clock time that does not exist in Berlin
    "2027-10-31T02:30",  # one that exists twice
    "2027-05-14T24:00",
    "2027-05-14 09:00:60",
)
UNICODE = (
    "🏎️💨",
    "👨‍👩‍👧‍👦",
    "مرحبا بالعالم",
    "\u202egnp.exe\u202c",  # right-to-left override
    "Z\u0337\u0321a\u0336l\u0338g\u0335o",
    "e" + "\u0301" * 50,  # combining marks
    "İstanbul",  # lower() makes it longer
    "ﬃ straße",  # upper() makes it longer
    "\u200b\u200c\u200d\ufeff",  # zero-width
    "\u2028\u2029",
)
CONTROL = (
    "\x00",
    "abc\x00def",
    "\x00" * 100,
    "\x01\x02\x03\x07\x08\x0b\x0c\x1b[31mred\x7f",
    "line\r\nbreak\rcr",
    "\t",
)
EMPTY = ("", " ", "\t\n ")
FIXED = HTML_PAYLOADS + SQL + NUMBERS + DATES + UNICODE + CONTROL + EMPTY


def _repeat(unit: tuple[str, int]) -> str:
    return unit[0] * unit[1]


def _wrap(before: str, value: str, after: str) -> str:
    return before + value + after


# Built when drawn (not listed), so that a failure's report stays readable.
LONG = st.sampled_from(
    [("A", 10_000), ("é", 10_000), ("🏎", 10_000), ("<script>alert(1)</script>", 400), ("x ", 5_000)]
).map(_repeat)

# Any text the test client can send: everything but lone surrogates (not UTF-8).
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)


def hostile() -> st.SearchStrategy[str]:
    """One hostile value: a fixed nasty one, random text, or a nasty one wrapped in text."""
    return st.one_of(
        st.sampled_from(FIXED),
        LONG,
        any_text,
        st.builds(_wrap, any_text, st.sampled_from(FIXED), any_text),
    )


def hostile_date() -> st.SearchStrategy[str]:
    """For a date field: mostly impossible or extreme dates, sometimes anything."""
    return st.one_of(st.sampled_from(DATES), st.sampled_from(DATES), hostile())


def hostile_number() -> st.SearchStrategy[str]:
    """For a number field: mostly numbers no form expects, sometimes anything."""
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        hostile(),
    )


class Ref:
    """A value known only when the test runs, e.g. a car's primary key: Ref("car")."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"Ref({self.name!r})"


def resolve(data: dict, values: dict) -> dict:
    """`data` with every Ref replaced by its value from `values`."""

    def one(value):
        if isinstance(value, Ref):
            return str(values[value.name])
        if isinstance(value, list):
            return [one(v) for v in value]
        return value

    return {name: one(value) for name, value in data.items()}


MISSING = object()


def _spoil(value, bad: st.SearchStrategy) -> st.SearchStrategy:
    """A field's value made hostile: replaced, dropped, or sent twice."""
    return st.one_of(
        bad,
        st.just(MISSING),
        st.lists(bad, min_size=2, max_size=3),  # ?key=a&key=b
        st.tuples(st.just(value), bad).map(list),
        st.tuples(bad, st.just(value)).map(list),
    )


@st.composite
def form_data(
    draw,
    valid: dict,
    *,
    dates: tuple[str, ...] = (),
    numbers: tuple[str, ...] = (),
    extra: dict | None = None,
) -> dict:
    """A POST body for a form whose valid values are `valid` (a value may be a strategy).

    Half the time every field is drawn on its own (valid, hostile, missing or twice);
    otherwise the valid form with one to three fields spoiled. Fields named in `dates` and
    `numbers` get hostile values of their kind. `extra` adds fields whose values are always
    drawn from their own strategies (e.g. uploads).
    """
    names = list(valid)
    values = {
        name: draw(value) if isinstance(value, st.SearchStrategy) else value
        for name, value in valid.items()
    }

    def bad(name: str) -> st.SearchStrategy:
        if name in dates:
            return hostile_date()
        if name in numbers:
            return hostile_number()
        return hostile()

    if not names or draw(st.booleans()):
        data = {
            name: draw(st.one_of(st.just(value), _spoil(value, bad(name))))
            for name, value in values.items()
        }
    else:
        spoiled = draw(st.sets(st.sampled_from(names), min_size=1, max_size=min(3, len(names))))
        data = {
            name: draw(_spoil(value, bad(name))) if name in spoiled else value
            for name, value in values.items()
        }
    if draw(st.booleans()):
        data[draw(st.sampled_from(("junk", "csrfmiddlewaretoken", "id", "pk")))] = draw(hostile())
    for name, strategy in (extra or {}).items():
        data[name] = draw(strategy)
    return {name: value for name, value in data.items() if value is not MISSING}


# --- Uploads ----------------------------------------------------------------------------


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "steelblue").save(out, format=fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height` pixels (a decompression bomb's shape)."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


FILE_NAMES = (
    "photo.jpg",
    "../../etc/passwd.jpg",
    "a" * 300 + ".jpg",
    "nul\x00byte.jpg",
    "<script>alert(1)</script>.jpg",
    "🏎.png",
    "noextension",
)


@st.composite
def _upload(draw) -> SimpleUploadedFile:
    content = draw(
        st.one_of(
            st.just(b""),
            st.binary(max_size=300),
            st.just(b"<script>alert(1)</script>"),
            st.just(image_bytes()[:40]),  # a truncated JPEG
            st.just(png_claiming(100_000, 100_000)),
            st.just(png_claiming(0, 0)),
            st.just(image_bytes("GIF")),
            st.just(image_bytes("BMP")),  # a picture, in a format we refuse
            st.just(image_bytes()),
        )
    )
    content_type = draw(st.sampled_from(("image/jpeg", "text/html", "application/x-php", "")))
    return SimpleUploadedFile(draw(st.sampled_from(FILE_NAMES)), content, content_type)


def uploads() -> st.SearchStrategy:
    """A hostile file (or no file, or a plain string where a file belongs)."""
    return st.one_of(st.just(MISSING), st.just(""), hostile(), _upload())


def good_image(name: str = "car.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(), "image/jpeg")


# --- CSV for the register import -----------------------------------------------------------

IMPORT_HEADER = (
    "vin,model_line,colour,build_month,market,country,transmission,steering,status,"
    "plaque_number,verified,owner_name,options,story"
)


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@st.composite
def import_files(draw, *, model_line: str, colour: str) -> SimpleUploadedFile:
    """A CSV for the import: a real header and rows of hostile cells, or worse."""
    base = [
        "WBSUR9C50BZ000001",
        model_line,
        colour,
        "2011-06",
        "DE",
        "Germany",
        "manual",
        "lhd",
        "road",
        "",
        "yes",
        "A. Previous Owner",
        "Sunroof",
        "Delivered in Munich.",
    ]
    kind = draw(st.sampled_from(("rows", "rows", "rows", "header", "bytes")))
    if kind == "bytes":
        content = draw(
            st.one_of(
                st.binary(max_size=400),
                st.just(b"\xff\xfe\x00v\x00i\x00n"),  # UTF-16
                st.just(IMPORT_HEADER.encode() + b"\n\xe9t\xe9\n"),  # Latin-1
                st.just(b""),
            )
        )
    else:
        separator = draw(st.sampled_from([",", ";", "\t"]))  # the importer sniffs which
        header = IMPORT_HEADER.replace(",", separator)
        if kind == "header":
            header = draw(st.one_of(hostile(), st.just("vin;model_line"), st.just("vin,vin")))
        rows = []
        for n in range(draw(st.integers(min_value=0, max_value=4))):
            cells = list(base)
            cells[0] = f"WBSUR9C50BZ{n:06d}"
            for index in draw(st.sets(st.integers(0, len(cells) - 1), max_size=4)):
                cells[index] = draw(hostile())
            rows.append(separator.join(_csv_cell(c) for c in cells))
        newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        content = newline.join([header, *rows]).encode("utf-8")
        if draw(st.booleans()):
            content = b"\xef\xbb\xbf" + content  # a byte-order mark, as Excel writes
    return SimpleUploadedFile("import.csv", content, "text/csv")
