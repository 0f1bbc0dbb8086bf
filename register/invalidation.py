"""Which cached pages a change to the register makes stale: as few as show it.

Scopes (config/lib/versioned_cache.py): "cars" is everything a list or a card shows;
f"car:{pk}" one car's page; "tally" the aggregates (statistics, rarity, the filter's menus);
"lastseen" what follows the cars' last-seen dates (the "not seen for" filter, survival);
"sale" the for-sale list; "photos" the API's list of cars (it shows every photo). A
mileage reading bumps its car's page only: the lists and every other car's page stay warm.
A search's result (register/filters.py: search_scope) hangs on "find:…", the scope of the
cars it can find (one plaque number, or the VINs ending alike) and on "search", bumped by
what a search's cards show beyond the car's own fields (a cover photo): a new car leaves
the searches for every other car warm.
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
# A search by VIN needs at least this much of its end (register/filters.py: search_cars).
SEARCH_MIN_END = 4


def vin_scope(vin: str) -> str:
    """Every search for a VIN's end that `vin` may match shares this scope."""
    return f"find:{vin[-SEARCH_MIN_END:]}"


def plaque_scope(plaque) -> str:
    return f"find:#{plaque}"


# What a search finds a car by.
SEARCHED = frozenset({"vin", "plaque_number"})


def _search_scopes(values: dict) -> set[str]:
    """The searches that may find a car with these `vin` and `plaque_number`."""
    scopes = set()
    if values.get("vin"):
        scopes.add(vin_scope(values["vin"]))
    if values.get("plaque_number") is not None:
        scopes.add(plaque_scope(values["plaque_number"]))
    return scopes


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
    # The searches that found it as it was, and those that find it now.
    was = getattr(instance, "_register_loaded", {})
    _bump_for_car(instance, changed, using, was=None if created else was)
    instance._register_loaded = _loaded(instance, WATCHED)


def car_deleted(sender, instance, using=None, **kwargs):
    _bump_for_car(instance, set(WATCHED), using, was=None)


def _bump_for_car(car, changed: set[str], using, was: dict | None) -> None:
    scopes = {f"car:{car.pk}"}
    if changed & CARD_FIELDS:
        scopes.add("cars")
        now = _loaded(car, SEARCHED)
        scopes |= _search_scopes(now) | _search_scopes(was or {})
        if SEARCHED - now.keys() or (was is not None and SEARCHED - was.keys()):
            # Loaded without its VIN or plaque (only()): which searches find it is unknown.
            scopes.add("search")
    if "last_seen_on" in changed:
        scopes.add("lastseen")
    if changed & TALLY_FIELDS:
        scopes.update(TALLY_SCOPES)
    register_cache.bump_on_commit(using, scopes=_ordered(scopes))


def photo_changed(sender, instance, using=None, **kwargs):
    """A cover photo shows on the car's card; any other only on its page."""
    scopes = {f"car:{instance.car_id}", "photos"}
    if instance.is_cover or getattr(instance, "_register_was_cover", False):
        # A card shows it: the lists, and any search that may show the car.
        scopes.update(("cars", "search"))
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
