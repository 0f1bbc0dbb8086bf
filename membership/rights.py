"""May this member do X? The one place the register and meets ask (they import nothing else).

A right needs an active membership (not pending, not lapsed) whose level allows it. Staff
may do everything; an active member without a membership row (one approved before the club
office existed) keeps every right. `explain()` says why not, and what to do instead, in the
request's language, so that a page offers no button that would only answer 403:

    refusal = rights.explain(request.user, rights.CARS)
    # None, or refusal.reason ("Your membership has lapsed: …"), refusal.action and
    # refusal.url (the link to follow instead, or "" where there is nothing to do but wait)

Templates ask the same through `{% load membership_rights %}` (`may_do`, `refusal_of`),
views through `may()`, `refusal()` or `require()`.

The member's level is looked up once per user object (one query per request, none when the
user came with `select_related("seat__membership__level")`, see `with_levels()`).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

RSVP = "rsvp"
CARS = "cars"
DIRECTORY = "directory"

RIGHTS = (RSVP, CARS, DIRECTORY)
_LEVEL_FLAG = {RSVP: "allows_rsvp", CARS: "allows_cars", DIRECTORY: "allows_directory"}

# Where a lapsed member renews. The member's membership page, once it exists; their
# profile until then (it is being built alongside).
_MEMBERSHIP_PAGES = ("membership:home", "accounts:profile")


@dataclass(frozen=True)
class Refusal:
    """Why a member may not do something, and the link that helps (if any)."""

    reason: str
    action: str = ""
    url: str = ""

    def __str__(self) -> str:
        return self.reason


def with_levels(queryset):
    """Members with their level in the same query: `may()` then asks nothing more."""
    return queryset.select_related("seat__membership__level")


def _level(user):
    """The member's level (None without a membership), memoised on the user object."""
    try:
        return user._paddock_level
    except AttributeError:
        pass
    level = None
    if user.pk:
        # `user` may be the request's lazy proxy: ask the model, not the proxy's class.
        if get_user_model().seat.is_cached(user):
            try:
                level = user.seat.membership.level
            except ObjectDoesNotExist:
                level = None
        else:
            from membership.models import Level

            level = Level.objects.filter(memberships__seats__member=user).first()
    user._paddock_level = level
    return level


def membership_url() -> str:
    for name in _MEMBERSHIP_PAGES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def _pending(right: str) -> str:
    return {
        CARS: _(
            "Your membership is still waiting for approval by the club's staff. Once they "
            "approve it, you can register and claim cars; we will e-mail you."
        ),
        RSVP: _(
            "Your membership is still waiting for approval by the club's staff. Once they "
            "approve it, you can RSVP to meets; we will e-mail you."
        ),
        DIRECTORY: _(
            "Your membership is still waiting for approval by the club's staff. Once they "
            "approve it, the members' directory is open to you; we will e-mail you."
        ),
    }[right]


def _lapsed(right: str) -> str:
    return {
        CARS: _(
            "Your membership has lapsed: renew it to register or claim cars again. "
            "The cars in your garage stay yours."
        ),
        RSVP: _("Your membership has lapsed: renew it to RSVP to meets again."),
        DIRECTORY: _("Your membership has lapsed: renew it to see the members' directory again."),
    }[right]


def _not_in_level(right: str, level) -> str:
    sentence = {
        CARS: _("Your membership level (%(level)s) does not include registering or claiming cars."),
        RSVP: _("Your membership level (%(level)s) does not include RSVPs to meets."),
        DIRECTORY: _("Your membership level (%(level)s) does not include the members' directory."),
    }[right]
    return sentence % {"level": level.name}


def explain(user, right: str) -> Refusal | None:
    """None if `user` may exercise `right`; otherwise why not, and what to do instead."""
    if right not in _LEVEL_FLAG:
        raise ValueError(right)
    if not getattr(user, "is_authenticated", False):
        return Refusal(_("Log in as a club member first."), _("Log in"), reverse("account_login"))
    if user.is_staff:
        return None
    if not user.is_active:
        return Refusal(_("This account is switched off. Please contact the club's staff."))
    status = getattr(user, "membership_status", None)
    if status == "pending":
        return Refusal(_pending(right))
    if status == "lapsed":
        return Refusal(_lapsed(right), _("Renew your membership"), membership_url())
    if status == "resigned":
        return Refusal(
            _(
                "You have resigned from the club, and this is for its members. Please ask "
                "the club's staff if you would like to rejoin."
            )
        )
    if status != "active":
        return Refusal(_("This is for active members of the club."))
    level = _level(user)
    if level is not None and not getattr(level, _LEVEL_FLAG[right]):
        return Refusal(_not_in_level(right, level), _("Your membership"), membership_url())
    return None


def refusal(user, right: str) -> str | None:
    """None if `user` may exercise `right`; otherwise the sentence that says why not."""
    found = explain(user, right)
    return None if found is None else found.reason


def may(user, right: str) -> bool:
    return explain(user, right) is None


def require(user, right: str) -> None:
    """403, with the sentence that says why, unless `user` may exercise `right`.

    For a URL typed or bookmarked: the pages themselves offer no such link to a member who
    may not follow it.
    """
    found = explain(user, right)
    if found is not None:
        raise PermissionDenied(found.reason)
