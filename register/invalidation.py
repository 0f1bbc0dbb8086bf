"""Which cached pages a change to the register makes stale: as few as show it.

Scopes (config/lib/versioned_cache.py): "cars" is everything a list or a card shows;
f"car:{pk}" one car's page; "tally" the aggregates (statistics, rarity, the filter's menus);
"lastseen" what follows the cars' last-seen dates (the "not seen for" filter, survival);
"sale" the for-sale list; "photos" the API's list of cars (it shows every photo). A
mileage reading bumps its car's page only: the lists and every other car's page stay warm.
Receivers of post_save/post_delete (apps.py); no business logic here.
"""

from register.cache import register_cache

# What a list or a card shows, or filters and sorts by (register/filters.py).
CARD_FIELDS = frozenset(
    {
        "vin",
        "vin_visibility",
        "plaque_number",
        "review_status",
        "status",
        "country",
        "build_date",
        "model_line_id",
        "colour_id",
        "created_at",
        # The API's list and the public export show these too.
        "market",
        "transmission",
        "steering",
    }
)
# What the aggregates count (statistics, rarity, the year and country menus).
TALLY_FIELDS = frozenset(
    {"review_status", "status", "country", "build_date", "model_line_id", "colour_id"}
    | {"market", "disputed_fields"}
)
# The scopes a change that moves the aggregates bumps here: none, since the tallies'
# own receivers (register/tallies.py) bump "tally" exactly when a count moves.
TALLY_SCOPES = ()
# Every field a card, a list or the tallies may read.
WATCHED = CARD_FIELDS | TALLY_FIELDS | {"last_seen_on"}


def _loaded(instance, fields) -> dict:
    # Only the fields the row was loaded with: a deferred one (only()) is not read here.
    return {name: instance.__dict__[name] for name in fields if name in instance.__dict__}


def remember_car(sender, instance, **kwargs) -> None:
    """post_init: the car as loaded, to tell on save which of its fields changed."""
    instance._register_loaded = _loaded(instance, WATCHED)


def remember_photo(sender, instance, **kwargs) -> None:
    instance._register_was_cover = instance.__dict__.get("is_cover", False)


def _changed(instance, update_fields) -> set[str]:
    """The watched fields this save may have changed: named, or differing from the load."""
    if update_fields is not None:
        names = {instance._meta.get_field(name).attname for name in update_fields}
        return names & WATCHED
    loaded = getattr(instance, "_register_loaded", None)
    if loaded is None:
        return set(WATCHED)
    now = _loaded(instance, WATCHED)
    # A field not loaded (deferred) may have been set: count it as changed.
    return {name for name in WATCHED if name not in loaded or now.get(name) != loaded[name]}


def car_saved(sender, instance, using=None, created=False, update_fields=None, **kwargs):
    changed = set(WATCHED) if created else _changed(instance, update_fields)
    _bump_for_car(instance.pk, changed, using)
    instance._register_loaded = _loaded(instance, WATCHED)


def car_deleted(sender, instance, using=None, **kwargs):
    _bump_for_car(instance.pk, set(WATCHED), using)


def _bump_for_car(pk: int, changed: set[str], using) -> None:
    scopes = {f"car:{pk}"}
    if changed & CARD_FIELDS:
        scopes.add("cars")
    if "last_seen_on" in changed:
        scopes.add("lastseen")
    if changed & TALLY_FIELDS:
        scopes.update(TALLY_SCOPES)
    register_cache.bump_on_commit(using, scopes=_ordered(scopes))


def photo_changed(sender, instance, using=None, **kwargs):
    """A cover photo shows on the car's card; any other only on its page."""
    scopes = {f"car:{instance.car_id}", "photos"}
    if instance.is_cover or getattr(instance, "_register_was_cover", False):
        scopes.add("cars")
    register_cache.bump_on_commit(using, scopes=_ordered(scopes))
    instance._register_was_cover = instance.is_cover


def car_part_changed(sender, instance, using=None, **kwargs):
    """A mileage reading, timeline entry or ownership shows on its car's page only."""
    register_cache.bump_on_commit(using, scopes=(f"car:{instance.car_id}",))


def fact_changed(sender, instance, using=None, **kwargs):
    """A fact shows on its car's page; disputes feed the rarity counts."""
    register_cache.bump_on_commit(using, scopes=(f"car:{instance.car_id}", *TALLY_SCOPES))


def listing_changed(sender, instance, using=None, **kwargs):
    register_cache.bump_on_commit(using, scopes=(f"car:{instance.car_id}", "sale"))


def _ordered(scopes) -> tuple:
    # None (the namespace) makes the others moot.
    return (None,) if None in scopes else tuple(sorted(scopes))
