"""The writes of factory facts: recording evidence, and the registrar settling a dispute."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from register.facts import (
    COLOUR_FACTS,
    FACT_NAMES,
    CarFact,
    FactSettlement,
    car_key,
    disputed_names,
    fact_label,
    key_of,
    key_to_value,
)
from register.models import Car, Colour, ModelLine

# The most pieces of evidence one car can hold: plenty for any car's papers, and no one
# can fill a car's page with them.
FACTS_PER_CAR = 100

Source = CarFact.Source
Confidence = CarFact.Confidence


class FactError(Exception):
    """A rule of the facts was broken; the message is for the user."""


def _typed(fact: CarFact) -> CarFact:
    if fact.field == "colour" and fact.value:
        fact.colour_id = int(fact.value)
    if fact.field == "model_line" and fact.value:
        fact.model_line_id = int(fact.value)
    return fact


def facts_from_car(
    car: Car,
    *,
    source: str,
    confidence: str,
    user: User | None,
    names: Iterable[str] = FACT_NAMES,
    note: str = "",
) -> list[CarFact]:
    """Unsaved facts saying what the car's own fields say, for the fields that have a value."""
    now = timezone.now()
    facts = []
    for name in names:
        key = car_key(car, name)
        if not key or (name in ("transmission", "steering") and key == "unknown"):
            continue
        facts.append(
            _typed(
                CarFact(
                    car=car,
                    field=name,
                    value=key,
                    source=source,
                    source_note=note,
                    confidence=confidence,
                    recorded_by=user,
                    recorded_at=now,
                )
            )
        )
    return facts


def facts_record_car(
    *, car: Car, source: str, confidence: str, user: User | None, note: str = ""
) -> list[CarFact]:
    """The car's present values, as one source gives them (registration, inspection)."""
    facts = facts_from_car(car, source=source, confidence=confidence, user=user, note=note)
    return CarFact.objects.bulk_create(facts)


def facts_record_import(*, cars: list[Car], user: User | None) -> None:
    """Every imported car's values, from the imported register (the caller's transaction)."""
    facts = []
    for car in cars:
        facts += facts_from_car(car, source=Source.IMPORT, confidence=Confidence.LIKELY, user=user)
    CarFact.objects.bulk_create(facts, batch_size=1000)


def facts_refresh(car: Car) -> list[str]:
    """Recount the car's disputed fields from its facts and save them if they changed."""
    names = disputed_names(
        car, list(CarFact.objects.filter(car=car).only("field", "value", "rejected"))
    )
    text = ",".join(names)
    if text != car.disputed_fields:
        car.disputed_fields = text
        car.save(update_fields=["disputed_fields", "updated_at"])
    return names


def _lock(car: Car) -> Car:
    return (
        Car.objects.select_for_update(of=("self",))
        .select_related("colour", "model_line")
        .get(pk=car.pk)
    )


def car_fact_add(
    *,
    car: Car,
    field: str,
    value,
    source: str,
    confidence: str,
    user: User,
    note: str = "",
) -> CarFact:
    """Record one piece of evidence for a fact of a car.

    When the car has no value for the fact yet and the one who records it may change the
    car (staff, or the owner of a car not yet verified), the car takes the value. Otherwise
    a value that differs from the car's puts the fact in dispute until the registrar
    settles it.
    """
    if field not in FACT_NAMES:
        raise FactError(_("No such factory fact."))
    key = key_of(field, value)
    if not key:
        raise FactError(_("Please give the value this source states."))
    with transaction.atomic():
        car = _lock(car)
        if CarFact.objects.filter(car=car).count() >= FACTS_PER_CAR:
            raise FactError(
                _("This car has %(count)s recorded facts, the most it can hold.")
                % {"count": FACTS_PER_CAR}
            )
        if field == "colour" and value.model_line_id != car.model_line_id:
            raise FactError(_("This colour belongs to another model line."))
        fact = _typed(
            CarFact(
                car=car,
                field=field,
                value=key,
                source=source,
                source_note=note,
                confidence=confidence,
                recorded_by=user,
            )
        )
        fact.save()
        may_fill = user.is_staff or not car.is_verified
        if may_fill and not car_key(car, field) and field != "paint_code":
            _apply(car, field, key)
            car.save(update_fields=[field, "updated_at"])
        facts_refresh(car)
    return fact


def _apply(car: Car, field: str, key: str) -> None:
    """Give the car the value of a key, checked as a form would check it."""
    if field == "paint_code":
        colour = Colour.objects.filter(model_line=car.model_line_id, paint_code__iexact=key).first()
        if colour is None:
            raise FactError(
                _(
                    "No colour of the %(line)s has the paint code %(code)s: add the colour "
                    "first, then settle."
                )
                % {"line": car.model_line, "code": key}
            )
        car.colour = colour
        return
    value = key_to_value(field, key)
    if field == "colour":
        car.colour = Colour.objects.filter(pk=value).first() if value else None
        if value and car.colour is None:
            raise FactError(_("That colour is no longer on the register."))
        return
    if field == "model_line":
        car.model_line = ModelLine.objects.filter(pk=value).first()
        if car.model_line is None:
            raise FactError(_("That model line is no longer on the register."))
        return
    setattr(car, field, value)


