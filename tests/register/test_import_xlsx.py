"""Importing the register from an Excel workbook (.xlsx), and files that only pretend to be one."""

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from register import importer
from register.models import Car
from tests.register.factories import ColourFactory, ModelLineFactory
from tests.register.test_import import IMPORT_URL, LINE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def one_m(db):
    line = ModelLineFactory(name=LINE)
    ColourFactory(model_line=line, name="Valencia Orange", paint_code="A76")
    ColourFactory(model_line=line, name="Alpine White", paint_code="300")
    return line


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def workbook(*rows, title="Register") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_part(data: bytes, name: str, change, added=None) -> bytes:
    """The workbook with its part `name` changed by `change`, and the parts `added`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info, change(body) if info.filename == name else body)
        for added_name, body in (added or {}).items():
            target.writestr(added_name, body)
    return out.getvalue()


def _with_sheet_xml(data: bytes, change) -> bytes:
    return _with_part(data, "xl/worksheets/sheet1.xml", change)


def post(client, data: bytes, name: str = "old-register.xlsx", **options):
    upload = SimpleUploadedFile(name, data, content_type=XLSX)
    return client.post(IMPORT_URL, {"file": upload, **options})


def file_error(response) -> str:
    [error] = response.context["form"].errors["file"]
    return error


def test_a_workbook_imports_with_dates_numbers_and_booleans_as_cells(staff_client, one_m):
    data = workbook(
        ["VIN", "Model", "Colour", "Build month", "Plaque", "Verified", "Story"],
        ["WBSUR9C50BA000101", LINE, "Valencia Orange", datetime.datetime(2011, 5, 1), 12, True],
        ["WBSUR9C50BA000102", LINE, "300", 2012, None, False, "Stored in a barn."],
    )

    response = post(staff_client, data)

    assert "Imported 2 cars." in response.content.decode()
    orange, white = Car.objects.order_by("vin")
    assert orange.build_date == datetime.date(2011, 5, 1)
    assert orange.plaque_number == 12  # the cell's 12, not "12.0"
    assert orange.review_status == Car.Review.VERIFIED
    assert white.build_date == datetime.date(2012, 1, 1)
    assert white.review_status == Car.Review.UNVERIFIED
    assert white.colour.name == "Alpine White"
    assert white.story == "Stored in a barn."


def test_a_formula_is_read_as_its_saved_value_and_never_worked_out(staff_client, one_m):
    # openpyxl saves a formula without a value: a spreadsheet program would save both.
    data = workbook(
        ["vin", "model_line", "story"],
        ["WBSUR9C50BA000101", LINE, '=HYPERLINK("http://evil.example/","Click")'],
        ["WBSUR9C50BA000102", LINE, "=1+1"],
    )

    response = post(staff_client, data)

    assert "Imported 2 cars." in response.content.decode()
    assert list(Car.objects.order_by("vin").values_list("story", flat=True)) == ["", ""]


def test_rows_are_named_by_their_row_in_the_sheet(staff_client, one_m):
    data = workbook(
        [],
        ["vin", "model_line"],
        ["WBSUR9C50BA000101", LINE],
        [],
        ["NOT-A-VIN", LINE],
    )

    response = post(staff_client, data)

    [rejected] = response.context["report"].rejected
    assert rejected.line == 5
    assert Car.objects.count() == 0


def test_a_text_file_named_xlsx_is_refused_with_how_to_save_it(staff_client, one_m):
    response = post(staff_client, b"vin,model_line\nWBSUR9C50BA000101,x\n")

    assert response.status_code == 200
    assert "not an Excel workbook" in file_error(response)
    assert Car.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04 and then nothing of a zip",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # an old .xls
    ],
)
def test_a_broken_or_old_workbook_is_refused(staff_client, one_m, data):
    response = post(staff_client, data, name="register.xls")

    assert response.status_code == 200
    assert "not an Excel workbook" in file_error(response)


def test_a_zip_that_is_no_workbook_is_refused(staff_client, one_m):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a spreadsheet")

    response = post(staff_client, out.getvalue())

    assert "not an Excel workbook" in file_error(response)


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_read(
    staff_client, one_m, monkeypatch
):
    monkeypatch.setattr(importer, "MAX_WORKBOOK_UNPACKED", 2 * 1024 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (importer.MAX_WORKBOOK_UNPACKED + 1))
    assert len(out.getvalue()) < importer.MAX_BYTES  # small on the way in

    response = post(staff_client, out.getvalue())

    assert "unpacks to more than 2 MB" in file_error(response)


def test_the_unpacked_limit_holds_the_largest_import_and_little_more():
    # A register as large as an import may be (MAX_ROWS cars in 15 columns, text in every
    # cell as openpyxl writes it: the largest way to save it) fits under the limit...
    book = Workbook()
    sheet = book.active
    sheet.append([f"column {n}" for n in range(15)])
    for n in range(200):
        sheet.append([f"WBSUE92090E{n:06d}", "2011-05", "Alpine White", *["x" * 12] * 12])
    out = io.BytesIO()
    book.save(out)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(out).infolist())
    assert unpacked * importer.MAX_ROWS / 200 < importer.MAX_WORKBOOK_UNPACKED
    # ...and a worker reads what the limits let through in seconds (about 0.25 s a MB).
    assert importer.MAX_WORKBOOK_UNPACKED <= 24 * 1024 * 1024
    assert importer.MAX_SHARED_STRINGS <= 4 * 1024 * 1024


def test_shared_strings_past_their_limit_are_refused_before_they_are_read(
    staff_client, one_m, monkeypatch
):
    monkeypatch.setattr(importer, "MAX_SHARED_STRINGS", 1024 * 1024)
    data = workbook(["vin", "model_line"], ["WBSUR9C50BA000101", LINE])
    # openpyxl writes text into the cells: add the shared strings a spreadsheet program writes.
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    strings += b"<si><t>x</t></si>" * 70_000 + b"</sst>"
    data = _with_part(
        data,
        "[Content_Types].xml",
        lambda xml: xml.replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>',
        ),
        added={"xl/sharedStrings.xml": strings},
    )

    response = post(staff_client, data)

    assert "unpacks to more than 1 MB" in file_error(response)


def test_a_sheet_with_too_many_rows_is_refused(staff_client, one_m, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 2)
    data = workbook(["vin", "model_line"], *[[f"WBSUR9C50BA00010{i}", LINE] for i in range(3)])

    response = post(staff_client, data)

    assert "more than 2 rows" in file_error(response)
    assert Car.objects.count() == 0


def test_a_far_away_cell_does_not_make_the_reader_walk_a_million_rows(
    staff_client, one_m, monkeypatch
):
    monkeypatch.setattr(importer, "MAX_SHEET_ROWS", 50)
    book = Workbook()
    sheet = book.active
    sheet.append(["vin", "model_line"])
    sheet["A1000000"] = "far away"
    out = io.BytesIO()
    book.save(out)

    response = post(staff_client, out.getvalue())

    assert "Please split it into smaller ones." in file_error(response)
    assert Car.objects.count() == 0


def test_an_empty_workbook_is_refused(staff_client, one_m):
    response = post(staff_client, workbook())

    assert "The file is empty." in file_error(response)


def test_a_workbook_without_a_vin_column_is_refused(staff_client, one_m):
    response = post(staff_client, workbook(["model_line", "colour"], [LINE, "300"]))

    assert file_error(response).startswith("Line 1: the header has no vin column.")


def test_only_the_columns_the_import_knows_are_read(monkeypatch):
    read = []
    value = importer._SheetReader.value

    def spy(self, element):
        read.append(element.get("r"))
        return value(self, element)

    monkeypatch.setattr(importer._SheetReader, "value", spy)
    data = workbook(["notes", "vin", "x", "model_line", "y"], ["a", "WBS1", "b", LINE, "c"])

    columns, rows, errors = importer.read_workbook(data)

    assert read[5:] == ["B2", "D2"]  # the header's five cells, then two of row 2
    assert rows == [(2, ["", "WBS1", "", LINE])]
    assert columns == {"vin": 1, "model_line": 3}


def test_reading_stops_after_the_most_rows_an_import_takes(monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    parsed = []
    rows = importer._SheetReader.rows

    def spy(self, xml):
        for number, row in rows(self, xml):
            parsed.append(number)
            yield number, row

    monkeypatch.setattr(importer._SheetReader, "rows", spy)
    data = workbook(["vin", "model_line"], *[[f"WBS{i}", LINE] for i in range(50)])

    with pytest.raises(importer.ImportFileError, match="more than 3 rows"):
        importer.read_workbook(data)
    assert parsed == [1, 2, 3, 4, 5]


def test_cells_outside_any_row_are_refused_not_read_as_an_empty_sheet(staff_client, one_m):
    data = workbook(["vin", "model_line"], ["WBSUR9C50BA000101", LINE])
    stray = _with_sheet_xml(
        data, lambda xml: xml.replace(b"<row", b"<x").replace(b"</row>", b"</x>")
    )

    response = post(staff_client, stray)

    assert "cells that belong to no row" in file_error(response)


def test_a_sheet_with_a_dtd_is_refused(staff_client, one_m):
    data = workbook(["vin", "model_line"], ["WBSUR9C50BA000101", LINE])
    with_dtd = _with_sheet_xml(data, lambda xml: b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + xml)

    response = post(staff_client, with_dtd)

    assert "not an Excel workbook" in file_error(response)


def test_a_cell_holding_an_error_is_reported_on_its_row(staff_client, one_m):
    data = workbook(
        ["vin", "model_line", "build_month"],
        ["WBSUR9C50BA000101", LINE, "#DIV/0!"],  # openpyxl saves it as an error cell
        ["WBSUR9C50BA000102", LINE, "2011-05"],
    )
    assert b't="e"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")

    response = post(staff_client, data)

    [rejected] = response.context["report"].rejected
    assert rejected.line == 2
    assert rejected.reasons == ["Column build_month (C2): the cell holds the error #DIV/0!."]
    assert Car.objects.count() == 0


def test_a_date_outside_the_calendar_is_reported_on_its_row(staff_client, one_m):
    data = workbook(
        ["vin", "model_line", "build_month"],
        ["WBSUR9C50BA000101", LINE, datetime.datetime(2011, 5, 1)],
        ["WBSUR9C50BA000102", LINE, datetime.datetime(2012, 5, 1)],
    )
    # The second date's serial number (41030) made far too large for any calendar.
    data = _with_sheet_xml(data, lambda xml: xml.replace(b"<v>41030</v>", b"<v>99999999</v>"))

    response = post(staff_client, data)

    [rejected] = response.context["report"].rejected
    assert rejected.line == 3
    assert rejected.reasons == [
        "Column build_month (C3): the cell is a date outside the calendar (99999999)."
    ]


def test_a_workbook_with_a_password_is_named_as_such(staff_client, one_m):
    # A workbook saved with a password is an OLE file with an EncryptedPackage stream.
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 500
        + "EncryptionInfo".encode("utf-16-le")
        + b"\x00" * 50
        + "EncryptedPackage".encode("utf-16-le")
        + b"\x00" * 500
    )

    response = post(staff_client, data)

    assert file_error(response).startswith(
        "This workbook is protected with a password: save a copy without one, or as "
    )
