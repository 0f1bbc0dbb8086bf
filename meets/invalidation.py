"""Which cached meets pages a change makes stale: as few as really show it (issue 17).

Signal receivers, cache invalidation only (meets/apps.py connects them). Each bump
happens once the change commits (VersionedCache.bump_on_commit). The scopes:
- "list": the meets list and series pages (they show each meet's counts);
- f"meet:{pk}": one meet's pages (its cars, counts, album teaser, pages of cars);
- f"car:{pk}": the meets section of one car's page in the register (meets it attended,
  album photos of it).
A member's change of a field pages show (their name) still bumps everything (apps.py).
"""

from meets.cache import meets_cache


def _bump(using, *scopes) -> None:
    meets_cache.bump_on_commit(using, scopes=scopes)


def _shows_check_in(instance, created, update_fields) -> bool:
    """Whether an RSVP's change may show on its car's page (the meets it attended)."""
    if instance.checked_in_at is not None:
        return True
    if created:
        return False
    return update_fields is None or "checked_in_at" in update_fields


def rsvp_changed(sender, instance, using=None, created=False, update_fields=None, **kwargs):
    scopes = [f"meet:{instance.meet_id}", "list"]
    if _shows_check_in(instance, created, update_fields):
        scopes.append(f"car:{instance.car_id}")
    _bump(using, *scopes)


def meet_changed(sender, instance, using=None, update_fields=None, **kwargs):
    """Any save of a meet (an edit, publishing, cancelling, members only or not): its
    pages, the list, and the car pages that show it — as attended, or in an album photo.
    The counters are kept with update(), which sends no signal: saves are rare."""
    from meets.models import RSVP, AlbumPhoto

    scopes = {f"meet:{instance.pk}", "list"}
    came = RSVP.objects.using(using).filter(meet_id=instance.pk, checked_in_at__isnull=False)
    tagged = AlbumPhoto.objects.using(using).filter(meet_id=instance.pk, car__isnull=False)
    for query in (came, tagged):
        scopes.update(f"car:{car_id}" for car_id in query.values_list("car_id", flat=True))
    _bump(using, *sorted(scopes))


def _meets_of_car(car_id, using) -> list[str]:
    """The meet pages that show a car: those where it has a live RSVP (one indexed query)."""
    from meets.models import RSVP

    live = RSVP.objects.using(using).live().filter(car_id=car_id)
    return [f"meet:{meet_id}" for meet_id in live.values_list("meet_id", flat=True).distinct()]


def car_changed(sender, instance, using=None, **kwargs):
    scopes = _meets_of_car(instance.pk, using)
    if scopes:
        _bump(using, *scopes)


def car_photo_changed(sender, instance, using=None, **kwargs):
    scopes = _meets_of_car(instance.car_id, using)
    if scopes:
        _bump(using, *scopes)


def album_photo_changed(sender, instance, using=None, **kwargs):
    scopes = [f"meet:{instance.meet_id}"]
    if instance.car_id:
        scopes.append(f"car:{instance.car_id}")
    _bump(using, *scopes)


def meet_part_changed(sender, instance, using=None, **kwargs):
    """A meet's question or check-in device: the meet's pages and the gate's download."""
    _bump(using, f"meet:{instance.meet_id}")
