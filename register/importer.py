"""Import an existing register (the club's old spreadsheet) from a CSV file or an Excel
workbook (.xlsx, its first sheet).

Two steps, both here: `check_file()` reads and validates every row and reports every
problem of every row, touching nothing; `import_rows()` writes the valid rows in one
transaction. Nothing is ever half-imported: the view imports only a file without
rejected rows, unless staff explicitly ask to skip the rejected ones.

Columns (header row, any case, spaces or underscores, extra columns ignored):
vin, model_line, colour, build_month, market, country, transmission, steering, status,
plaque_number, verified, owner_name, options, story. Only vin and model_line are required.
"""

import contextlib
import csv
import datetime
import io
import itertools
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from accounts.models import Sequence, User
from config.lib.csvutil import unguard_cell
from register import cache as register_cache
from register.fact_services import facts_record_import
from register.models import Car, Colour, ModelLine, Ownership
from register.services import PLAQUE_SEQUENCE
from register.tallies import rebuild_tallies_on_commit
from register.validators import normalise_vin, validate_vin

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# A workbook is a zip file: 5 MB of it may unpack to gigabytes of XML (a "zip bomb").
# Its parts may unpack to this much in all (a register of 20,000 cars in 15 columns is
# about 12 MB), its shared strings (all read before the first row) to this much, and its
# sheet may run to this many rows, blank ones included (a cell on row 1,000,000 would
# make a million blank rows), and its header to this many columns.
MAX_WORKBOOK_UNPACKED = 24 * 1024 * 1024
MAX_SHARED_STRINGS = 4 * 1024 * 1024
MAX_SHEET_ROWS = 5 * MAX_ROWS
MAX_SHEET_COLUMNS = 100
REQUIRED_COLUMNS = ("vin", "model_line")
COLUMNS = (
    "vin",
    "model_line",
    "colour",
    "build_month",
    "market",
    "country",
    "transmission",
    "steering",
    "status",
    "plaque_number",
    "verified",
    "owner_name",
    "options",
    "story",
)
# Other spellings of a column name that old spreadsheets use.
COLUMN_ALIASES = {
    "color": "colour",
    "model": "model_line",
    "plaque": "plaque_number",
    "build_date": "build_month",
    "first_market": "market",
    "life_status": "status",
    "owner": "owner_name",
}
COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "usa": "US",
    "united states": "US",
    "holland": "NL",
}
YES = {"yes", "y", "true", "1", "x", "verified", "ja"}
NO = {"no", "n", "false", "0", "", "unverified", "nein"}
_YEAR_RE = re.compile(r"^(\d{4})$")
_MONTH_RES = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})(?:-\d{1,2})?$"),  # 2011-06, 2011-06-01
    re.compile(r"^(?P<m>\d{1,2})[/.](?P<y>\d{4})$"),  # 06/2011, 6.2011
)
EARLIEST_YEAR = 1885


class ImportFileError(ValidationError):
    """The file as a whole cannot be read: wrong encoding, no vin column, too big."""


def too_large_message(size: int) -> str:
    """The file's size and the limit, in megabytes, in the request's language."""
    return _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
        "size": number_format(size / 1024 / 1024, decimal_pos=1),
        "limit": MAX_BYTES // 1024 // 1024,
    }


@dataclass
class Row:
    """One valid row, ready to become a car."""

    line: int
    vin: str
    model_line: ModelLine
    colour: Colour | None
    build_date: datetime.date | None
    market: str
    country: str
    transmission: str
    steering: str
    status: str
    plaque_number: int | None
    verified: bool
    owner_name: str
    options: str
    story: str


@dataclass
class Rejected:
    line: int
    vin: str
    reasons: list[str]


@dataclass
class Report:
    valid: list[Row] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    imported: int = 0

    @property
    def rows(self) -> int:
        return len(self.valid) + len(self.rejected)


