"""Importing the club's old spreadsheet: every row checked, nothing half-imported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Sequence
from register import importer
from register.models import Car, Colour, Ownership
from register.services import PLAQUE_SEQUENCE, car_approve
from tests.register.factories import CarFactory, ColourFactory, ModelLineFactory

IMPORT_URL = reverse("register:import")
HEADER = "vin,model_line,colour,build_month,market,country,transmission,steering,status,plaque_number,verified,owner_name,options,story"  # noqa: E501


@pytest.fixture
def one_m(db):
    line = ModelLineFactory(name="BMW 1 Series M Coupé (E82)")
    ColourFactory(model_line=line, name="Valencia Orange", paint_code="A76")
    ColourFactory(model_line=line, name="Alpine White", paint_code="300")
    ColourFactory(
        model_line=line, name="Monte Carlo Blue", paint_code="X04", kind=Colour.Kind.SPECIAL
    )
    return line


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def upload(text: str | bytes, name: str = "old-register.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post(client, text, **options):
    return client.post(IMPORT_URL, {"file": upload(text), **options})


LINE = "BMW 1 Series M Coupé (E82)"
GOOD = "\n".join(
    [
        HEADER,
        f"WBSUR9C50BA000101,{LINE},Valencia Orange,2011-05,DE,Germany,manual,lhd,road,12,yes,,"
        "Adaptive headlights,Delivered at BMW Welt.",
        "wbsur9c50ba000102,bmw-1-series-m-coupe-e82,300,2011,GB,GB,Manual,RHD,Stored,,no,"
        "Ann Earlier,,",
        f"WBSUR9C50BA000103,{LINE},x04,06/2012,US,United States,,left,,,yes,,,",
        "",
    ]
)


# --- Who may import ----------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_log_in(client, one_m):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={IMPORT_URL}"


def test_it_is_forbidden_to_members(client, member, one_m):
    client.force_login(member)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": upload(GOOD)}).status_code == 403
    assert Car.objects.count() == 0


def test_staff_see_the_form_and_a_template_to_download(staff_client, one_m):
    page = staff_client.get(IMPORT_URL)
    template = staff_client.get(IMPORT_URL, {"template": 1})

    assert page.status_code == 200
    assert 'href="?template=1"' in page.content.decode()
    assert template["Content-Disposition"] == 'attachment; filename="register-import-template.csv"'
    text = b"".join(template.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER
    assert "BMW 1 Series M Coupé (E82)" in text


def test_the_template_imports_cleanly(staff_client, one_m):
    template = b"".join(staff_client.get(IMPORT_URL, {"template": 1}).streaming_content)

    report = importer.check_file(template)

    assert report.rejected == []
    assert len(report.valid) == 2


# --- A good file -------------------------------------------------------------------------


def test_a_good_file_imports_every_row(staff_client, one_m, staff):
    response = post(staff_client, GOOD)

    assert response.status_code == 200
    assert "Imported 3 cars." in response.content.decode()
    orange, white, blue = Car.objects.order_by("vin")
    assert orange.review_status == Car.Review.VERIFIED
    assert orange.plaque_number == 12
    assert orange.colour.name == "Valencia Orange"
    assert orange.build_date.isoformat() == "2011-05-01"
    assert orange.country == "DE"
    assert orange.options == "Adaptive headlights"
    assert orange.story == "Delivered at BMW Welt."
    assert orange.registered_by == staff
    assert white.vin == "WBSUR9C50BA000102"
    assert white.review_status == Car.Review.UNVERIFIED
    assert white.plaque_number is None
    assert white.colour.name == "Alpine White"  # found by its paint code
    assert white.build_date.isoformat() == "2011-01-01"  # a year alone
    assert (white.steering, white.status) == (Car.Steering.RIGHT, Car.Status.STORED)
    assert blue.colour.name == "Monte Carlo Blue"
    assert blue.country == "US"
    assert blue.status == Car.Status.UNKNOWN
    assert blue.transmission == Car.Transmission.UNKNOWN
    assert blue.plaque_number == 13  # the next after the highest plaque in the file
    [earlier] = Ownership.objects.all()
    assert (earlier.car, earlier.owner_name, earlier.member) == (white, "Ann Earlier", None)
    assert earlier.name_visibility == Ownership.Visibility.MEMBERS


def test_a_plaque_number_in_the_file_raises_the_sequence(staff_client, one_m, member):
    CarFactory(model_line=one_m)  # plaque No. 1 from the sequence
    post(staff_client, GOOD)

    assert Sequence.objects.get(name=PLAQUE_SEQUENCE).last_value == 13
    later = car_approve(car=CarFactory(pending=True, owner=member), staff=None)
    assert later.plaque_number == 14


def test_verified_rows_without_a_plaque_get_the_next_numbers(staff_client, one_m):
    CarFactory(model_line=one_m)  # plaque No. 1
    post(
        staff_client,
        "VIN;Model line;Verified\n"  # a semicolon file, as European Excel saves it
        "WBSUR9C50BA000201;BMW 1 Series M Coupé (E82);yes\n"
        "WBSUR9C50BA000202;BMW 1 Series M Coupé (E82);yes\n",
    )

    assert list(
        Car.objects.filter(vin__startswith="WBSUR9C50BA0002").values_list(
            "plaque_number", flat=True
        )
    ) == [2, 3]
    assert Sequence.objects.get(name=PLAQUE_SEQUENCE).last_value == 3


def test_a_checked_file_imports_nothing(staff_client, one_m):
    response = post(staff_client, GOOD, check_only="on")

    assert Car.objects.count() == 0
    assert "nothing imported" in response.content.decode()


# --- Bad rows: a report, and nothing imported ------------------------------------------------


BAD_ROWS = [
    pytest.param(
        "WBSUR9C50BA00010,BMW 1 Series M Coupé (E82),Alpine White",
        "A VIN has exactly 17 characters; this one has 16.",
        id="short VIN",
    ),
    pytest.param(
        "WBSUR9C5OBA000104,BMW 1 Series M Coupé (E82),Alpine White",
        "A VIN never contains the letters I, O or Q (found: O).",
        id="VIN with an O",
    ),
    pytest.param(
        "WBSUR9C50BA000101,BMW 1 Series M Coupé (E82),Alpine White",
        "The same VIN is already on line 2.",
        id="duplicate VIN in the file",
    ),
    pytest.param(
        "WBSUR9C50BA000104,BMW 1 Series M Coupé (E82),Java Green",
        "Unknown colour “Java Green” for the BMW 1 Series M Coupé (E82).",
        id="unknown colour",
    ),
    pytest.param(
        "WBSUR9C50BA000104,BMW 1 Series M Coupé (E92),Alpine White",
        "Unknown model line “BMW 1 Series M Coupé (E92)”.",
        id="unknown model line",
    ),
    pytest.param(
        "WBSUR9C50BA000104,BMW 1 Series M Coupé (E82),Alpine White,2011-13",
        "Build month “2011-13” is not a date (use YYYY-MM or YYYY).",
        id="bad build month",
    ),
    pytest.param(
        "WBSUR9C50BA000104,BMW 1 Series M Coupé (E82),Alpine White,,,Atlantis",
        "Unknown country “Atlantis”",
        id="unknown country",
    ),
    pytest.param(
        "WBSUR9C50BA000104,BMW 1 Series M Coupé (E82),Alpine White,,,,,,,12",
        "Plaque number 12 is already on line 2.",
        id="plaque number twice",
    ),
    pytest.param(
        "WBSUR9C50BA000104,BMW 1 Series M Coupé (E82),Alpine White,,,,,,,,maybe",
        "Verified must be yes or no, not “maybe”.",
        id="verified neither yes nor no",
    ),
]


@pytest.mark.parametrize(("bad_row", "reason"), BAD_ROWS)
def test_a_bad_row_is_reported_and_nothing_is_imported(staff_client, one_m, bad_row, reason):
    good_row = f"WBSUR9C50BA000101,{LINE},Valencia Orange,,,,,,,12,yes"
    text = f"{HEADER}\n{good_row}\n{bad_row}\n"

    response = post(staff_client, text)

    assert response.status_code == 200
    html = response.content.decode()
    assert Car.objects.count() == 0
    assert "Nothing was imported: 1 row rejected." in html
    rejected = response.context["report"].rejected
    assert [row.line for row in rejected] == [3]
    assert any(reason in r for r in rejected[0].reasons), rejected[0].reasons
    assert '<th scope="row">3</th>' in html


def test_a_vin_already_on_the_register_is_rejected(staff_client, one_m):
    CarFactory(model_line=one_m, vin="WBSUR9C50BA000102")

    response = post(staff_client, GOOD)

    [rejected] = response.context["report"].rejected
    assert rejected.line == 3
    assert rejected.reasons == ["A car with this VIN is already on the register."]
    assert Car.objects.count() == 1


def test_a_plaque_number_already_used_is_rejected(staff_client, one_m):
    for _ in range(12):
        CarFactory(model_line=one_m)  # plaques 1 to 12

    response = post(staff_client, GOOD)

    [rejected] = response.context["report"].rejected
    assert rejected.reasons == ["Plaque number 12 is already used by a car on the register."]
    assert Car.objects.count() == 12


def test_every_reason_of_a_row_is_reported(staff_client, one_m):
    response = post(staff_client, f"{HEADER}\nWBSUR9C5IBA00010,Mini,Blue,someday,,,,sideways\n")

    [rejected] = response.context["report"].rejected
    assert rejected.line == 2
    assert rejected.reasons == [
        "A VIN has exactly 17 characters; this one has 16.",
        "Unknown model line “Mini”.",
        "Build month “someday” is not a date (use YYYY-MM or YYYY).",
        "Unknown steering “sideways” (use one of: lhd, rhd).",
    ]


def test_with_the_box_ticked_only_the_valid_rows_are_imported(staff_client, one_m):
    text = GOOD + "WBSUR9C5OBA000104,BMW 1 Series M Coupé (E82),Alpine White\n"

    response = post(staff_client, text, skip_rejected="on")

    assert Car.objects.count() == 3
    assert not Car.objects.filter(vin__contains="O").exists()
    html = response.content.decode()
    assert "Imported 3 cars." in html
    assert "WBSUR9C5OBA000104" in html  # the skipped row is still reported


def test_a_file_that_is_not_utf8_is_refused(staff_client, one_m):
    text = (
        f"{HEADER}\n"
        f"WBSUR9C50BA000101,{LINE},Alpine White\n"
        f"WBSUR9C50BA000102,{LINE},Alpine White,,,,,,,,,Jürgen Früher\n"
    )

    response = staff_client.post(IMPORT_URL, {"file": upload(text.encode("cp1252"))})

    assert Car.objects.count() == 0
    errors = response.context["form"].errors["file"]
    assert "Line 2: the file is not UTF-8 text." in errors[0]
    assert "Line 2: the file is not UTF-8 text." in response.content.decode()


def test_a_file_without_a_vin_column_is_refused(staff_client, one_m):
    response = post(
        staff_client, "chassis,model_line\nWBSUR9C50BA000101,BMW 1 Series M Coupé (E82)\n"
    )

    assert Car.objects.count() == 0
    [error] = response.context["form"].errors["file"]
    assert error.startswith("Line 1: the header has no vin column.")


def test_a_file_with_too_many_rows_is_refused(staff_client, one_m, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 2)

    response = post(staff_client, GOOD)

    assert Car.objects.count() == 0
    assert "more than 2 rows" in response.context["form"].errors["file"][0]


def test_a_file_that_is_too_large_is_refused(staff_client, one_m, monkeypatch):
    monkeypatch.setattr(importer, "MAX_BYTES", 100)

    response = post(staff_client, GOOD)

    assert Car.objects.count() == 0
    [error] = response.context["form"].errors["file"]
    assert "the limit is" in error


def test_blank_lines_are_skipped_and_line_numbers_stay_true(staff_client, one_m):
    text = (
        "vin,model_line,story\n"
        "\n"
        'WBSUR9C50BA000101,BMW 1 Series M Coupé (E82),"A story\nover two lines"\n'
        "WBSUR9C50BA0001,BMW 1 Series M Coupé (E82),\n"
    )

    response = post(staff_client, text)

    [rejected] = response.context["report"].rejected
    assert rejected.line == 5


def test_a_cell_guarded_by_the_export_comes_back_as_it_was(staff_client, one_m):
    post(staff_client, "vin,model_line,story\nWBSUR9C50BA000101,bmw-1-series-m-coupe-e82,'=1+1\n")

    assert Car.objects.get().story == "=1+1"


# --- Broken quotes: a row error where the quote opens, not rows folded into one cell ---------


def test_a_quote_never_closed_is_a_rejected_row_on_its_own_line(staff_client, one_m):
    text = (
        "vin,model_line,story\n"
        f"WBSUR9C50BA000101,{LINE},Fine\n"
        f'WBSUR9C50BA000102,{LINE},"Bought in Munich\n'
        f"WBSUR9C50BA000103,{LINE},Fine too\n"
        f"WBSUR9C50BA000104,{LINE},Also fine\n"
    )

    response = post(staff_client, text)

    [rejected] = response.context["report"].rejected
    assert rejected.line == 3
    assert rejected.vin == "WBSUR9C50BA000102"
    assert rejected.reasons == [
        'A quote (") in this row is not closed where its cell ends, so the lines after it '
        "would run together into one cell. Close or remove it."
    ]
    assert Car.objects.count() == 0
    html = response.content.decode()
    assert "Nothing was imported: 1 row rejected." in html
    assert '<th scope="row">3</th>' in html


def test_the_rows_after_a_broken_quote_are_checked_and_imported_on_their_own(staff_client, one_m):
    text = (
        "vin,model_line,colour,story\n"
        f"WBSUR9C50BA000101,{LINE},Alpine White,Fine\n"
        f'WBSUR9C50BA000102,{LINE},Alpine White,"12" wheels\n'
        f'WBSUR9C50BA000103,{LINE},"Valencia Orange",Fine too\n'
        f"WBSUR9C50BA000104,{LINE},Java Green,\n"
    )

    response = post(staff_client, text, skip_rejected="on")

    report = response.context["report"]
    assert [(row.line, row.vin) for row in report.rejected] == [
        (3, "WBSUR9C50BA000102"),
        (5, "WBSUR9C50BA000104"),
    ]
    assert sorted(Car.objects.values_list("vin", "story")) == [
        ("WBSUR9C50BA000101", "Fine"),
        ("WBSUR9C50BA000103", "Fine too"),
    ]
    assert Car.objects.get(vin="WBSUR9C50BA000103").colour.name == "Valencia Orange"


def test_a_quoted_cell_over_several_lines_is_still_one_cell(staff_client, one_m):
    text = (
        "vin,model_line,story\n"
        f'WBSUR9C50BA000101,{LINE},"Bought in Munich,\nsold in ""Leeds""."\n'
        f"WBSUR9C50BA000102,{LINE},Fine\n"
    )

    response = post(staff_client, text)

    assert response.context["report"].rejected == []
    assert Car.objects.get(vin="WBSUR9C50BA000101").story == ('Bought in Munich,\nsold in "Leeds".')
