"""Who may see what of a member: the club's privacy rule, in one place.

Every page, export and e-mail that shows a person asks this module (`name_for`,
`email_for`, `number_for`, `may_see`) instead of reading `display_name` or `email` itself.
The rule is the table `RULES` below; read it as "a <viewer> sees a member's <thing> when …".

Viewers, the first that fits:

- SELF: the member themselves.
- STAFF: the club office (the registrar, the admin). Sees everything.
- PARTY: the seller of a car this member accepted. Chosen by the caller (`as_=`), only
  once the buyer has accepted: until then a seller who typed a membership number learns
  nothing about who holds it.
- ORGANISER: an organiser of a meet the member RSVP'd to, on that meet's pages, exports and
  messages. Chosen by the caller (`as_=`). They message attendees through the site, so they
  need no e-mail address.
- HELPER: a check-in helper of that meet, at the gate. Chosen by the caller. Identifies
  people by car, plaque, VIN and membership number.
- MEMBER: another active member.
- PUBLIC: anyone else: anonymous, or an account that is pending, lapsed or resigned.

A caller's `as_` never lowers what a viewer sees (staff stay staff, a member stays
themselves) and is ignored for anyone it does not lift.

Where a name is hidden, the viewer sees the membership number if they may see it
("Member No. 9"), else "A member". A deleted member with no name left is "A former member".

Earlier owners of a car (`earlier_owner_name`). Everyone reads a summary ("3 earlier owners,
2012–2025, Germany and the Netherlands"); names are shown one by one only as follows:

    earlier owner            staff  holder                    member         public
    a member                 yes    unless hidden from all    unless hidden  if public
    a non-member (by name)   yes    unless "nobody"           no             no

"Holder" is the current owner of a verified car (a member whose own registration still
waits for staff is not yet one). A member earlier owner follows their own name rule above
(Field.NAME), so a member who chose to show their name is named to members or everyone as
they chose. A non-member was never asked: their name (`Ownership.name_visibility`) is for
the registrar and the car's verified owner only, never for other members or the public.
"""

import enum

from django.db.models import Q
from django.utils.translation import gettext


class Viewer(enum.StrEnum):
    SELF = "self"
    STAFF = "staff"
    PARTY = "party"
    ORGANISER = "organiser"
    HELPER = "helper"
    MEMBER = "member"
    PUBLIC = "public"


class Field(enum.StrEnum):
    NAME = "name"  # display name
    EMAIL = "email"
    NUMBER = "membership number"
    COUNTRY = "country"
    CITY = "city"
    PROFILE = "avatar and bio"
    CARS = "cars owned (shown with the name or number above)"


class Rule(enum.StrEnum):
    YES = "yes"
    NO = "no"
    NAME_SHOWN = "unless they hide their name from everybody"
    NAME_PUBLIC = "only if they show their name to everyone"
    LISTED = "if they are in the members' directory"
    LISTED_WITH_CITY = "if they are in the directory and chose to show their city"


# The columns of RULES, left to right.
COLUMNS = (
    Viewer.SELF,
    Viewer.STAFF,
    Viewer.PARTY,
    Viewer.ORGANISER,
    Viewer.HELPER,
    Viewer.MEMBER,
    Viewer.PUBLIC,
)
Y, N = Rule.YES, Rule.NO
SHOWN, PUBLIC, LISTED, CITY = (
    Rule.NAME_SHOWN,
    Rule.NAME_PUBLIC,
    Rule.LISTED,
    Rule.LISTED_WITH_CITY,
)
# fmt: off
_GRID = {
    #               self staff party organiser helper member  public
    Field.NAME:    (Y,   Y,    Y,    SHOWN,    SHOWN, SHOWN,  PUBLIC),
    Field.EMAIL:   (Y,   Y,    N,    N,        N,     N,      N),
    Field.NUMBER:  (Y,   Y,    Y,    Y,        Y,     Y,      N),
    Field.COUNTRY: (Y,   Y,    N,    N,        N,     LISTED, N),
    Field.CITY:    (Y,   Y,    N,    N,        N,     CITY,   N),
    Field.PROFILE: (Y,   Y,    N,    N,        N,     LISTED, N),
    Field.CARS:    (Y,   Y,    Y,    Y,        Y,     Y,      PUBLIC),
}
# fmt: on
RULES: dict[Field, dict[Viewer, Rule]] = {
    field: dict(zip(COLUMNS, row, strict=True)) for field, row in _GRID.items()
}
del Y, N, SHOWN, PUBLIC, LISTED, CITY

# Roles a caller may name; each lifts only a viewer who would otherwise be MEMBER or PUBLIC.
CONTEXT_ROLES = frozenset({Viewer.PARTY, Viewer.ORGANISER, Viewer.HELPER})


def _authenticated(viewer) -> bool:
    return viewer is not None and getattr(viewer, "is_authenticated", False)


def viewer_kind(member, viewer, *, as_: Viewer | None = None) -> Viewer:
    """Which column of RULES `viewer` reads for `member` (`as_`: the caller's context role)."""
    if _authenticated(viewer) and viewer.pk == member.pk:
        return Viewer.SELF
    return _kind_of_stranger(viewer, as_=as_)