# --- Reading the file -----------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file as text; a file that is not UTF-8 is refused with the first bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "Line %(line)s: the file is not UTF-8 text. In your spreadsheet, save it as "
                "“CSV UTF-8 (comma delimited)” and upload it again."
            )
            % {"line": line},
            code="encoding",
        ) from exc
    if "\x00" in text:
        # Text never holds a NUL byte (and PostgreSQL would refuse to store one).
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError(
            _(
                "Line %(line)s: the file holds a NUL character, so it is not a CSV text file. "
                "In your spreadsheet, save it as “CSV UTF-8 (comma delimited)” and upload it "
                "again."
            )
            % {"line": line},
            code="nul",
        )
    return text


def _column_name(raw: str) -> str:
    name = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    return COLUMN_ALIASES.get(name, name)


def _header_columns(header: list[str]) -> dict[str, int]:
    """The header row's column positions; refuses a header without a required column."""
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = _column_name(raw)
        if name in COLUMNS and name not in columns:
            columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        if len(missing) == 1:
            message = _(
                "Line 1: the header has no %(column)s column. The columns are: %(columns)s."
            )
        else:
            message = _(
                "Line 1: the header has no %(column)s and no %(other)s column. "
                "The columns are: %(columns)s."
            )
        raise ImportFileError(
            message % {"column": missing[0], "other": missing[-1], "columns": ", ".join(COLUMNS)},
            code="missing_column",
        )
    return columns


@dataclass
class BrokenRow:
    """A row whose quotes do not balance: reported, never read."""

    line: int
    vin: str


