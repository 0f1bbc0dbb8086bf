"""The demo club's evidence: facts with their sources on a dozen cars, a few disputes."""

import datetime

from accounts.demo import DEMO_STAFF_EMAIL
from accounts.models import User
from register.fact_services import car_fact_add, car_fact_settle
from register.facts import CarFact, car_key
from register.models import Car, Colour

Source = CarFact.Source
Confidence = CarFact.Confidence


def _month_before(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def seed_facts() -> None:
    """Twelve verified cars get sourced facts; four disagree, and one is settled."""
    staff = User.objects.filter(email=DEMO_STAFF_EMAIL).first()
    if staff is None or CarFact.objects.filter(source=Source.FACTORY_PAPERS).exists():
        return
    cars = list(
        Car.objects.filter(review_status=Car.Review.VERIFIED, colour__paint_code__gt="")
        .exclude(build_date=None)
        .exclude(market="")
        .select_related("colour", "model_line")
        .order_by("plaque_number")[:12]
    )
    if len(cars) < 4:
        return

    def add(car, field, value, source, confidence, note=""):
        car_fact_add(
            car=car,
            field=field,
            value=value,
            source=source,
            confidence=confidence,
            note=note,
            user=staff,
        )

    for car in cars:
        add(
            car,
            "colour",
            car.colour,
            Source.FACTORY_PAPERS,
            Confidence.CONFIRMED,
            "BMW Classic certificate",
        )
        add(
            car,
            "build_date",
            car.build_date,
            Source.IMPORT,
            Confidence.LIKELY,
            "The club's 2019 spreadsheet",
        )

    # The build sheet's paint code against the owner's memory.
    paint, month, colour, market = cars[:4]
    add(
        paint,
        "paint_code",
        car_key(paint, "paint_code"),
        Source.BUILD_SHEET,
        Confidence.CONFIRMED,
        "Build sheet found in the glovebox",
    )
    other = "475" if car_key(paint, "paint_code") != "475" else "300"
    add(paint, "paint_code", other, Source.OWNER, Confidence.UNCERTAIN)
    # The factory papers give a build month before the imported one.
    add(
        month,
        "build_date",
        _month_before(month.build_date),
        Source.FACTORY_PAPERS,
        Confidence.CONFIRMED,
        "BMW Classic certificate 2019",
    )
    # A sighting in another colour (a wrap, perhaps).
    rival = (
        Colour.objects.filter(model_line=colour.model_line_id)
        .exclude(pk=colour.colour_id)
        .order_by("name")
        .first()
    )
    if rival is not None:
        add(
            colour,
            "colour",
            rival,
            Source.SIGHTING,
            Confidence.UNCERTAIN,
            "Seen at the Nürburgring, 2024",
        )
    # A first market in dispute, settled by the registrar on the factory papers.
    papers = "GB" if market.market.code != "GB" else "DE"
    add(market, "market", market.market.code, Source.IMPORT, Confidence.LIKELY)
    add(
        market,
        "market",
        papers,
        Source.FACTORY_PAPERS,
        Confidence.CONFIRMED,
        "BMW Classic certificate 2021",
    )
    car_fact_settle(
        car=market,
        field="market",
        key=papers,
        staff=staff,
        reason="The BMW Classic certificate names the first market; the spreadsheet was wrong.",
    )
