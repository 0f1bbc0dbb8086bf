"""The demo club's registration plates (register/plates.py has the rule who sees them)."""

import random

from register.models import Car

# Plausible plates by the country a car lives in: (district or prefix, letters, digits).
_DE_DISTRICTS = ("MYK", "AW", "K", "M", "B", "D", "S", "F", "HH", "BN", "KO", "SU")
_GB_AREAS = ("AB", "BD", "LK", "MA", "WR", "YS", "GN", "EF")
_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"


def _demo_plate(country: str, rng) -> str:
    def letters(n: int) -> str:
        return "".join(rng.choice(_LETTERS) for _ in range(n))

    def digits(n: int) -> str:
        return "".join(str(rng.randrange(10)) for _ in range(n))

    match country:
        case "DE":  # "MYK-M 135"
            return (
                f"{rng.choice(_DE_DISTRICTS)}{letters(rng.randrange(1, 3))}{rng.randrange(1, 9999)}"
            )
        case "NL":  # "12-ABC-3"
            return f"{digits(2)}{letters(3)}{digits(1)}"
        case "GB":  # "AB12 CDE"
            return f"{rng.choice(_GB_AREAS)}{rng.choice(('11', '61', '12', '62'))}{letters(3)}"
        case "BE":  # "1-ABC-123"
            return f"1{letters(3)}{digits(3)}"
        case "FR":  # "AB-123-CD"
            return f"{letters(2)}{digits(3)}{letters(2)}"
        case "CH":  # "ZH 123456"
            return f"{rng.choice(('ZH', 'BE', 'GE', 'VD'))}{rng.randrange(1000, 999999)}"
        case "AT":  # "W-12345A"
            return f"W{digits(5)}{letters(1)}"
        case _:
            return f"{letters(3)}{digits(4)}"


def seed_plates(*, rng=None) -> None:
    """Give most demo cars a plate of the country they live in; a few owners show it to
    members, fewer to everyone. Called once from register/demo.py."""
    rng = rng or random.Random(16)  # noqa: S311 (demo data, not a secret)
    taken = set(
        Car.objects.exclude(registration_plate="").values_list("registration_plate", flat=True)
    )
    cars = list(Car.objects.filter(registration_plate="").order_by("pk"))
    changed = []
    for car in cars:
        if rng.random() < 0.15:
            continue  # not every owner gives the register their plate
        plate = _demo_plate(car.country.code if car.country else "", rng)
        while plate in taken:
            plate = _demo_plate(car.country.code if car.country else "", rng)
        taken.add(plate)
        car.registration_plate = plate
        roll = rng.random()
        car.plate_visibility = (
            Car.PlateVisibility.PUBLIC
            if roll < 0.05
            else Car.PlateVisibility.MEMBERS
            if roll < 0.2
            else Car.PlateVisibility.GATE
        )
        changed.append(car)
    Car.objects.bulk_update(changed, ["registration_plate", "plate_visibility"], batch_size=500)
