"""Every fact with its source: evidence, disputes, the registrar settling them, rarity."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

from register import fact_services, importer, services
from register.facts import CarFact, FactSettlement
from register.models import Car, colour_counts
from register.rarity import rarity_of
from tests.factories import MemberFactory
from tests.register.factories import CarFactory, ColourFactory

Source = CarFact.Source
Confidence = CarFact.Confidence


@pytest.fixture
def staff(db):
    return MemberFactory(display_name="Stella Staff", is_staff=True)


@pytest.fixture
def owner(db):
    return MemberFactory(display_name="Olga Owner")


@pytest.fixture
def white_car(owner, model_line):
    return CarFactory(owner=owner, model_line=model_line)


def add(car, user, field="colour", value=None, source=Source.BUILD_SHEET, **kwargs):
    return fact_services.car_fact_add(
        car=car,
        field=field,
        value=value,
        source=source,
        confidence=kwargs.pop("confidence", Confidence.CONFIRMED),
        user=user,
        **kwargs,
    )


def settle_url(car, field="colour"):
    return reverse("register:fact_settle", args=[car.pk, field])


def disputed_colour_car(owner, staff, valencia_orange, model_line):
    """A white car (the owner's word) whose build sheet says Valencia Orange."""
    car = CarFactory(owner=owner, model_line=model_line)
    add(car, owner, source=Source.OWNER, value=car.colour, confidence=Confidence.LIKELY)
    add(car, staff, value=valencia_orange, note="Build sheet 2011")
    car.refresh_from_db()
    return car


# --- Disputes -----------------------------------------------------------------------------


def test_evidence_that_agrees_with_the_register_is_no_dispute(white_car, owner):
    add(white_car, owner, source=Source.FACTORY_PAPERS, value=white_car.colour)

    white_car.refresh_from_db()
    assert white_car.disputed_fields == ""
    assert white_car.facts.get().source == Source.FACTORY_PAPERS


def test_a_source_that_disagrees_puts_the_fact_in_dispute_and_keeps_the_car_as_it_was(
    white_car, staff, valencia_orange
):
    white = white_car.colour

    add(white_car, staff, value=valencia_orange)

    white_car.refresh_from_db()
    assert white_car.disputed_fields == "colour"
    assert white_car.colour == white
    assert Car.objects.filter(disputed_fields__gt="").count() == 1


def test_a_paint_code_and_a_build_month_are_compared_as_values(white_car, staff):
    add(white_car, staff, field="paint_code", value=" 300 ")  # Alpine White's code
    add(white_car, staff, field="build_date", value=datetime.date(2011, 6, 17))

    white_car.refresh_from_db()
    assert white_car.disputed_fields == ""

    add(white_car, staff, field="build_date", value=datetime.date(2011, 5, 1))
    white_car.refresh_from_db()
    assert white_car.disputed_fields == "build_date"


def test_staff_evidence_fills_a_fact_the_car_lacks(owner, staff, model_line):
    car = CarFactory(owner=owner, model_line=model_line, build_date=None)

    add(car, staff, field="build_date", value=datetime.date(2011, 9, 1))

    car.refresh_from_db()
    assert car.build_date == datetime.date(2011, 9, 1)
    assert car.disputed_fields == ""


def test_an_owners_evidence_does_not_change_a_verified_car(white_car, owner):
    add(white_car, owner, field="market", value="GB", source=Source.FACTORY_PAPERS)

    white_car.refresh_from_db()
    assert white_car.market == "DE"
    assert white_car.disputed_fields == "market"


def test_a_car_holds_at_most_so_many_facts(white_car, owner, monkeypatch):
    monkeypatch.setattr(fact_services, "FACTS_PER_CAR", 2)
    add(white_car, owner, value=white_car.colour)
    add(white_car, owner, value=white_car.colour)

    with pytest.raises(fact_services.FactError, match="the most it can hold"):
        add(white_car, owner, value=white_car.colour)


# --- Where facts come from by themselves --------------------------------------------------


def test_registering_a_car_records_the_owners_word(owner, model_line, valencia_orange):
    car = Car(
        vin="WBSUR9C50BZ000001",
        model_line=model_line,
        colour=valencia_orange,
        build_date=datetime.date(2011, 6, 1),
        market="DE",
    )

    services.car_register(member=owner, car=car)

    facts = {f.field: f for f in car.facts.all()}
    assert set(facts) >= {"model_line", "colour", "paint_code", "build_date", "market"}
    assert {f.source for f in facts.values()} == {Source.OWNER}
    assert facts["paint_code"].value == "A76"
    assert facts["colour"].colour == valencia_orange


def test_verifying_a_car_records_the_registrars_inspection(owner, staff, model_line):
    car = CarFactory(owner=owner, model_line=model_line, pending=True)

    services.car_approve(car=car, staff=staff)

    inspected = car.facts.filter(source=Source.INSPECTION)
    assert inspected.filter(field="colour", confidence=Confidence.CONFIRMED).exists()
    assert not Car.objects.get(pk=car.pk).disputed_fields


def test_an_import_records_its_facts(staff, model_line):
    data = (
        "vin,model_line,colour,build_month\n"
        f"WBSUR9C50BZ000009,{model_line.name},Alpine White,2011-07\n"
    ).encode()
    ColourFactory(model_line=model_line)
    report = importer.check_file(data)
    assert not report.rejected, report.rejected

    [car] = importer.import_rows(rows=report.valid, staff=staff)

    assert set(car.facts.values_list("source", flat=True)) == {Source.IMPORT}
    assert car.facts.get(field="build_date").value == "2011-07"


def test_an_accepted_change_settles_the_fact_on_the_owners_word(
    white_car, owner, staff, valencia_orange
):
    add(white_car, staff, value=white_car.colour, source=Source.INSPECTION)
    services.car_update(car=white_car, editor=owner, values={"colour": valencia_orange})
    change = white_car.change_requests.get()

    services.car_change_accept(change=change, staff=staff)

    white_car.refresh_from_db()
    assert white_car.colour == valencia_orange
    assert white_car.disputed_fields == ""
    assert white_car.facts.get(source=Source.INSPECTION, field="colour").rejected
    assert white_car.facts.filter(source=Source.OWNER, field="colour", rejected=False).exists()
    assert FactSettlement.objects.filter(car=white_car, field="colour").exists()


# --- Settling -----------------------------------------------------------------------------


def test_settling_gives_the_car_the_winning_value_and_keeps_the_losing_evidence(
    owner, staff, valencia_orange, model_line
):
    car = disputed_colour_car(owner, staff, valencia_orange, model_line)

    fact_services.car_fact_settle(
        car=car, field="colour", key=str(valencia_orange.pk), staff=staff, reason="Build sheet"
    )

    car.refresh_from_db()
    assert car.colour == valencia_orange
    assert car.disputed_fields == ""
    owners_word = car.facts.get(source=Source.OWNER)
    assert owners_word.rejected and owners_word.rejected_at is not None
    settlement = FactSettlement.objects.get(car=car)
    assert (settlement.reason, settlement.settled_by) == ("Build sheet", staff)
    assert car.history.first().history_change_reason == "Build sheet"


def test_settling_needs_a_reason_and_one_of_the_values_given(
    owner, staff, valencia_orange, model_line
):
    car = disputed_colour_car(owner, staff, valencia_orange, model_line)

    with pytest.raises(fact_services.FactError, match="reason"):
        fact_services.car_fact_settle(car=car, field="colour", key="", staff=staff, reason=" ")
    with pytest.raises(fact_services.FactError, match="one of the values"):
        fact_services.car_fact_settle(car=car, field="colour", key="999", staff=staff, reason="x")


def test_staff_settle_on_a_page_showing_both_sides(
    client_for, owner, staff, valencia_orange, model_line
):
    car = disputed_colour_car(owner, staff, valencia_orange, model_line)
    client = client_for(staff)

    page = client.get(settle_url(car)).content.decode()
    assert "Alpine White" in page and "Valencia Orange" in page
    assert "Build sheet 2011" in page

    response = client.post(
        settle_url(car), {"value": str(valencia_orange.pk), "reason": "The build sheet."}
    )

    assert response.status_code == 302
    car.refresh_from_db()
    assert car.colour == valencia_orange
    assert FactSettlement.objects.filter(car=car).count() == 1


def test_settling_twice_is_refused_with_a_message(
    client_for, owner, staff, valencia_orange, model_line
):
    car = disputed_colour_car(owner, staff, valencia_orange, model_line)
    client = client_for(staff)
    data = {"value": str(valencia_orange.pk), "reason": "The build sheet."}
    client.post(settle_url(car), data)

    response = client.post(settle_url(car), data, follow=True)

    assert response.status_code == 200
    assert "not in dispute" in response.content.decode()
    assert FactSettlement.objects.filter(car=car).count() == 1


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 302), ("member", 403), ("owner", 403), ("staff", 200)]
)
def test_only_staff_may_settle(client_for, who, status, owner, staff, valencia_orange, model_line):
    car = disputed_colour_car(owner, staff, valencia_orange, model_line)
    user = {"anonymous": None, "member": MemberFactory(), "owner": owner, "staff": staff}[who]

    assert client_for(user).get(settle_url(car)).status_code == status
    response = client_for(user).post(settle_url(car), {"value": str(valencia_orange.pk)})
    assert response.status_code == (200 if who == "staff" else status)  # staff: no reason
    assert Car.objects.get(pk=car.pk).disputed_fields == "colour"