def candidates(car: Car, field: str) -> list[str]:
    """The values the registrar may settle a fact on: the car's and every live fact's."""
    keys = [car_key(car, field)]
    for key in (
        CarFact.objects.filter(car=car, field=field, rejected=False)
        .order_by("recorded_at", "id")
        .values_list("value", flat=True)
    ):
        if key not in keys:
            keys.append(key)
    return keys


def car_fact_settle(
    *, car: Car, field: str, key: str, staff: User | None, reason: str
) -> FactSettlement:
    """The registrar picks the value that wins: the car takes it, the facts that say
    otherwise are kept but marked not accepted, and the settlement remains with its reason."""
    if not reason.strip():
        raise FactError(_("Please give a reason for the register's history."))
    with transaction.atomic():
        car = _lock(car)
        if field not in disputed_names(car, list(CarFact.objects.filter(car=car, field=field))):
            raise FactError(
                _("%(fact)s: not in dispute for this car (any more).") % {"fact": fact_label(field)}
            )
        if key not in candidates(car, field):
            raise FactError(_("Please choose one of the values the sources give."))
        settlement = _settle(car=car, field=field, key=key, staff=staff, reason=reason.strip())
    return settlement


def _settle(*, car: Car, field: str, key: str, staff: User | None, reason: str) -> FactSettlement:
    """The caller holds the car's lock in a transaction."""
    if key != car_key(car, field):
        _apply(car, field, key)
        try:
            car.full_clean(validate_unique=False)
        except ValidationError as exc:
            raise FactError(" ".join(exc.messages)) from exc
        car._change_reason = reason  # the car's own history keeps why
        car.save(update_fields=["colour" if field == "paint_code" else field, "updated_at"])
    now = timezone.now()
    settled_key = car_key(car, field)
    CarFact.objects.filter(car=car, field=field, rejected=False).exclude(value=settled_key).update(
        rejected=True, rejected_at=now
    )
    if field in COLOUR_FACTS:
        # Colour and paint code name one paint: settling one settles the other, or the car
        # would leave one dispute for the next.
        other = "paint_code" if field == "colour" else "colour"
        CarFact.objects.filter(car=car, field=other, rejected=False).exclude(
            value=car_key(car, other)
        ).update(rejected=True, rejected_at=now)
    settlement = FactSettlement.objects.create(
        car=car, field=field, value=settled_key, reason=reason, settled_by=staff, settled_at=now
    )
    facts_refresh(car)
    return settlement


def facts_follow_change(
    *, car: Car, names: Iterable[str], proposer: User | None, staff: User | None
) -> None:
    """The registrar accepted an owner's change: their word becomes the settled value.

    The caller holds the car's lock and has saved the new values.
    """
    names = list(names)
    car = Car.objects.select_related("colour", "model_line").get(pk=car.pk)
    if "colour" in names:
        names.append("paint_code")
    CarFact.objects.bulk_create(
        facts_from_car(
            car, source=Source.OWNER, confidence=Confidence.LIKELY, user=proposer, names=names
        )
    )
    for name in names:
        key = car_key(car, name)
        if CarFact.objects.filter(car=car, field=name, rejected=False).exclude(value=key).exists():
            _settle(
                car=car,
                field=name,
                key=key,
                staff=staff,
                reason=_("The registrar accepted the owner's proposed change."),
            )
    facts_refresh(car)


def facts_follow_edit(*, car: Car, names: Iterable[str], editor: User) -> None:
    """The car's facts were changed directly (the owner of a car not yet verified, or
    staff): the owner's own word follows their edit, and the disputes are recounted.

    The caller holds the car's lock and has saved the new values.
    """
    names = [name for name in names if name in FACT_NAMES]
    if not names:
        return
    car = Car.objects.select_related("colour", "model_line").get(pk=car.pk)
    if "colour" in names:
        names.append("paint_code")
    if not editor.is_staff:
        own = CarFact.objects.filter(
            car=car, field__in=names, source=Source.OWNER, recorded_by=editor, rejected=False
        )
        stale = [f.pk for f in own if f.value != car_key(car, f.field)]
        if stale:
            CarFact.objects.filter(pk__in=stale).delete()
            changed = {f.field for f in own if f.pk in stale}
            CarFact.objects.bulk_create(
                facts_from_car(
                    car,
                    source=Source.OWNER,
                    confidence=Confidence.LIKELY,
                    user=editor,
                    names=[name for name in names if name in changed],
                )
            )
    facts_refresh(car)
