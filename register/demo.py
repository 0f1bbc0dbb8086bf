"""Demo data for the register: the BMW 1 Series M Coupé (E82) and 462 invented cars.

The figures are public facts with their sources; the cars, VINs and people are invented.
Idempotent: nothing is added when the model line already has cars.
"""

import datetime
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from PIL import Image, ImageDraw

from accounts.demo import DEMO_MEMBER_EMAIL, DEMO_ORGANISER_EMAIL
from accounts.models import Sequence, User
from register import cache as register_cache
from register import services
from register.facts_demo import seed_facts
from register.lastseen import seed_lastseen
from register.models import (
    Car,
    Claim,
    Colour,
    MileageReading,
    ModelLine,
    Ownership,
    ProductionFigure,
    TimelineEntry,
    Transfer,
)
from register.plates_demo import seed_plates
from register.sale import seed_sale
from register.services import PLAQUE_SEQUENCE
from register.sightings import seed_sightings
from register.tallies import rebuild_tallies
from register.timeline import system_entry

CAR_COUNT = 462  # the register's size in April 2025
PHOTO_COUNT = 36
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

REGISTER_SOURCE = "BMW 1 Series M Register, club count (2025)"
FIGURES = [
    (6309, "customer cars", REGISTER_SOURCE, "Built until production ended in June 2012.", True),
    (
        6342,
        "all cars, with 33 internal cars",
        REGISTER_SOURCE,
        "6,309 customer + 33 internal.",
        False,
    ),
    (
        6331,
        "cars built",
        "Other published production tallies",
        "Disagrees with the register.",
        False,
    ),
    (
        6339,
        "cars built",
        "Other published production tallies",
        "Disagrees with the register.",
        False,
    ),
]
# name, paint code, kind, swatch, weight in the demo, reported production, source
COLOURS = [
    ("Valencia Orange", "", Colour.Kind.STANDARD, "#E8731A", 40, None, ""),
    ("Alpine White", "300", Colour.Kind.STANDARD, "#F4F4F0", 30, None, ""),
    ("Black Sapphire", "475", Colour.Kind.STANDARD, "#15171C", 30, None, ""),
    ("Monte Carlo Blue", "", Colour.Kind.SPECIAL, "#1F4E9C", 0, 2, "Owners' reports to the club"),
    ("Java Green", "", Colour.Kind.SPECIAL, "#3E9A3A", 0, None, ""),
    ("Atacama Yellow", "", Colour.Kind.SPECIAL, "#E3B81F", 0, None, ""),
]
SPECIAL_COUNTS = {"Monte Carlo Blue": 2, "Java Green": 3, "Atacama Yellow": 2}
# market, weight, right-hand drive
MARKETS = [
    ("US", 32, False),
    ("DE", 18, False),
    ("GB", 10, True),
    ("CA", 5, False),
    ("AU", 5, True),
    ("CH", 4, False),
    ("NL", 4, False),
    ("FR", 3, False),
    ("IT", 3, False),
    ("JP", 3, True),
    ("SE", 2, False),
    ("BE", 2, False),
    ("AT", 2, False),
    ("ZA", 2, True),
    ("ES", 1, False),
    ("NO", 1, False),
    ("DK", 1, False),
    ("PL", 1, False),
]
STATUSES = [
    (Car.Status.ON_THE_ROAD, 80),
    (Car.Status.STORED, 10),
    (Car.Status.OFF_THE_ROAD, 3),
    (Car.Status.WRITTEN_OFF, 2),
    (Car.Status.EXPORTED, 3),
    (Car.Status.STOLEN, 1),
    (Car.Status.UNKNOWN, 1),
]
OPTIONS = [
    "Comfort access",
    "Navigation Professional",
    "Heated seats",
    "Adaptive headlights",
    "Harman Kardon sound",
    "Electric sunroof delete",
]
PREVIOUS_OWNERS = [
    "J. Whitfield",
    "M. Okonkwo",
    "R. Almeida",
    "S. Lindgren",
    "T. Kowalczyk",
    "H. Brennan",
    "C. Duval",
    "K. Nakamura",
    "P. Ferreira",
    "E. Halvorsen",
]


def _vin(rng: random.Random) -> str:
    # WBS = BMW M GmbH; UR = invented E82 1M code; the rest random. Invented, not real cars.
    return "WBSUR" + "".join(rng.choice(VIN_ALPHABET) for _ in range(12))


def _weighted(rng, items):
    return rng.choices([i[0] for i in items], weights=[i[1] for i in items])[0]


