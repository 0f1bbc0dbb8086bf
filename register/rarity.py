"""Rarity: how many cars of a colour the register holds, and what the sources report."""

from dataclasses import dataclass

from django.db.models import Count
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from register.cache import cached
from register.facts import COLOUR_FACTS, disputed_list, in_dispute
from register.models import Car, Colour


@dataclass(frozen=True)
class Rarity:
    colour: Colour
    registered: int
    registered_in_line: int
    disputed: int = 0  # cars that may be of this colour: their colour is in dispute

    @property
    def share(self) -> float:
        return 100 * self.registered / self.registered_in_line if self.registered_in_line else 0

    @property
    def headline(self) -> str:
        if self.registered == 1:
            return _("The only %(colour)s car on the register") % {"colour": self.colour.name}
        return _("One of %(count)s in %(colour)s on the register") % {
            "count": number_format(self.registered, force_grouping=True),
            "colour": self.colour.name,
        }

    @property
    def is_rare(self) -> bool:
        return self.colour.kind == Colour.Kind.SPECIAL or self.share < 5


def line_counts() -> dict[int, int]:
    """Public cars per model line id, in one query."""
    rows = Car.objects.public().values("model_line").annotate(n=Count("id")).order_by()
    return {row["model_line"]: row["n"] for row in rows}


def colour_tallies() -> dict[int, tuple[int, int]]:
    """Public cars per colour id: (settled, in dispute), in one query."""
    disputed = in_dispute(*COLOUR_FACTS)
    rows = (
        Car.objects.public()
        .exclude(colour=None)
        .values("colour")
        .annotate(n=Count("id", filter=~disputed), d=Count("id", filter=disputed))
        .order_by()
    )
    return {row["colour"]: (row["n"], row["d"]) for row in rows}


def rarity_of(car: Car) -> Rarity | None:
    """From cached aggregates: cars per settled colour, per model line, and in dispute.

    A car whose own colour is in dispute has no rarity until the registrar settles it.
    """
    if not car.colour_id or set(disputed_list(car)) & set(COLOUR_FACTS):
        return None
    # A car waiting for staff is not counted yet: count it in, as it will be.
    itself = 0 if car.is_public else 1
    settled, disputed = cached("colour-tallies", colour_tallies).get(car.colour_id, (0, 0))
    return Rarity(
        colour=car.colour,
        registered=settled + itself,
        registered_in_line=cached("line-counts", line_counts).get(car.model_line_id, 0) + itself,
        disputed=disputed,
    )