def test_a_tampered_car_field_or_value_answers_404_or_the_form(
    client_for, owner, staff, valencia_orange, model_line
):
    car = disputed_colour_car(owner, staff, valencia_orange, model_line)
    client = client_for(staff)

    assert client.get(reverse("register:fact_settle", args=[999999, "colour"])).status_code == 404
    assert client.get(settle_url(car, "vin")).status_code == 404
    response = client.post(settle_url(car), {"value": "'; DROP", "reason": "x"})
    assert response.status_code == 200
    assert Car.objects.get(pk=car.pk).disputed_fields == "colour"


# --- Adding evidence ---------------------------------------------------------------------


def test_the_owner_adds_evidence_with_a_source_the_registrar_then_sees(
    client_for, white_car, owner
):
    url = reverse("register:fact_add", args=[white_car.pk, "build_date"])
    response = client_for(owner).post(
        url,
        {
            "value": "2011-05",
            "source": Source.FACTORY_PAPERS,
            "source_note": "BMW Classic certificate 2019",
            "confidence": Confidence.CONFIRMED,
        },
    )

    assert response.status_code == 302
    fact = white_car.facts.get(field="build_date")
    assert (fact.value, fact.source_note) == ("2011-05", "BMW Classic certificate 2019")
    assert Car.objects.get(pk=white_car.pk).disputed_fields == "build_date"


