"""Access checks on membership, shared by every app (accounts knows no cars or meets).

What a member's membership allows (the directory, …) is kept by another app (membership):
accounts asks it through AppConfig hooks and imports nothing of it.

- `member_refusal(user, right) -> str | None` on an AppConfig: why `user` may not use
  `right` ("directory"), in a sentence that says what to do instead; None if they may.
- `directory_exclude_q() -> Q` on an AppConfig: members the directory leaves out whatever
  they chose (e.g. those whose level does not include it); see MemberQuerySet.in_directory.
"""

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

DIRECTORY = "directory"


def require_active_member(request, *, what: str) -> None:
    """403 unless the logged-in user is an active member (or staff).

    `what` names the page in the request's language (the caller passes it translated,
    e.g. `_("The members' directory")`), as the subject of "… is for active members."
    The 403 page itself tells a pending member that staff have yet to approve them.
    """
    if not (request.user.is_active_member or request.user.is_staff):
        raise PermissionDenied(_("%(what)s is for active members.") % {"what": what})


def member_refusal(user, right: str) -> str | None:
    """Why `user` may not use `right`, as the apps that keep members' rights answer."""
    for config in apps.get_app_configs():
        hook = getattr(config, "member_refusal", None)
        if callable(hook):
            reason = hook(user, right)
            if reason:
                return reason
    return None


def require_member_right(request, right: str, *, what: str) -> None:
    """403 with the reason unless the user is an active member (or staff) whose membership
    includes `right`; the page that links here shows the same reason instead of the link."""
    reason = member_refusal(request.user, right)
    if reason:
        raise PermissionDenied(reason)
    require_active_member(request, what=what)


def directory_exclusions() -> list:
    """Q objects for the members the directory leaves out, from the apps that say so."""
    found = []
    for config in apps.get_app_configs():
        hook = getattr(config, "directory_exclude_q", None)
        if callable(hook):
            found.append(hook())
    return found
