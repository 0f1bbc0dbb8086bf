"""Who sees a car's registration plate: one rule, asked by every page, search and export.

The owner chooses `Car.plate_visibility`; read the table as "<viewer> sees the plate when
the owner chose <column>":

    viewer                                                gate   members   public
    the car's current owner, the club's staff             yes    yes       yes
    an organiser or check-in helper of a meet where       yes    yes       yes
      the car has a live RSVP (going or waitlisted)
    anyone at the gate of such a meet (`gate_of=meet`;    yes    yes       yes
      a gate device too, with no viewer)
    any other active (approved) member                    no     yes       yes
    anyone else, anonymous visitors included              no     no        yes

`gate_of=meet` is the caller's word that the viewer is at that meet's gate: the caller has
checked that they organise it or help at it (or that a device's token is for it). It shows
the plates of the cars with a live RSVP at that meet, and no other.

Which meets a car is going to is the meets app's knowledge: it answers through its
AppConfig's `plate_gate_cars` hook, so the register imports nothing from meets.

A search asks `plate_visible_q`, so it never finds a car by a plate its page would not
show the same viewer.
"""

from collections.abc import Iterable

from django.apps import apps
from django.db.models import Q, QuerySet

from register.models import Car, Ownership

_GATE_MEMO = "_plates_gate_car_ids"


def _signed_in(viewer) -> bool:
    return viewer is not None and getattr(viewer, "is_authenticated", False)


def _gate_cars(*, viewer=None, meet=None) -> list[QuerySet]:
    """Ids of cars with a live RSVP at `meet`, or at the meets `viewer` runs: one
    subquery per app that knows meets (the hook `plate_gate_cars`)."""
    found = []
    for config in apps.get_app_configs():
        hook = getattr(config, "plate_gate_cars", None)
        if callable(hook):
            cars = hook(viewer=viewer, meet=meet)
            if cars is not None:
                found.append(cars)
    return found


def gate_car_ids(meet) -> frozenset[int]:
    """The ids of the cars with a live RSVP at `meet`: one query per meet object."""
    ids = meet.__dict__.get(_GATE_MEMO)
    if ids is None:
        ids = frozenset(pk for cars in _gate_cars(meet=meet) for pk in cars)
        meet.__dict__[_GATE_MEMO] = ids
    return ids


def note_gate_cars(meet, car_ids: Iterable[int]) -> None:
    """Tell the rule which cars have a live RSVP at `meet`, from RSVPs the caller has
    already loaded: saves `gate_car_ids` its query. Only ever the COMPLETE set."""
    meet.__dict__[_GATE_MEMO] = frozenset(car_ids)


def _personal_q(viewer, prefix: str) -> Q:
    """The cars `viewer` owns now, and those going to a meet they organise or help at."""
    owned = Ownership.objects.current().filter(member=viewer).values("car_id")
    q = Q(**{f"{prefix}pk__in": owned})
    for cars in _gate_cars(viewer=viewer):
        q |= Q(**{f"{prefix}pk__in": cars})
    return q


def plate_visible(car: Car, viewer, *, gate_of=None) -> bool:
    """May `viewer` (a user, an anonymous visitor, or None for a gate device) see the
    registration plate of `car`? `gate_of`: the meet at whose gate the viewer is."""
    chosen = car.plate_visibility
    if chosen == Car.PlateVisibility.PUBLIC:
        return True
    signed_in = _signed_in(viewer)
    if signed_in and viewer.is_staff:
        return True
    if (
        chosen == Car.PlateVisibility.MEMBERS
        and signed_in
        and getattr(viewer, "is_active_member", False)
    ):
        return True
    if gate_of is not None and car.pk in gate_car_ids(gate_of):
        return True
    if not signed_in or getattr(viewer, "pk", None) is None:
        return False
    return Car.objects.filter(pk=car.pk).filter(_personal_q(viewer, "")).exists()


def plate_for(car: Car, viewer, *, gate_of=None) -> str:
    """The plate `viewer` may see of `car`, or "" (no plate, or hidden from them)."""
    if not car.registration_plate:
        return ""
    return car.registration_plate if plate_visible(car, viewer, gate_of=gate_of) else ""


def plate_visible_q(viewer, *, gate_of=None, prefix: str = "") -> Q:
    """The cars whose plate `viewer` may see, as a filter (`prefix`: the path to the car,
    e.g. "car__" from an RSVP). The same rule as plate_visible, for searches."""
    visibility = f"{prefix}plate_visibility"
    signed_in = _signed_in(viewer)
    if signed_in and viewer.is_staff:
        return Q()
    q = Q(**{visibility: Car.PlateVisibility.PUBLIC})
    if signed_in and getattr(viewer, "is_active_member", False):
        q |= Q(**{visibility: Car.PlateVisibility.MEMBERS})
    if gate_of is not None:
        for cars in _gate_cars(meet=gate_of):
            q |= Q(**{f"{prefix}pk__in": cars})
    if signed_in and getattr(viewer, "pk", None) is not None:
        q |= _personal_q(viewer, prefix)
    return q