def test_an_owner_cannot_claim_the_registrars_inspection(client_for, white_car, owner):
    url = reverse("register:fact_add", args=[white_car.pk, "market"])
    response = client_for(owner).post(
        url, {"value": "GB", "source": Source.INSPECTION, "confidence": "confirmed"}
    )

    assert response.status_code == 200
    assert not white_car.facts.exists()


def test_another_member_may_not_add_evidence(client_for, white_car):
    url = reverse("register:fact_add", args=[white_car.pk, "colour"])

    assert client_for(MemberFactory()).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302
    assert client_for(white_car.current_owner.member).get(url).status_code == 200


# --- The car page ------------------------------------------------------------------------


def test_the_car_page_shows_both_sides_of_a_dispute_without_names(
    client_for, owner, staff, valencia_orange, model_line
):
    car = disputed_colour_car(owner, staff, valencia_orange, model_line)

    public = client_for(None).get(car.get_absolute_url()).content.decode()

    assert "Factory facts and their sources" in public
    assert "The registrar has not settled this yet." in public
    assert "Valencia Orange" in public and "Build sheet 2011" in public
    assert "The owner" in public and "Confirmed" in public
    assert "Stella Staff" not in public and "Olga Owner" not in public
    assert settle_url(car) not in public

    staff_page = client_for(staff).get(car.get_absolute_url()).content.decode()
    assert settle_url(car) in staff_page
    assert "recorded by Stella Staff" in staff_page


def test_a_car_without_evidence_says_its_sources_are_not_stated(client_for, white_car):
    page = client_for(None).get(white_car.get_absolute_url()).content.decode()

    assert "as registered; source not stated" in page


# --- Rarity and the staff list ------------------------------------------------------------


def test_rarity_counts_settled_colours_and_says_how_many_are_in_dispute(
    client_for, owner, staff, valencia_orange, model_line
):
    settled = CarFactory(model_line=model_line)
    disputed_colour_car(owner, staff, valencia_orange, model_line)
    cache.clear()

    assert colour_counts() == {settled.colour_id: 1}
    rarity = rarity_of(settled)
    assert (rarity.registered, rarity.disputed) == (1, 1)
    page = client_for(None).get(settled.get_absolute_url()).content.decode()
    assert "Plus 1 car whose colour is in dispute" in page
    stats = client_for(None).get(reverse("register:stats")).content.decode()
    assert "plus 1 car whose colour is in dispute" in stats
    assert "Colour in dispute" in stats


@pytest.mark.parametrize("cars", [2, 50])
def test_the_disputed_list_takes_the_same_queries_for_2_cars_and_50(
    client_for, staff, cars, django_assert_num_queries, model_line
):
    for _ in range(cars):
        CarFactory(model_line=model_line)
    Car.objects.update(disputed_fields="colour,build_date")
    client = client_for(staff)
    cache.clear()

    # 1. the session, 2. the staff member, 3. the staff inbox's total (context processor,
    # cold cache), 4. the count of disputed cars, 5. the page of cars with line and colour
    with django_assert_num_queries(5):
        response = client.get(reverse("register:facts_disputed"))

    assert response.status_code == 200
    assert response.content.decode().count("Settle: Build month") == min(cars, 50)


def test_settling_a_paint_code_settles_the_colour_it_names(
    client_for, owner, staff, valencia_orange, model_line
):
    # The papers say Alpine White (the car's colour now); the owner says paint code A76.
    car = CarFactory(owner=owner, model_line=model_line)
    add(car, staff, value=car.colour, source=Source.FACTORY_PAPERS)
    add(car, owner, field="paint_code", value="A76", source=Source.OWNER)
    car.refresh_from_db()
    assert car.disputed_fields == "paint_code"

    client_for(staff).post(settle_url(car, "paint_code"), {"value": "A76", "reason": "Seen it."})

    car.refresh_from_db()
    assert car.colour == valencia_orange
    assert car.disputed_fields == ""
    assert car.facts.get(field="colour").rejected
