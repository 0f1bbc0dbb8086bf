"""A car's earlier owners without exposing them: a summary for all, names as privacy allows.

"3 earlier owners, 2012–2025, Germany and the Netherlands" is for everyone; the names
follow accounts.privacy.earlier_owner_name (the rule and its table live there).
"""

from dataclasses import dataclass, field

from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext
from django_countries import countries

from accounts.privacy import earlier_owner_name


@dataclass
class Provenance:
    current: object | None  # the current Ownership, if any
    current_name: str
    earlier_count: int
    summary: str
    # (ownership, name) of the earlier owners the viewer may see by name, newest first
    named: list = field(default_factory=list)

    @property
    def owner_count(self) -> int:
        return self.earlier_count + (1 if self.current is not None else 0)


def years_of(ownerships) -> str:
    """The span of years the ownerships cover: "2012–2025", "2015", or ""."""
    years = [y for o in ownerships for y in (_year(o.started_on), _year(o.ended_on)) if y]
    if not years:
        return ""
    first, last = min(years), max(years)
    return str(first) if first == last else f"{first}–{last}"


def _year(day):
    return day.year if day else None


def countries_of(ownerships) -> str:
    """The countries the ownerships were in, in order of first appearance, in the reader's
    language: "Germany and Netherlands"."""
    codes = []
    for o in ownerships:
        code = str(o.country or "")
        if code and code not in codes:
            codes.append(code)
    names = [countries.name(code) or code for code in codes]
    return str(get_text_list(names, gettext("and"))) if names else ""


def summary_of(earlier) -> str:
    """ "3 earlier owners, 2012–2025, Germany and Netherlands" (or "No earlier owners on
    record")."""
    if not earlier:
        return gettext("No earlier owners on record")
    parts = [
        ngettext("%(count)s earlier owner", "%(count)s earlier owners", len(earlier))
        % {"count": len(earlier)}
    ]
    # Countries in the order the car lived in them, as the journey map numbers them.
    in_order = sorted(earlier, key=lambda o: (o.started_on or o.ended_on, o.ended_on, o.pk))
    parts += [p for p in (years_of(earlier), countries_of(in_order)) if p]
    return ", ".join(parts)


def provenance_for(ownerships, viewer, *, holder: bool = False) -> Provenance:
    """The car's owners as `viewer` may see them. `ownerships`: all of the car's, loaded
    with their members; `holder`: the viewer is the car's verified current owner."""
    current = next((o for o in ownerships if o.ended_on is None), None)
    earlier = sorted(
        (o for o in ownerships if o.ended_on is not None),
        key=lambda o: (o.ended_on, o.started_on or o.ended_on, o.pk),
        reverse=True,
    )
    named = []
    for o in earlier:
        name = earlier_owner_name(
            member=o.member,
            owner_name=o.owner_name,
            name_visibility=o.name_visibility,
            viewer=viewer,
            holder=holder,
        )
        if name:
            named.append((o, name))
    return Provenance(
        current=current,
        current_name=current.name_for(viewer) if current is not None else "",
        earlier_count=len(earlier),
        summary=summary_of(earlier),
        named=named,
    )
