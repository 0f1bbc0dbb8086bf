"""Every factory fact with its source: the evidence behind a car's colour, build month…

A `CarFact` is one piece of evidence for one factory fact of one car: what the factory
papers, a build sheet, the owner, the registrar's inspection, a sighting or an import
says it is, and how sure that source is. The car's own fields stay the settled value
(the statistics and lists read them); facts are the evidence beside them.

A fact is stored as its *key*: the same text for the same value whatever its source
(a colour's id, "2011-06" for a build month, a country code, the options one per line),
so that facts agree when their keys are equal. A field is *in dispute* when a live fact
(one the registrar has not turned down) disagrees with the car's settled value; the car
keeps the names of its disputed fields in `Car.disputed_fields`, so counting disputed
cars is one indexed query. The registrar settles a dispute (`register.fact_services`).

Imported at the end of register/models.py, so Django finds the models.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

# Settled values live on Car; `paint_code` is the paint code of the car's colour.
FACT_NAMES = (
    "model_line",
    "colour",
    "paint_code",
    "build_date",
    "market",
    "options",
    "transmission",
    "steering",
)
# The disputes that make a car's colour unsettled (rarity counts only settled colours).
COLOUR_FACTS = ("colour", "paint_code")


class CarFact(models.Model):
    class Field(models.TextChoices):
        MODEL_LINE = "model_line", _("Model")
        COLOUR = "colour", _("Colour")
        PAINT_CODE = "paint_code", _("Paint code")
        BUILD_DATE = "build_date", _("Build month")
        MARKET = "market", _("First market")
        OPTIONS = "options", _("Options")
        TRANSMISSION = "transmission", _("Transmission")
        STEERING = "steering", _("Steering")

    class Source(models.TextChoices):
        FACTORY_PAPERS = "factory", _("Factory papers")
        BUILD_SHEET = "build_sheet", _("Build sheet")
        OWNER = "owner", _("The owner")
        INSPECTION = "inspection", _("Registrar's inspection")
        SIGHTING = "sighting", _("A sighting")
        IMPORT = "import", _("Imported register")

    class Confidence(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        LIKELY = "likely", _("Likely")
        UNCERTAIN = "uncertain", _("Uncertain")

    # The sources an owner may name for their own evidence; the rest are the registrar's.
    OWNER_SOURCES = (Source.FACTORY_PAPERS, Source.BUILD_SHEET, Source.OWNER)

    car = models.ForeignKey(
        "register.Car", on_delete=models.CASCADE, related_name="facts", verbose_name=_("car")
    )
    field = models.CharField(_("fact"), max_length=20, choices=Field.choices)
    value = models.TextField(_("value"), blank=True)
    # The typed value where the statistics count it, or a page names it.
    colour = models.ForeignKey(
        "register.Colour",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("colour"),
    )
    model_line = models.ForeignKey(
        "register.ModelLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("model line"),
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    source_note = models.CharField(
        _("about the source"),
        max_length=200,
        blank=True,
        help_text=_("e.g. “BMW Classic certificate 2019”"),
    )
    confidence = models.CharField(
        _("confidence"), max_length=10, choices=Confidence.choices, default=Confidence.LIKELY
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    rejected = models.BooleanField(
        _("not accepted"),
        default=False,
        help_text=_("The registrar settled this fact on another value; the evidence is kept."),
    )
    rejected_at = models.DateTimeField(_("not accepted on"), null=True, blank=True)

    class Meta:
        verbose_name = _("factory fact")
        verbose_name_plural = _("factory facts")
        ordering = ["field", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(field__in=FACT_NAMES),
                name="register_carfact_known_field",
                violation_error_message=_("No such factory fact."),
            ),
            models.CheckConstraint(
                condition=Q(rejected=False) | Q(rejected_at__isnull=False),
                name="register_carfact_rejected_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.car_id} {self.field}={self.value} ({self.source})"

    @property
    def shown(self) -> str:
        return shown_value(self.field, self.value, colour=self.colour, model_line=self.model_line)


class FactSettlement(models.Model):
    """The registrar settled a disputed fact of a car on one value, with a reason."""

    car = models.ForeignKey(
        "register.Car",
        on_delete=models.CASCADE,
        related_name="fact_settlements",
        verbose_name=_("car"),
    )
    field = models.CharField(_("fact"), max_length=20, choices=CarFact.Field.choices)
    value = models.TextField(_("settled value"), blank=True)
    reason = models.TextField(_("reason"))
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("settled by"),
    )
    settled_at = models.DateTimeField(_("settled at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("settled fact")
        verbose_name_plural = _("settled facts")
        ordering = ["-settled_at", "-id"]

    def __str__(self):
        return f"{self.car_id} {self.field}={self.value}"


# --- Keys: one text per value ---------------------------------------------------------


def normalise_options(text: str) -> str:
    return "\n".join(sorted({line.strip() for line in (text or "").splitlines() if line.strip()}))


def key_of(name: str, value) -> str:
    """The key of a value as a form or the car holds it (a model, a date, a country…)."""
    if value is None or value == "":
        return ""
    if name in ("model_line", "colour"):
        return str(value.pk if isinstance(value, models.Model) else value)
    if name == "build_date":
        return f"{value.year:04d}-{value.month:02d}"
    if name == "options":
        return normalise_options(value)
    if name == "paint_code":
        return str(value).strip().upper()
    return str(getattr(value, "code", value))  # a Country, a choice


def car_key(car, name: str) -> str:
    """The key of the car's settled value of a fact."""
    if name == "paint_code":
        return key_of(name, car.colour.paint_code if car.colour_id else "")
    if name in ("model_line", "colour"):
        return key_of(name, getattr(car, f"{name}_id"))
    return key_of(name, getattr(car, name))


