"""Who may see and change which car: one place, so every view answers alike.

404 to anyone who must not know a car exists (pending or rejected records belong to
their owner and staff); 403 to a member who can see a car but may not change it.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from register.models import Car, MileageReading, TimelineEntry


def can_see(user, car: Car) -> bool:
    if car.is_public or user.is_staff:
        return True
    return user.is_authenticated and car.ownerships.current().filter(member=user).exists()


def is_owner(user, car: Car) -> bool:
    return user.is_authenticated and car.ownerships.current().filter(member=user).exists()


def get_car_for_viewer(request, pk: int) -> Car:
    car = Car.objects.select_related("model_line", "colour").filter(pk=pk).first()
    if car is None or not can_see(request.user, car):
        raise Http404(_("No such car on the register."))
    return car


def get_car_for_owner(request, pk: int) -> Car:
    """The car, if the logged-in user owns it now (or is staff)."""
    car = get_car_for_viewer(request, pk)
    if not (request.user.is_staff or is_owner(request.user, car)):
        raise PermissionDenied(_("Only the car's current owner can change it."))
    return car


def require_staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("This page is for the club's staff."))


def get_entry_for_author(request, model, pk: int):
    """A timeline entry or mileage reading its author may change: while they own the car.

    404 to anyone who may not see the car; 403 to someone who may see it but does not own
    it now, or owns it but did not write the entry (an earlier owner's history stays theirs).
    Staff may change any.
    """
    if model not in (TimelineEntry, MileageReading):
        raise ValueError(model)
    entry = model.objects.select_related("car").filter(pk=pk).first()
    if entry is None:
        raise Http404(_("No such entry."))
    entry.car = get_car_for_owner(request, entry.car_id)
    author_id = entry.author_id if model is TimelineEntry else entry.recorded_by_id
    if not request.user.is_staff and author_id != request.user.pk:
        raise PermissionDenied(_("Only the member who wrote this entry can change it."))
    return entry
