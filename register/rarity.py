"""Rarity: how many cars of a colour the register holds, and what the sources report."""

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from register.cache import register_cache
from register.facts import COLOUR_FACTS, disputed_list
from register.models import Car, Colour
from register.tallies import line_colour_counts


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


def rarity_of(car: Car) -> Rarity | None:
    """From the tallies, in one query (cached until a count moves): cars of the car's
    settled colour, of its model line, and of its colour in dispute.

    A car whose own colour is in dispute has no rarity until the registrar settles it.
    """
    if not car.colour_id or set(disputed_list(car)) & set(COLOUR_FACTS):
        return None
    # A car waiting for staff is not counted yet: count it in, as it will be.
    itself = 0 if car.is_public else 1
    in_line, settled, disputed = register_cache.cached(
        f"rarity:{car.model_line_id}:{car.colour_id}",
        lambda: line_colour_counts(car.model_line_id, car.colour_id),
        scopes=("tally",),
    )
    return Rarity(
        colour=car.colour,
        registered=settled + itself,
        registered_in_line=in_line + itself,
        disputed=disputed,
    )