def key_to_value(name: str, key: str):
    """The value the car's field takes for a key (not for paint codes: see the service)."""
    if name in ("model_line", "colour"):
        return int(key) if key else None
    if name == "build_date":
        return datetime.date.fromisoformat(f"{key}-01") if key else None
    return key


def shown_value(name: str, key: str, *, colour=None, model_line=None) -> str:
    """A key as a reader sees it, in their language."""
    from register.models import Car

    if not key:
        return "—"
    if name == "colour":
        return str(colour) if colour is not None else key
    if name == "model_line":
        return str(model_line) if model_line is not None else key
    if name == "build_date":
        return date_format(key_to_value(name, key), "YEAR_MONTH_FORMAT")
    if name == "market":
        return countries.name(key) or key
    if name == "options":
        return ", ".join(key.splitlines())
    if name == "transmission":
        return str(dict(Car.Transmission.choices).get(key, key))
    if name == "steering":
        return str(dict(Car.Steering.choices).get(key, key))
    return key


def disputed_names(car, facts) -> list[str]:
    """The fact names where a live fact disagrees with the car's settled value."""
    return [
        name
        for name in FACT_NAMES
        if any(f.value != car_key(car, name) for f in facts if f.field == name and not f.rejected)
    ]


def disputed_list(car) -> list[str]:
    return [name for name in car.disputed_fields.split(",") if name]


def in_dispute(*names: str, prefix: str = "") -> Q:
    """Cars (or, with a prefix such as "cars__", rows related to them) disputing any name."""
    query = Q()
    for name in names:
        query |= Q(**{f"{prefix}disputed_fields__contains": name})
    return query


# --- The car page ---------------------------------------------------------------------


@dataclass
class Claimed:
    """One value of a fact, with every live source that gives it."""

    key: str
    shown: str
    facts: list[CarFact] = field(default_factory=list)
    settled: bool = False  # the car's value


@dataclass
class FactRow:
    name: str
    label: str
    settled: Claimed
    rivals: list[Claimed]  # values other than the settled one, while disputed
    disputed: bool
    turned_down: int = 0  # facts the registrar did not accept


def fact_rows(car, facts: list[CarFact]) -> list[FactRow]:
    """Each factory fact of the car with its evidence, from the car and its facts."""
    rows = []
    labels = dict(CarFact.Field.choices)
    disputed = set(disputed_list(car))
    for name in FACT_NAMES:
        mine = [f for f in facts if f.field == name]
        own_key = car_key(car, name)
        settled = Claimed(
            key=own_key,
            shown=shown_value(name, own_key, colour=car.colour, model_line=car.model_line),
            settled=True,
        )
        rivals: dict[str, Claimed] = {}
        for fact in mine:
            if fact.rejected:
                continue
            if fact.value == own_key:
                settled.facts.append(fact)
            else:
                rivals.setdefault(fact.value, Claimed(key=fact.value, shown=fact.shown))
                rivals[fact.value].facts.append(fact)
        if name == "paint_code" and not own_key and not rivals:
            continue  # a colour with no paint code: nothing to say
        if name == "options" and not own_key and not mine:
            continue
        rows.append(
            FactRow(
                name=name,
                label=str(labels[name]),
                settled=settled,
                rivals=list(rivals.values()),
                disputed=name in disputed or bool(rivals),
                turned_down=sum(1 for f in mine if f.rejected),
            )
        )
    return rows


def facts_of(car) -> list[CarFact]:
    """The car's facts, in one query."""
    return list(car.facts.select_related("colour", "model_line", "recorded_by"))


def fact_label(name: str) -> str:
    return str(dict(CarFact.Field.choices).get(name, name))


def settled_text(settlement: FactSettlement) -> str:
    return gettext("Settled by the registrar on %(date)s: %(reason)s") % {
        "date": date_format(timezone.localtime(settlement.settled_at), "DATE_FORMAT"),
        "reason": settlement.reason,
    }
