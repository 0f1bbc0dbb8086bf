"""Writing CSV for people who open it in a spreadsheet. Imports no app.

A cell that starts with = + - @ (or a tab or carriage return) is a formula to Excel,
LibreOffice and Google Sheets: a car's story reading `=HYPERLINK("http://evil", "Click")`
would run in the registrar's spreadsheet. Every text cell goes through `safe_cell`,
which puts an apostrophe in front of such a value so the spreadsheet shows it as text
(OWASP "CSV injection"). Numbers (Decimal amounts too) are written as numbers.
"""

import csv
import datetime
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV as UTF-8 only when it starts with a byte-order mark.
BOM = "\ufeff"


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should get it: None as empty, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value  # a number, even a negative one (an amount of -60.00 is no formula)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def unguard_cell(text: str) -> str:
    """Undo `safe_cell` when reading a file this site wrote: "'=x" becomes "=x"."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


class _Echo:
    """A file-like object whose write() hands the line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Iterable[str], rows: Iterable[Iterable[Any]], *, bom: bool = True
) -> Iterator[str]:
    """The CSV text, one line at a time, so a response can stream any number of rows."""
    writer = csv.writer(_Echo())
    first = writer.writerow([safe_cell(name) for name in header])
    yield (BOM + first) if bom else first
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> str:
    return "".join(csv_lines(header, rows, bom=bom))


def streaming_csv_response(
    *, filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A download that writes rows as they come: rows may be a lazy database iterator."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
