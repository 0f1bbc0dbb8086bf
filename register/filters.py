import re

import django_filters
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from register.cache import register_cache
from register.invalidation import SEARCH_MIN_END, plaque_scope, vin_scope
from register.lastseen import years_ago
from register.models import PLAQUE_ORDER, Car, Colour, ModelLine
from register.tallies import counts_by
from register.validators import VIN_SHORT_LENGTH, normalise_vin

PLAQUE = PLAQUE_ORDER
SORTS = {
    "plaque": (gettext_lazy("Plaque number"), [PLAQUE, "vin"]),
    "built": (
        gettext_lazy("Build date, oldest first"),
        [F("build_date").asc(nulls_last=True), PLAQUE],
    ),
    "-built": (
        gettext_lazy("Build date, newest first"),
        [F("build_date").desc(nulls_last=True), PLAQUE],
    ),
    "colour": (gettext_lazy("Colour"), ["colour__name", PLAQUE]),
    "-added": (gettext_lazy("Recently added"), ["-created_at", "-id"]),
}

# The register's "not seen for N years" filter; a car never seen counts as not seen.
NOT_SEEN_CHOICES = [
    ("1", gettext_lazy("Not seen for a year")),
    ("3", gettext_lazy("Not seen for 3 years")),
    ("5", gettext_lazy("Not seen for 5 years")),
    ("10", gettext_lazy("Not seen for 10 years")),
    ("never", gettext_lazy("Never seen")),
]


def _years():
    return register_cache.cached("years", _public_build_years, scopes=("tally",))


def _public_build_years():
    """The build years of public cars, from the tallies (one small query)."""
    years = sorted(int(key) for key in counts_by("year") if key)
    return [(y, str(y)) for y in years]


def _countries_in_use():
    """Only the countries where public cars live: a short list, not all 250."""
    codes = {code for code in counts_by("country") if code}
    return [(code, name) for code, name in countries if code in codes]


# A plaque number may be typed "12", "#12", "No. 12" or "no 12" ("Noah" stays a name).
PLAQUE_PREFIX = re.compile(r"^(?:no\.?\s*|#)(?=\d)", re.IGNORECASE)


def without_plaque_prefix(value: str) -> str:
    return PLAQUE_PREFIX.sub("", value.strip()).strip()


def _search_terms(value: str) -> tuple[str, str | int] | None:
    """What a search asks for: ("plaque", 12), ("vin", "…the end typed…"), ("none", "")
    for too short a VIN's end, or None for no search."""
    raw = without_plaque_prefix(value)
    if not raw:
        return None
    if raw.isdecimal() and len(raw) <= 6:  # not isdigit(): int("²") fails
        return ("plaque", int(raw))
    vin = normalise_vin(raw)
    return ("vin", vin) if len(vin) >= SEARCH_MIN_END else ("none", "")


def search_cars(queryset, value: str):
    """Cars by plaque number ("#12", "No. 12"), last 7 of the VIN, the whole VIN or its end.

    The register's one search rule: the list page, the API and the gate's walk-ins ask it.
    """
    terms = _search_terms(value)
    if terms is None:
        return queryset
    kind, term = terms
    if kind == "plaque":
        return queryset.filter(plaque_number=term)
    if kind == "none":
        return queryset.none()
    if len(term) == VIN_SHORT_LENGTH:
        return queryset.filter(vin_tail=term)
    if len(term) == 17:
        return queryset.filter(vin=term)
    return queryset.filter(vin__endswith=term)


def search_scope(value: str) -> str | None:
    """The cache scope of every car a search for `value` can find (None: no search).

    A search finds a plaque number or a VIN by its end, so the cars it can find all share
    the plaque or the VIN's last SEARCH_MIN_END characters: a change to any other car
    leaves its cached result alone (register/invalidation.py bumps these scopes).
    """
    terms = _search_terms(value)
    if terms is None:
        return None
    kind, term = terms
    if kind == "plaque":
        return plaque_scope(term)
    if kind == "vin" and term.isascii() and term.isalnum():
        return vin_scope(term)
    # Too short, or characters no VIN has (a NUL, a space): it finds nothing, ever.
    return "find:nothing"


class CarFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label=gettext_lazy("VIN, last 7 or plaque number")
    )
    model_line = django_filters.ModelChoiceFilter(
        queryset=ModelLine.objects.all(),
        empty_label=gettext_lazy("All models"),
        label=gettext_lazy("Model"),
    )
    colour = django_filters.ModelChoiceFilter(
        queryset=Colour.objects.all(),
        empty_label=gettext_lazy("All colours"),
        label=gettext_lazy("Colour"),
    )
    year = django_filters.ChoiceFilter(
        method="filter_year",
        choices=_years,
        empty_label=gettext_lazy("All years"),
        label=gettext_lazy("Build year"),
    )
    country = django_filters.ChoiceFilter(
        choices=lambda: list(countries),
        empty_label=gettext_lazy("All countries"),
        label=gettext_lazy("Country"),
    )
    status = django_filters.ChoiceFilter(
        choices=Car.Status.choices,
        empty_label=gettext_lazy("Any status"),
        label=gettext_lazy("Life status"),
    )
    verified = django_filters.ChoiceFilter(
        method="filter_verified",
        choices=[("yes", gettext_lazy("Verified only")), ("no", gettext_lazy("Not verified only"))],
        empty_label=gettext_lazy("Verified or not"),
        label=gettext_lazy("Verification"),
    )
    not_seen = django_filters.ChoiceFilter(
        method="filter_not_seen",
        choices=NOT_SEEN_CHOICES,
        empty_label=gettext_lazy("Seen any time"),
        label=gettext_lazy("Last seen"),
    )
    sort = django_filters.ChoiceFilter(
        method="sort_by",
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
        empty_label=gettext_lazy("Plaque number"),
        label=gettext_lazy("Sort by"),
    )

    class Meta:
        model = Car
        fields: list[str] = []

    @property
    def form(self):
        """Bootstrap classes on the widgets: the list renders the fields itself (no crispy),
        because this form is drawn on every uncached list page and must be cheap."""
        if hasattr(self, "_styled_form"):
            return self._styled_form
        form = self._styled_form = super().form
        # Any country filters (a link may name one with no car: no result), but the menu
        # offers only the countries where public cars live: a short list, not all 250.
        country = form.fields["country"]
        in_use = register_cache.cached("countries", _countries_in_use, scopes=("tally",))
        country.widget.choices = [("", _("All countries")), *in_use]
        for field in form.fields.values():
            select = hasattr(field, "choices")
            field.widget.attrs.setdefault("class", "form-select" if select else "form-control")
        return form

    def search(self, queryset, name, value):
        return search_cars(queryset, value)

    def filter_year(self, queryset, name, value):
        return queryset.filter(build_date__year=int(value))

    def filter_verified(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(review_status=Car.Review.VERIFIED)
        return queryset.exclude(review_status=Car.Review.VERIFIED)

    def filter_not_seen(self, queryset, name, value):
        """Not seen for N years: last seen before then, or never (register/lastseen.py)."""
        if value == "never":
            return queryset.filter(last_seen_on__isnull=True)
        cutoff = years_ago(timezone.localdate(), int(value))
        return queryset.filter(Q(last_seen_on__lt=cutoff) | Q(last_seen_on__isnull=True))

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["plaque"])[1])
