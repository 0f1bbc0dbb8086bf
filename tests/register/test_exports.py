"""Downloads: the public CSV and JSON hold no personal data; the staff CSV holds everything."""

import csv
import io
import json

import pytest
from django.urls import reverse

from config.lib.csvutil import csv_text, safe_cell, unguard_cell
from register.models import Car, Ownership
from tests.register.factories import CarFactory, ColourFactory, ModelLineFactory, OwnershipFactory

PUBLIC_CSV = reverse("register:export_csv")
PUBLIC_JSON = reverse("register:export_json")
STAFF_CSV = reverse("register:export_staff_csv")

HIDDEN_VIN = "WBSUR9C50BE123456"
SHOWN_VIN = "WBSUR9C50BE654321"


@pytest.fixture
def cars(member, other_member):
    """A car with a hidden VIN, one with its VIN shown, and two that are not public."""
    line = ModelLineFactory()
    blue = ColourFactory(model_line=line, name="Monte Carlo Blue", paint_code="X04")
    hidden = CarFactory(
        vin=HIDDEN_VIN,
        model_line=line,
        colour=blue,
        story="Bought from Hans Hidden in Bonn.",
        owner=member,
    )
    OwnershipFactory(
        car=hidden,
        member=None,
        owner_name="Frieda Former",
        started_on="2012-01-01",
        ended_on="2019-12-31",
    )
    shown = CarFactory(
        vin=SHOWN_VIN,
        model_line=line,
        vin_visibility=Car.VinVisibility.FULL,
        unverified=True,
        country="GB",
        owner=other_member,
    )
    pending = CarFactory(pending=True, owner=member)
    rejected = CarFactory(rejected=True, owner=member)
    return {"hidden": hidden, "shown": shown, "pending": pending, "rejected": rejected}


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_json(response) -> dict:
    return json.loads(b"".join(response.streaming_content))


# --- The public exports -------------------------------------------------------------


def test_the_public_csv_lists_every_public_car_and_nothing_else(client, cars):
    response = client.get(PUBLIC_CSV)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="register-')
    rows = read_csv(response)
    assert [row["plaque_number"] for row in rows] == [str(cars["hidden"].plaque_number), ""]
    hidden, shown = rows
    assert hidden["vin"] == "••••••••••" + "E123456"
    assert hidden["colour"] == "Monte Carlo Blue"
    assert hidden["paint_code"] == "X04"
    assert hidden["build_month"] == "2011-06"
    assert hidden["first_market"] == "DE"
    assert hidden["verified"] == "yes"
    assert shown["vin"] == SHOWN_VIN
    assert shown["country"] == "GB"
    assert shown["verified"] == "no"


def test_the_public_json_lists_every_public_car_and_nothing_else(client, cars):
    response = client.get(PUBLIC_JSON)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="register-')
    data = read_json(response)
    assert [car["vin"] for car in data["cars"]] == ["••••••••••E123456", SHOWN_VIN]
    assert data["cars"][0]["verified"] is True
    assert data["cars"][0]["build_month"] == "2011-06"


@pytest.mark.parametrize("url", [PUBLIC_CSV, PUBLIC_JSON])
def test_the_public_exports_hold_no_personal_data(client, cars, member, other_member, url):
    content = b"".join(client.get(url).streaming_content).decode()

    for secret in (
        HIDDEN_VIN,  # the owner chose to show only the last 7 characters
        cars["pending"].vin[-7:],
        cars["rejected"].vin[-7:],
        member.display_name,
        member.email,
        other_member.display_name,
        other_member.email,
        "Frieda Former",
        "Hans Hidden",  # the story may name people: it is left out
    ):
        assert secret not in content