def read_table(
    text: str,
) -> tuple[dict[str, int], list[tuple[int, list[str]]], list[BrokenRow]]:
    """The header's column positions, every non-blank row with its line number, and the rows
    whose quotes do not balance.

    The csv module, left to itself, reads a quote that is never closed as the start of one
    cell that runs on over every following line: the rest of the file would be folded into
    one field of one row, silently. So the rows are read strictly; a row whose quoting is
    broken is reported on the line where it starts, and reading goes on from the next line,
    so every other row is checked as usual (and imported only if staff choose to skip the
    rejected ones).
    """
    sample = text[:4096]
    try:
        sniffed = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
    except csv.Error:
        sniffed = csv.excel
    # Only the delimiter is taken from the header line: the rest is how every spreadsheet
    # (and this site's export) quotes, a quote in a quoted cell doubled (""). The sniffer
    # guesses no doubling from a header without quotes, which read "12"" wheels" wrongly
    # and let a stray quote pass unnoticed.
    dialect = _spreadsheet_dialect(sniffed.delimiter)
    # The lines as the csv module reads them (newline=""): \n, \r\n or \r, kept.
    lines = list(io.StringIO(text, newline=""))
    reader = csv.reader(iter(lines), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(_("The file is empty."), code="empty") from None
    except csv.Error as exc:
        raise ImportFileError(_csv_error(1, exc), code="csv") from exc
    columns = _header_columns(header)
    rows: list[tuple[int, list[str]]] = []
    broken: list[BrokenRow] = []
    base = 0  # the lines before the current reader's first line
    previous_end = reader.line_num  # where the last row read ended, counted from base
    while True:
        try:
            for cells in reader:
                start, previous_end = base + previous_end + 1, reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                rows.append((start, cells))
                if len(rows) + len(broken) > MAX_ROWS:
                    raise _too_many_rows()
        except csv.Error:
            start = base + previous_end + 1
            broken.append(
                BrokenRow(line=start, vin=_first_cell(lines[start - 1], dialect, columns))
            )
            if len(rows) + len(broken) > MAX_ROWS:
                raise _too_many_rows() from None
            # Read on from the line after the one where the broken row starts.
            base, previous_end = start, 0
            reader = csv.reader(itertools.islice(lines, start, None), dialect)
            continue
        return columns, rows, broken


def _spreadsheet_dialect(delimiter: str) -> type[csv.Dialect]:
    class Spreadsheet(csv.excel):
        strict = True  # a misplaced quote is an error, not a cell that swallows the file

    Spreadsheet.delimiter = delimiter
    return Spreadsheet


def _too_many_rows() -> ImportFileError:
    return ImportFileError(
        _("The file has more than %(rows)s rows. Please split it into smaller ones.")
        % {"rows": number_format(MAX_ROWS, force_grouping=True)},
        code="too_many_rows",
    )


def _first_cell(line: str, dialect, columns: dict[str, int]) -> str:
    """The VIN cell of one physical line, read leniently, to name a broken row."""
    cells = next(csv.reader([line.rstrip("\r\n")], dialect, strict=False), [])
    index = columns["vin"]
    return cells[index].strip()[:40] if index < len(cells) else ""


def _csv_error(line: int, exc: csv.Error) -> str:
    # Python's own message about the CSV syntax, which is in English.
    return _("Line %(line)s: %(error)s.") % {"line": line, "error": exc}


# --- Reading a workbook ---------------------------------------------------------------

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an old Excel .xls, or a workbook saved with a password
# A workbook saved with a password is an OLE file holding the encrypted workbook in a
# stream of this name (its directory spells names in UTF-16).
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE = f"{_SHEET_NS}row", f"{_SHEET_NS}c", f"{_SHEET_NS}v"
_INLINE, _TEXT, _RUN = f"{_SHEET_NS}is", f"{_SHEET_NS}t", f"{_SHEET_NS}r"


def _not_a_workbook() -> ImportFileError:
    return ImportFileError(
        _(
            "The file is not an Excel workbook that can be read. In your spreadsheet, save it "
            "as “Excel Workbook (.xlsx)” or “CSV UTF-8 (comma delimited)” and upload it again."
        ),
        code="not_a_workbook",
    )


def _password_protected() -> ImportFileError:
    return ImportFileError(
        _(
            "This workbook is protected with a password: save a copy without one, or as "
            "“CSV UTF-8 (comma delimited)”, and upload that."
        ),
        code="password",
    )


def _cell_text(value) -> str:
    """A workbook cell as the text a CSV file would hold: a date as 2011-06-01, a whole
    number without ".0", true and false as yes and no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _CellError(ValueError):
    """A cell that holds no value the import can use: the reason, in the request's language."""


class _SheetReader:
    """Reads the cells of a sheet's XML that the import uses, and nothing else.

    openpyxl's own reader turns every cell of every row into a dictionary and then a tuple:
    about half a millisecond a row, ten seconds for a register of 20,000 cars. Here each
    row's cells are looked at only for the columns the header names, and only those
    cells' values are worked out. The XML is parsed by openpyxl's parser (defusedxml's,
    which refuses entities); the workbook's shared strings, date formats and epoch come
    from openpyxl, which has read them already.
    """

    def __init__(self, strings, book):
        self.strings = strings
        # openpyxl keeps which cell styles are dates on the workbook; it has no public name.
        self.date_formats = book._date_formats
        self.timedelta_formats = book._timedelta_formats
        self.epoch = book.epoch
        self.letters: dict[str, int] = {}
        from openpyxl.cell.cell import ERROR_CODES
        from openpyxl.utils.cell import column_index_from_string
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        self.error_codes = frozenset(ERROR_CODES)
        self.from_excel, self.from_iso8601 = from_excel, from_ISO8601
        self.column_index = column_index_from_string

    def column(self, reference: str) -> int:
        """The column index (from 0) of a cell reference such as "AB12"."""
        letters = reference.rstrip("0123456789")
        index = self.letters.get(letters)
        if index is None:
            index = self.letters[letters] = self.column_index(letters) - 1
        return index

    def value(self, element) -> str:
        """A cell's value as text (see _cell_text); raises _CellError for an error value
        or a date no calendar holds."""
        kind = element.get("t", "n")
        if kind == "inlineStr":
            node = element.find(_INLINE)
            if node is None:
                return ""
            text = (node.findtext(_TEXT) or "") + "".join(
                run.findtext(_TEXT) or "" for run in node.iterfind(_RUN)
            )
        else:
            text = element.findtext(_VALUE) or ""
            if not text:
                return ""
            if kind == "n":
                number = float(text) if any(c in text for c in ".eE") else int(text)
                style = element.get("s")
                if style and int(style) in self.date_formats:
                    try:
                        day = self.from_excel(
                            number, self.epoch, timedelta=int(style) in self.timedelta_formats
                        )
                    except (OverflowError, ValueError):
                        raise _CellError(
                            _("the cell is a date outside the calendar (%(value)s)")
                            % {"value": text}
                        ) from None
                    return _cell_text(day)
                return _cell_text(number)
            if kind == "s":
                text = self.strings[int(text)]
            elif kind == "b":
                return _cell_text(text.strip() in ("1", "true"))
            elif kind == "d":
                try:
                    return _cell_text(self.from_iso8601(text))
                except ValueError:
                    raise _CellError(
                        _("the cell is a date outside the calendar (%(value)s)") % {"value": text}
                    ) from None
            elif kind == "e":
                raise _CellError(_("the cell holds the error %(error)s") % {"error": text})
        if text.strip() in self.error_codes:
            raise _CellError(_("the cell holds the error %(error)s") % {"error": text.strip()})
        return text

    def rows(self, xml: bytes):
        """Each row element of the sheet, as it is parsed, with its row number.

        Parsed through defusedxml, which refuses entities (a "billion laughs") and
        external references whatever the encoding. A sheet declaring a DTD or an encoding
        other than UTF-8 is refused before: Excel writes neither.
        """
        from defusedxml.ElementTree import iterparse

        declaration = _XML_DECLARATION.match(xml)
        if b"<!DOCTYPE" in xml or (
            declaration and declaration.group("encoding").lower() not in (b"utf-8", b"utf8")
        ):
            raise _not_a_workbook()
        cells_seen = cells_in_rows = 0
        number = 0
        for _event, element in iterparse(io.BytesIO(xml), forbid_dtd=True):
            tag = element.tag
            if tag == _CELL:
                cells_seen += 1
            elif tag == _ROW:
                cells_in_rows += len(element)
                if cells_seen != cells_in_rows:
                    raise _cells_outside_rows()
                number = int(element.get("r") or number + 1)
                if number > MAX_SHEET_ROWS:
                    raise _too_many_rows()
                yield number, element
                element.clear()
        if cells_seen != cells_in_rows:
            raise _cells_outside_rows()


_XML_DECLARATION = re.compile(rb'^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding=["\'](?P<encoding>[^"\']*)')


def _cells_outside_rows() -> ImportFileError:
    return ImportFileError(
        _(
            "The workbook's first sheet has cells that belong to no row, so it cannot be "
            "read. Open it in your spreadsheet, save it as “Excel Workbook (.xlsx)” or "
            "“CSV UTF-8 (comma delimited)” and upload it again."
        ),
        code="cells_outside_rows",
    )


def _workbook_too_large(limit: int) -> ImportFileError:
    # Python's zipfile reads no more than the sizes it declares, so they are the limit.
    return ImportFileError(
        _(
            "The workbook unpacks to more than %(limit)s MB. Save it as "
            "“CSV UTF-8 (comma delimited)”, or split it into smaller ones."
        )
        % {"limit": limit // 1024 // 1024},
        code="too_large",
    )


def _open_workbook(data: bytes) -> tuple[_SheetReader, bytes | None]:
    """The workbook read by openpyxl but for its sheets, once its sizes are checked, and
    its first sheet's XML (None if it has none).

    openpyxl's read-only sheet would walk the whole sheet once only to find its size (a
    sheet saved without a <dimension>), in its pure-Python parser: not used here.
    """
    import zipfile

    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import SHARED_STRINGS

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise _not_a_workbook() from None
    if unpacked > MAX_WORKBOOK_UNPACKED:
        raise _workbook_too_large(MAX_WORKBOOK_UNPACKED)
    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read_manifest()
        # Every shared string is read before the first row: about a second for each MB.
        part = reader.package.find(SHARED_STRINGS)
        strings = reader.archive.getinfo(part.PartName[1:]).file_size if part else 0
    except Exception:  # noqa: BLE001 - any of the many ways a broken zip or XML fails
        raise _not_a_workbook() from None
    if strings > MAX_SHARED_STRINGS:
        raise _workbook_too_large(MAX_SHARED_STRINGS)
    try:
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = [
            rel.target
            for _sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]
        xml = reader.archive.read(sheets[0]) if sheets else None
    except Exception:  # noqa: BLE001
        raise _not_a_workbook() from None
    finally:
        reader.archive.close()
    return _SheetReader(reader.shared_strings, reader.wb), xml


def _row_cells(reader, row):
    """Each cell of a sheet's row as (column index, its reference, the element): by its
    reference ("C7"), or the one after the last where a cell names none."""
    index = -1
    for element in row:
        if element.tag != _CELL:
            continue
        ref = element.get("r")
        index = reader.column(ref) if ref else index + 1
        yield index, ref, element


def read_workbook(
    data: bytes,
) -> tuple[dict[str, int], list[tuple[int, list[str]]], dict[int, list[str]]]:
    """An .xlsx file's first sheet as read_table reads a CSV file: the header's column
    positions and every non-blank row with its row number; and, by row number, the cells
    that hold an error (#N/A, a date no calendar holds), each reported as the row's fault.

    Cells are read as values: a formula gives the value the spreadsheet saved with it and
    is never worked out here (one saved without a value reads as blank). Only the header
    row is read whole; the other rows only in the columns the header names.
    """
    reader, xml = _open_workbook(data)
    if xml is None:
        raise ImportFileError(_("The file is empty."), code="empty")
    columns: dict[str, int] | None = None
    wanted: dict[int, str] = {}  # column index: the import's name for it
    width = 0
    rows: list[tuple[int, list[str]]] = []
    errors: dict[int, list[str]] = {}
    try:
        for number, row in reader.rows(xml):
            if columns is None:  # the first row with anything in it is the header
                header = [""] * MAX_SHEET_COLUMNS
                for index, _ref, element in _row_cells(reader, row):
                    if index < MAX_SHEET_COLUMNS:
                        with contextlib.suppress(_CellError):
                            header[index] = reader.value(element)
                if not any(cell.strip() for cell in header):
                    continue
                columns = _header_columns(header)
                wanted = {index: name for name, index in columns.items()}
                width = max(wanted) + 1
                continue
            cells = [""] * width
            for index, ref, element in _row_cells(reader, row):
                if index not in wanted:
                    continue
                try:
                    cells[index] = reader.value(element)
                except _CellError as exc:
                    errors.setdefault(number, []).append(
                        _("Column %(column)s (%(cell)s): %(reason)s.")
                        % {"column": wanted[index], "cell": ref or "", "reason": exc}
                    )
            if not any(cell.strip() for cell in cells) and number not in errors:
                continue
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
    except ImportFileError:
        raise
    except Exception:  # noqa: BLE001 - a part of the file that does not parse
        raise _not_a_workbook() from None
    if columns is None:
        raise ImportFileError(_("The file is empty."), code="empty")
    return columns, rows, errors


def read_any(data: bytes, name: str = "") -> tuple[dict, list, list[BrokenRow], dict]:
    """The file as read_table reads it, whether a CSV file or an .xlsx workbook, and the
    workbook's cells that hold errors (see read_workbook).

    What the file holds decides, not its name; a name that promises a workbook the file
    is not, or an old .xls, is refused with how to save it instead.
    """
    if data.startswith(ZIP_MAGIC):
        columns, rows, errors = read_workbook(data)
        return columns, rows, [], errors
    if data.startswith(OLE_MAGIC) and ENCRYPTED_PACKAGE in data:
        raise _password_protected()
    if data.startswith(OLE_MAGIC) or name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise _not_a_workbook()
    columns, rows, broken = read_table(decode(data))
    return columns, rows, broken, {}


# --- Checking the rows ----------------------------------------------------------------


class _Lookups:
    """Everything a row is checked against, loaded in a fixed number of queries."""

    def __init__(self, vins: list[str], plaques: list[int]):
        lines = list(ModelLine.objects.all())
        self.lines: dict[str, ModelLine] = {}
        for ml in lines:
            self.lines[ml.name.casefold()] = ml
            self.lines[ml.slug.casefold()] = ml
        # A colour is found by its name or, failing that, its paint code.
        colours = list(Colour.objects.all())
        self.colours: dict[tuple[int, str], Colour] = {}
        for colour in colours:
            self.colours.setdefault((colour.model_line_id, colour.name.casefold()), colour)
        for colour in colours:
            if colour.paint_code:
                key = (colour.model_line_id, colour.paint_code.casefold())
                self.colours.setdefault(key, colour)
        self.existing_vins = _existing(Car.objects.values_list("vin", flat=True), "vin", vins)
        self.existing_plaques = _existing(
            Car.objects.values_list("plaque_number", flat=True), "plaque_number", plaques
        )


def _existing(queryset, field_name: str, values: list) -> set:
    found: set = set()
    unique = sorted(set(values))
    for start in range(0, len(unique), 900):  # under SQLite's limit on query parameters
        found.update(queryset.filter(**{f"{field_name}__in": unique[start : start + 900]}))
    return found


# Each parser raises ValueError with the reason, a sentence in the request's language.
UNKNOWN_CHOICE = {
    "transmission": gettext_lazy("Unknown transmission “%(value)s” (use one of: %(options)s)."),
    "steering": gettext_lazy("Unknown steering “%(value)s” (use one of: %(options)s)."),
    "status": gettext_lazy("Unknown status “%(value)s” (use one of: %(options)s)."),
}
UNKNOWN_COUNTRY = {
    "market": gettext_lazy(
        "Unknown market “%(value)s” (use an ISO code such as DE, or its English name)."
    ),
    "country": gettext_lazy(
        "Unknown country “%(value)s” (use an ISO code such as DE, or its English name)."
    ),
}


class _Choices:
    """A choice column's values: each code, its label in English and in the request's
    language, and the synonyms old spreadsheets use; worked out once per file."""

    def __init__(self, choices, synonyms: dict[str, str], what: str):
        self.what = what
        self.options = ", ".join(code for code, _label in choices)
        self.codes: dict[str, str] = {}
        with translation.override("en-gb"):
            english = [(code, str(label)) for code, label in choices]
        for code, label in [*english, *((code, str(label)) for code, label in choices)]:
            self.codes.setdefault(code.casefold(), code)
            self.codes.setdefault(label.casefold(), code)
        for synonym, code in synonyms.items():
            self.codes.setdefault(synonym, code)


def _choice(value: str, choices: _Choices, default: str) -> str:
    text = value.strip().casefold()
    if not text:
        return default
    if text in choices.codes:
        return choices.codes[text]
    raise ValueError(
        UNKNOWN_CHOICE[choices.what] % {"value": value.strip(), "options": choices.options}
    )


def _country(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        return ""
    code = countries.alpha2(text) if len(text) in (2, 3) else ""
    code = code or COUNTRY_ALIASES.get(text.casefold(), "") or countries.by_name(text)
    if not code:
        raise ValueError(UNKNOWN_COUNTRY[what] % {"value": text})
    return code


def _build_date(value: str) -> datetime.date | None:
    text = value.strip()
    if not text:
        return None
    year = month = None
    if match := _YEAR_RE.match(text):
        year, month = int(match.group(1)), 1
    else:
        for pattern in _MONTH_RES:
            if match := pattern.match(text):
                year, month = int(match.group("y")), int(match.group("m"))
                break
    if year is None or not 1 <= month <= 12:
        raise ValueError(
            _("Build month “%(value)s” is not a date (use YYYY-MM or YYYY).") % {"value": text}
        )
    day = datetime.date(year, month, 1)
    if year < EARLIEST_YEAR or day > timezone.localdate():
        raise ValueError(_("Build month “%(value)s” is not plausible.") % {"value": text})
    return day


def _verified(value: str) -> bool:
    text = value.strip().casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(_("Verified must be yes or no, not “%(value)s”.") % {"value": value.strip()})


def _plaque(value: str) -> int | None:
    text = value.strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit() or int(text) < 1 or int(text) > 2_000_000_000:
        raise ValueError(
            _("Plaque number “%(value)s” is not a whole number above 0.") % {"value": value.strip()}
        )
    return int(text)


TRANSMISSION_SYNONYMS = {"mt": "manual", "auto": "automatic", "at": "automatic", "dkg": "dct"}
STEERING_SYNONYMS = {"left": "lhd", "right": "rhd", "l": "lhd", "r": "rhd"}
STATUS_SYNONYMS = {"on the road": "road", "off road": "off_road", "scrapped": "written_off"}


def check_file(data: bytes, name: str = "") -> Report:
    """Read and check every row; raises ImportFileError if the file cannot be read at all.
    `name` is the uploaded file's name (see read_any)."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(too_large_message(len(data)), code="too_large")
    columns, table, broken, cell_errors = read_any(data, name)

    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return unguard_cell(cells[index].strip())

    vins = [normalise_vin(cell(cells, "vin")) for _line, cells in table]
    plaques = []
    for _line, cells in table:
        with contextlib.suppress(ValueError):  # reported row by row below
            plaques.append(_plaque(cell(cells, "plaque_number")))
    lookups = _Lookups(vins, [p for p in plaques if p is not None])
    transmissions = _Choices(Car.Transmission.choices, TRANSMISSION_SYNONYMS, "transmission")
    steerings = _Choices(Car.Steering.choices, STEERING_SYNONYMS, "steering")
    statuses = _Choices(Car.Status.choices, STATUS_SYNONYMS, "status")

    report = Report()
    for row in broken:
        report.rejected.append(
            Rejected(
                line=row.line,
                vin=row.vin,
                reasons=[
                    _(
                        'A quote (") in this row is not closed where its cell ends, so the '
                        "lines after it would run together into one cell. Close or remove it."
                    )
                ],
            )
        )
    first_line_of_vin: dict[str, int] = {}
    first_line_of_plaque: dict[int, int] = {}
    for (line, cells), vin in zip(table, vins, strict=True):
        reasons: list[str] = list(cell_errors.get(line, ()))

        def attempt(parse, *args, default=None, reasons=reasons):
            try:
                return parse(*args)
            except ValueError as exc:
                reasons.append(str(exc))
                return default

        if not vin:
            reasons.append(_("The VIN is missing."))
        else:
            try:
                validate_vin(vin)
            except ValidationError as exc:
                reasons.extend(exc.messages)
            if vin in first_line_of_vin:
                reasons.append(
                    _("The same VIN is already on line %(line)s.")
                    % {"line": first_line_of_vin[vin]}
                )
            else:
                first_line_of_vin[vin] = line
            if vin in lookups.existing_vins:
                reasons.append(_("A car with this VIN is already on the register."))

        line_name = cell(cells, "model_line")
        model_line = lookups.lines.get(line_name.casefold()) if line_name else None
        if not line_name:
            reasons.append(_("The model line is missing."))
        elif model_line is None:
            reasons.append(_("Unknown model line “%(name)s”.") % {"name": line_name})

        colour = None
        colour_name = cell(cells, "colour")
        if colour_name and model_line is not None:
            colour = lookups.colours.get((model_line.pk, colour_name.casefold()))
            if colour is None:
                reasons.append(
                    _("Unknown colour “%(colour)s” for the %(line)s.")
                    % {"colour": colour_name, "line": model_line.name}
                )

        build_date = attempt(_build_date, cell(cells, "build_month"))
        market = attempt(_country, cell(cells, "market"), "market", default="")
        country = attempt(_country, cell(cells, "country"), "country", default="")
        transmission = attempt(
            _choice, cell(cells, "transmission"), transmissions, Car.Transmission.UNKNOWN
        )
        steering = attempt(_choice, cell(cells, "steering"), steerings, Car.Steering.LEFT)
        status = attempt(_choice, cell(cells, "status"), statuses, Car.Status.UNKNOWN)
        verified = attempt(_verified, cell(cells, "verified"), default=False)
        plaque = attempt(_plaque, cell(cells, "plaque_number"))
        if plaque is not None:
            if plaque in first_line_of_plaque:
                reasons.append(
                    _("Plaque number %(plaque)s is already on line %(line)s.")
                    % {"plaque": plaque, "line": first_line_of_plaque[plaque]}
                )
            else:
                first_line_of_plaque[plaque] = line
            if plaque in lookups.existing_plaques:
                reasons.append(
                    _("Plaque number %(plaque)s is already used by a car on the register.")
                    % {"plaque": plaque}
                )
        owner_name = cell(cells, "owner_name")
        if len(owner_name) > Ownership._meta.get_field("owner_name").max_length:
            reasons.append(_("The owner's name is longer than 120 characters."))

        if reasons:
            report.rejected.append(Rejected(line=line, vin=cell(cells, "vin"), reasons=reasons))
            continue
        report.valid.append(
            Row(
                line=line,
                vin=vin,
                model_line=model_line,
                colour=colour,
                build_date=build_date,
                market=market,
                country=country,
                transmission=transmission,
                steering=steering,
                status=status,
                plaque_number=plaque,
                verified=verified,
                owner_name=owner_name,
                options=cell(cells, "options"),
                story=cell(cells, "story"),
            )
        )
    report.rejected.sort(key=lambda row: row.line)
    return report


# --- Writing ----------------------------------------------------------------------------


def import_rows(*, rows: list[Row], staff: User | None) -> list[Car]:
    """Create the cars (and their non-member owners) in one transaction.

    Verified rows keep their plaque number or get the next ones from the plaque
    sequence; the sequence is raised past every number used, so that numbers handed
    out later by `car_approve` never collide with an imported one.
    """
    now = timezone.now()
    with transaction.atomic():
        sequence, _new = Sequence.objects.select_for_update().get_or_create(name=PLAQUE_SEQUENCE)
        highest_used = Car.objects.aggregate(n=Max("plaque_number"))["n"] or 0
        given = [row.plaque_number for row in rows if row.plaque_number is not None]
        next_number = max([sequence.last_value, highest_used, *given]) + 1
        cars = []
        for row in rows:
            plaque = row.plaque_number
            if plaque is None and row.verified:
                plaque, next_number = next_number, next_number + 1
            cars.append(
                Car(
                    vin=row.vin,
                    model_line=row.model_line,
                    colour=row.colour,
                    build_date=row.build_date,
                    market=row.market,
                    country=row.country,
                    transmission=row.transmission,
                    steering=row.steering,
                    status=row.status,
                    plaque_number=plaque,
                    review_status=Car.Review.VERIFIED if row.verified else Car.Review.UNVERIFIED,
                    verified_at=now if row.verified else None,
                    options=row.options,
                    story=row.story,
                    registered_by=staff,
                    created_at=now,
                )
            )
        sequence.last_value = next_number - 1
        sequence.save(update_fields=["last_value"])
        Car.objects.bulk_create(cars, batch_size=500)
        if not all(car.pk for car in cars):
            # A database that cannot return new keys from a bulk insert: look them up.
            ids = dict(Car.objects.filter(vin__in=[c.vin for c in cars]).values_list("vin", "pk"))
            for car in cars:
                car.pk = car.id = ids[car.vin]
        Ownership.objects.bulk_create(
            [
                Ownership(
                    car=car,
                    owner_name=row.owner_name,
                    name_visibility=Ownership.Visibility.MEMBERS,
                    country=row.country,
                    note="Imported",
                )
                for car, row in zip(cars, rows, strict=True)
                if row.owner_name
            ],
            batch_size=500,
        )
        facts_record_import(cars=cars, user=staff)
        # bulk_create sends no signals: tell the cached statistics ourselves, and count
        # the register's tallies again once the import commits.
        register_cache.bump_on_commit()
        rebuild_tallies_on_commit()
    return cars


def template_rows() -> list[list[str]]:
    """Two example rows for the downloadable template, using this register's own names."""
    line = ModelLine.objects.first()
    line_name = line.name if line else "BMW 1 Series M Coupé (E82)"
    colours = list(line.colours.all()[:2]) if line else []
    names = [c.paint_code or c.name for c in colours] + ["Valencia Orange", "Alpine White"]
    return [
        [
            "WBSUR9C50BA000001",
            line_name,
            names[0],
            "2011-05",
            "DE",
            "Germany",
            "manual",
            "lhd",
            "road",
            "12",
            "yes",
            "",
            "Adaptive M headlights",
            "Delivered at BMW Welt.",
        ],
        [
            "WBSUR9C50BA000002",
            line_name,
            names[1],
            "2012",
            "GB",
            "GB",
            "manual",
            "rhd",
            "stored",
            "",
            "no",
            "A. Previous Owner",
            "",
            "",
        ],
    ]