def car_picture(colour_hex: str, rng: random.Random, size=(960, 640)) -> bytes:
    """A simple coupé drawn with Pillow, in the car's colour, as a JPEG."""
    w, h = size
    image = Image.new("RGB", size, "#cfd8e3")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, int(h * 0.68), w, h], fill="#5b6470")  # tarmac
    draw.rectangle([0, int(h * 0.66), w, int(h * 0.69)], fill="#e9ecef")
    sky = rng.choice(["#9cc3e6", "#b8d4ea", "#f3c99c"])
    draw.rectangle([0, 0, w, int(h * 0.4)], fill=sky)
    x0, y0 = int(w * 0.12), int(h * 0.38)
    body = [
        (x0, y0 + 150),
        (x0 + 30, y0 + 80),
        (x0 + 230, y0 + 60),
        (x0 + 330, y0 - 10),
        (x0 + 520, y0 - 15),
        (x0 + 620, y0 + 55),
        (x0 + 730, y0 + 75),
        (x0 + 745, y0 + 150),
    ]
    draw.polygon(body, fill=colour_hex, outline="#222")
    draw.polygon(
        [(x0 + 345, y0), (x0 + 510, y0 - 5), (x0 + 590, y0 + 55), (x0 + 260, y0 + 60)],
        fill="#2b3440",
    )
    for cx in (x0 + 165, x0 + 600):
        draw.ellipse([cx - 62, y0 + 98, cx + 62, y0 + 222], fill="#111")
        draw.ellipse([cx - 36, y0 + 124, cx + 36, y0 + 196], fill="#9aa1a9")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def _model_line() -> ModelLine:
    line, _ = ModelLine.objects.get_or_create(
        name="BMW 1 Series M Coupé (E82)",
        defaults={
            "marque": "BMW",
            "slug": "1m-coupe-e82",
            "production_start": 2011,
            "production_end": 2012,
            "description": "The 1M: planned as a limited run of 2,700, built until June 2012.",
        },
    )
    for count, label, source, note, primary in FIGURES:
        ProductionFigure.objects.get_or_create(
            model_line=line,
            count=count,
            label=label,
            defaults={"source": source, "note": note, "is_primary": primary},
        )
    for name, code, kind, swatch, _weight, reported, source in COLOURS:
        Colour.objects.get_or_create(
            model_line=line,
            name=name,
            defaults={
                "paint_code": code,
                "kind": kind,
                "swatch": swatch,
                "reported_production": reported,
                "source": source,
            },
        )
    return line


def seed(stdout, rng: random.Random) -> None:
    line = _model_line()
    if line.cars.exists():
        stdout.write(f"  register: {line.cars.count()} cars already there\n")
    else:
        with transaction.atomic():
            _seed_cars(line, rng)
            seed_facts()
            seed_sale()  # cars for sale (register/sale.py)
        register_cache.bump()  # bulk inserts send no signals
        rebuild_tallies()
        stdout.write(
            f"  register: {Car.objects.count()} cars, {Ownership.objects.count()} ownerships\n"
        )
    seed_lastseen(stdout)


