"""May this member do X? The one place the register and meets ask (they import nothing else).

A right needs an active membership (not pending, not lapsed) whose level allows it. Staff
may do everything. `refusal()` says why not, and what to do instead, in the request's
language, so that a page offers no button that would only answer 403.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

RSVP = "rsvp"
CARS = "cars"
DIRECTORY = "directory"

_LEVEL_FLAG = {RSVP: "allows_rsvp", CARS: "allows_cars", DIRECTORY: "allows_directory"}


def _level(user):
    """The member's level, looked up once per request (memoised on the user object)."""
    if not hasattr(user, "_paddock_level"):
        from membership.models import Level

        user._paddock_level = (
            Level.objects.filter(memberships__seats__member=user).first() if user.pk else None
        )
    return user._paddock_level


def may(user, right: str) -> bool:
    return refusal(user, right) is None


def refusal(user, right: str) -> str | None:
    """None if `user` may exercise `right`; otherwise why not, and what to do instead."""
    if right not in _LEVEL_FLAG:
        raise ValueError(right)
    if not getattr(user, "is_authenticated", False):
        return _("Log in as a club member first.")
    if user.is_staff:
        return None
    status = getattr(user, "membership_status", None)
    if status == "pending" or not user.is_active:
        return _("Your membership is waiting for approval by the club's staff.")
    if status == "lapsed":
        return _("Your membership has lapsed. Renew it from your profile (%(url)s).") % {
            "url": reverse("accounts:profile")
        }
    if status != "active":
        return _("This is for active members of the club.")
    level = _level(user)
    if level is not None and not getattr(level, _LEVEL_FLAG[right]):
        if right == CARS:
            return _("Your membership level (%(level)s) does not include registering cars.") % {
                "level": level.name
            }
        if right == RSVP:
            return _("Your membership level (%(level)s) does not include RSVPs to meets.") % {
                "level": level.name
            }
        return _("Your membership level (%(level)s) is not listed in the directory.") % {
            "level": level.name
        }
    return None