def _kind_of_stranger(viewer, *, as_: Viewer | None = None) -> Viewer:
    """viewer_kind for a member who is not the viewer themselves."""
    authenticated = _authenticated(viewer)
    if authenticated and viewer.is_staff:
        return Viewer.STAFF
    if authenticated and as_ in CONTEXT_ROLES:
        return Viewer(as_)
    if authenticated and getattr(viewer, "is_active_member", False):
        return Viewer.MEMBER
    return Viewer.PUBLIC


def _holds(rule: Rule, member) -> bool:
    from accounts.models import User

    listed = (
        member.directory_listed
        and member.is_active_member
        and member.name_visibility != User.Visibility.NOBODY
    )
    match rule:
        case Rule.YES:
            return True
        case Rule.NO:
            return False
        case Rule.NAME_SHOWN:
            return member.name_visibility != User.Visibility.NOBODY
        case Rule.NAME_PUBLIC:
            return member.name_visibility == User.Visibility.PUBLIC
        case Rule.LISTED:
            return listed
        case Rule.LISTED_WITH_CITY:
            return listed and member.show_location
    raise ValueError(rule)


def may_see(member, viewer, field: Field, *, as_: Viewer | None = None) -> bool:
    """Whether `viewer` may see `field` of `member`, by RULES."""
    return _holds(RULES[field][viewer_kind(member, viewer, as_=as_)], member)


def visible_q(field: Field, viewer, *, as_: Viewer | None = None, prefix: str = "") -> Q:
    """A filter for the members whose `field` `viewer` may see, for searching by it.

    A search must not find people by what it may not show: a helper who types a hidden
    name or an e-mail address learns nothing. `prefix` leads to the member, e.g. "member__".
    """
    from accounts.models import User

    hidden = User.Visibility.NOBODY
    own = Q(**{f"{prefix}pk": viewer.pk}) if _authenticated(viewer) else Q(pk__in=[])
    listed = Q(
        **{
            f"{prefix}directory_listed": True,
            f"{prefix}membership_status": User.Status.ACTIVE,
            f"{prefix}is_active": True,
        }
    ) & ~Q(**{f"{prefix}name_visibility": hidden})
    match RULES[field][_kind_of_stranger(viewer, as_=as_)]:
        case Rule.YES:
            return Q()
        case Rule.NO:
            return own
        case Rule.NAME_SHOWN:
            return own | ~Q(**{f"{prefix}name_visibility": hidden})
        case Rule.NAME_PUBLIC:
            return own | Q(**{f"{prefix}name_visibility": User.Visibility.PUBLIC})
        case Rule.LISTED:
            return own | listed
        case Rule.LISTED_WITH_CITY:
            return own | (listed & Q(**{f"{prefix}show_location": True}))
    raise ValueError(field)


def name_for(member, viewer, *, as_: Viewer | None = None) -> str:
    """The name `viewer` may see for `member`, or what stands in its place."""
    if viewer_kind(member, viewer, as_=as_) == Viewer.SELF:
        return member.display_name or member.email
    if not member.is_active and not member.display_name:
        return gettext("A former member")
    if member.display_name and may_see(member, viewer, Field.NAME, as_=as_):
        return member.display_name
    number = number_for(member, viewer, as_=as_)
    if number:
        return gettext("Member No. %(number)s") % {"number": number}
    return gettext("A member")


def earlier_owner_name(
    *, member, owner_name: str, name_visibility: str, viewer, holder: bool = False
) -> str | None:
    """An earlier owner's name as `viewer` may see it, or None: counted, not named.

    `member`: the earlier owner's account, if they were a member (else None and
    `owner_name`, `name_visibility` from their ownership); `holder`: the viewer is the
    verified current owner of the car. The table in this module's docstring.
    """
    staff = _authenticated(viewer) and viewer.is_staff
    if member is not None:
        if viewer_kind(member, viewer) in (Viewer.SELF, Viewer.STAFF):
            return name_for(member, viewer)
        if not member.display_name:
            return None
        if holder and member.name_visibility != member.Visibility.NOBODY:
            return member.display_name
        return member.display_name if may_see(member, viewer, Field.NAME) else None
    if not owner_name:
        return None
    if staff or (holder and name_visibility != "nobody"):
        return owner_name
    return None


def email_for(member, viewer, *, as_: Viewer | None = None) -> str:
    """The member's e-mail address if `viewer` may see it, else ""."""
    return member.email if may_see(member, viewer, Field.EMAIL, as_=as_) else ""


def number_for(member, viewer, *, as_: Viewer | None = None) -> int | None:
    """The membership number if `viewer` may see it (and the member has one), else None."""
    if may_see(member, viewer, Field.NUMBER, as_=as_):
        return member.membership_number
    return None


def policy_table() -> str:
    """RULES as text, one line per thing of a member (for the docs and a quick look)."""
    viewers = COLUMNS
    lines = [" | ".join(["", *viewers])]
    for field, row in RULES.items():
        lines.append(" | ".join([field, *(row[v] for v in viewers)]))
    return "\n".join(lines)