def _seed_cars(line: ModelLine, rng: random.Random) -> None:
    colours = {c.name: c for c in line.colours.all()}
    members = list(User.objects.active().order_by("membership_number"))
    plan = []
    for name, count in SPECIAL_COUNTS.items():
        plan += [name] * count
    standard = [(c[0], c[4]) for c in COLOURS if c[4]]
    plan += [_weighted(rng, standard) for _ in range(CAR_COUNT - len(plan))]
    rng.shuffle(plan)

    vins, cars = set(), []
    start = datetime.date(2011, 3, 1)
    for index, colour_name in enumerate(plan):
        vin = _vin(rng)
        while vin in vins:
            vin = _vin(rng)
        vins.add(vin)
        pick = _weighted(rng, MARKETS)
        market, _, rhd = next(m for m in MARKETS if m[0] == pick)
        built = start + datetime.timedelta(days=rng.randrange(0, 470))
        review = Car.Review.VERIFIED if index < 430 else Car.Review.UNVERIFIED
        cars.append(
            Car(
                vin=vin,
                model_line=line,
                colour=colours[colour_name],
                build_date=built.replace(day=1),
                market=market,
                country=market if rng.random() > 0.12 else rng.choice(MARKETS)[0],
                transmission=Car.Transmission.MANUAL,
                steering=Car.Steering.RIGHT if rhd else Car.Steering.LEFT,
                options="\n".join(rng.sample(OPTIONS, rng.randrange(0, 4))),
                status=_weighted(rng, STATUSES),
                vin_visibility=Car.VinVisibility.FULL if rng.random() < 0.2 else "last7",
                plaque_number=index + 1 if review == Car.Review.VERIFIED else None,
                review_status=review,
                story="",
            )
        )
    Car.objects.bulk_create(cars)
    Sequence.objects.update_or_create(name=PLAQUE_SEQUENCE, defaults={"last_value": 430})
    cars = list(Car.objects.filter(model_line=line).order_by("id"))

    ownerships, timeline, mileage = [], [], []
    for index, car in enumerate(cars):
        delivered = car.build_date + datetime.timedelta(days=45)
        owners = rng.choice([1, 1, 2, 2, 3])
        dates = sorted(
            delivered + datetime.timedelta(days=rng.randrange(200, 4800)) for _ in range(owners - 1)
        )
        starts = [delivered, *dates]
        for n, began in enumerate(starts):
            last = n == len(starts) - 1
            member = members[(index // 3) % len(members)] if last and index % 3 == 0 else None
            ownerships.append(
                Ownership(
                    car=car,
                    member=member,
                    owner_name="" if member else rng.choice(PREVIOUS_OWNERS),
                    name_visibility=rng.choice(list(Ownership.Visibility.values)),
                    country=car.country if last else car.market,
                    started_on=began,
                    ended_on=None if last else starts[n + 1],
                )
            )
        timeline.append(
            system_entry(car, "delivered_in", delivered, kind="delivered", country=car.market.code)
        )
        if rng.random() < 0.3:
            timeline.append(
                TimelineEntry(
                    car=car,
                    kind="track_day",
                    title="Nürburgring Nordschleife lap",
                    happened_on=delivered + datetime.timedelta(days=rng.randrange(300, 4000)),
                )
            )
        km = 0
        for year in range(2013, 2026, rng.choice([3, 4, 6])):
            km += rng.randrange(4000, 16000) * 3
            mileage.append(
                MileageReading(car=car, read_on=datetime.date(year, 5, 1), kilometres=km)
            )
    Ownership.objects.bulk_create(ownerships)
    TimelineEntry.objects.bulk_create(timeline)
    MileageReading.objects.bulk_create(mileage)

    for car in rng.sample(cars[:430], PHOTO_COUNT) + [
        c for c in cars if c.colour.kind == "special"
    ]:
        if car.photos.exists():
            continue
        picture = car_picture(car.colour.swatch, rng)
        upload = SimpleUploadedFile("car.jpg", picture, content_type="image/jpeg")
        services.photo_add(
            car=car, upload=upload, member=None, caption=f"{car.colour.name} at a meet"
        )

    _seed_demo_accounts_cars(line, cars, rng)
    seed_sightings()
    seed_plates()  # registration plates and who sees them (register/plates_demo.py)


def _seed_demo_accounts_cars(line: ModelLine, cars: list[Car], rng: random.Random) -> None:
    """The demo log-ins get cars that show every workflow."""
    member = User.objects.get(email=DEMO_MEMBER_EMAIL)
    organiser = User.objects.get(email=DEMO_ORGANISER_EMAIL)
    orange = line.colours.get(name="Valencia Orange")

    def give(car: Car, to: User, on: datetime.date):
        services._hand_over(car=car, to_member=to, on=on)

    def free_on(car: Car, on: datetime.date) -> bool:
        """Nobody owned the car after `on`: a handover that day overlaps no earlier owner."""
        return not car.ownerships.filter(Q(started_on__gt=on) | Q(ended_on__gt=on)).exists()

    bought = datetime.date(2019, 4, 12)
    mine = next(
        c for c in cars if c.colour_id == orange.pk and c.plaque_number and free_on(c, bought)
    )
    give(mine, member, bought)
    mine.story = "Bought from its first owner in Bavaria; a summer car ever since."
    mine.save(update_fields=["story"])
    blue_car = next(
        c
        for c in cars
        if c.colour.name == "Monte Carlo Blue"
        and c.plaque_number
        and free_on(c, datetime.date(2021, 8, 2))
    )
    give(blue_car, organiser, datetime.date(2021, 8, 2))

    # A new registration waiting for the registrar.
    pending = Car(
        vin="WBSUR" + "PENDNG" + "000001",
        model_line=line,
        colour=line.colours.get(name="Alpine White"),
        build_date=datetime.date(2012, 2, 1),
        market="NL",
        country="NL",
    )
    services.car_register(member=member, car=pending, started_on=datetime.date(2024, 6, 1))
    # A claim waiting: the demo member says an unowned record is theirs.
    unowned = next(c for c in cars if c.review_status == Car.Review.UNVERIFIED)
    Claim.objects.create(
        car=unowned,
        claimant=member,
        evidence="Bought in March 2024 from the previous owner in Utrecht; V5 and invoice held.",
    )
    # A transfer waiting: the organiser sells a car to the demo member.
    sold = next(
        c
        for c in cars
        if c.colour.name == "Black Sapphire"
        and c.plaque_number
        and free_on(c, datetime.date(2016, 5, 20))
    )
    give(sold, organiser, datetime.date(2016, 5, 20))
    Transfer.objects.create(
        car=sold,
        from_member=organiser,
        to_member=member,
        transfer_date=datetime.date(2026, 11, 1),
        note="Sold at the autumn meet",
    )
