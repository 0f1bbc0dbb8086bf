"""Rarity: how many cars of a colour the register holds, and what the sources report."""

from dataclasses import dataclass

from register.models import Car, Colour


@dataclass(frozen=True)
class Rarity:
    colour: Colour
    registered: int
    registered_in_line: int

    @property
    def share(self) -> float:
        return 100 * self.registered / self.registered_in_line if self.registered_in_line else 0

    @property
    def headline(self) -> str:
        if self.registered == 1:
            return f"The only {self.colour.name} car on the register"
        return f"One of {self.registered} in {self.colour.name} on the register"

    @property
    def is_rare(self) -> bool:
        return self.colour.kind == Colour.Kind.SPECIAL or self.share < 5


def rarity_of(car: Car) -> Rarity | None:
    """Two count queries: cars in this colour and cars of this model line."""
    if not car.colour_id:
        return None
    public = Car.objects.public()
    # A car waiting for staff is not counted yet: count it in, as it will be.
    itself = 0 if car.is_public else 1
    return Rarity(
        colour=car.colour,
        registered=public.filter(colour=car.colour_id).count() + itself,
        registered_in_line=public.filter(model_line=car.model_line_id).count() + itself,
    )