@pytest.mark.parametrize("url", [PUBLIC_CSV, PUBLIC_JSON])
@pytest.mark.parametrize("count", [2, 50])
def test_the_public_exports_take_one_query_for_2_cars_and_50(
    client, url, count, member, django_assert_num_queries
):
    line = ModelLineFactory()
    for _ in range(count):
        CarFactory(model_line=line, owner=member)

    # 1. the public cars with their model line and colour (select_related), read in chunks
    with django_assert_num_queries(1):
        content = b"".join(client.get(url).streaming_content).decode("utf-8-sig")

    assert content.count("••••••••••") == count  # every VIN, hidden but its last 7


# --- The staff export -----------------------------------------------------------------


def test_the_staff_export_sends_anonymous_visitors_to_log_in(client, cars):
    response = client.get(STAFF_CSV)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={STAFF_CSV}"


def test_the_staff_export_is_forbidden_to_members(client, cars, member):
    client.force_login(member)

    response = client.get(STAFF_CSV)

    assert response.status_code == 403
    assert member.email.encode() not in response.content


def test_the_staff_export_holds_everything(client, cars, staff, member):
    client.force_login(staff)

    response = client.get(STAFF_CSV)

    assert response.status_code == 200
    rows = {row["vin"]: row for row in read_csv(response)}
    assert set(rows) == {car.vin for car in cars.values()}  # pending and rejected too
    hidden = rows[HIDDEN_VIN]
    assert hidden["owner_name"] == "Olga Owner"
    assert hidden["owner_email"] == member.email
    assert hidden["owner_membership_number"] == str(member.membership_number)
    assert hidden["number_of_owners"] == "2"
    assert hidden["review_status"] == "verified"
    assert hidden["story"] == "Bought from Hans Hidden in Bonn."
    assert rows[cars["rejected"].vin]["review_status"] == "rejected"


def test_the_staff_export_names_a_non_member_owner(client, staff):
    car = CarFactory(pending=True)
    OwnershipFactory(car=car, member=None, owner_name="Norbert Nonmember")
    client.force_login(staff)

    [row] = read_csv(client.get(STAFF_CSV))

    assert row["owner_name"] == "Norbert Nonmember"
    assert row["owner_email"] == ""


def test_the_staff_export_defuses_spreadsheet_formulas(client, staff):
    CarFactory(story='=HYPERLINK("http://evil.example","Click")', options="+49 fog lights")
    client.force_login(staff)

    [row] = read_csv(client.get(STAFF_CSV))

    assert row["story"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row["options"] == "'+49 fog lights"


@pytest.mark.parametrize("count", [2, 50])
def test_the_staff_export_takes_the_same_queries_for_2_cars_and_50(
    client, staff, member, count, django_assert_num_queries
):
    for _ in range(count):
        car = CarFactory(owner=member)
        OwnershipFactory(
            car=car,
            member=None,
            owner_name="Earlier",
            started_on="2015-01-01",
            ended_on="2019-01-01",
        )
    client.force_login(staff)

    # 1. the session, 2. the logged-in user,
    # 3. the cars with model line, colour and number of owners (one chunk of up to 2,000),
    # 4. the current owners of that chunk, with their member account
    with django_assert_num_queries(4):
        rows = read_csv(client.get(STAFF_CSV))

    assert len(rows) == count
    assert {row["owner_email"] for row in rows} == {member.email}
    assert Ownership.objects.count() == 2 * count


# --- The CSV helper ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("x")'],
)
def test_a_cell_that_a_spreadsheet_would_run_gets_an_apostrophe(value):
    assert safe_cell(value) == "'" + value
    assert unguard_cell(safe_cell(value)) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Alpine White", "Alpine White"), (None, ""), (True, "yes"), (-5, -5), (6309, 6309)],
)
def test_other_cells_are_written_as_they_are(value, expected):
    assert safe_cell(value) == expected


def test_the_csv_text_starts_with_a_byte_order_mark_for_excel():
    text = csv_text(["name"], [["Nürburgring"]])

    assert text == "\ufeffname\r\nNürburgring\r\n"
