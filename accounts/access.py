"""Access checks on membership, shared by every app (accounts knows no cars or meets)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def require_active_member(request, *, what: str) -> None:
    """403 unless the logged-in user is an active member (or staff).

    `what` names the page in the request's language (the caller passes it translated,
    e.g. `_("The members' directory")`), as the subject of "… is for active members."
    The 403 page itself tells a pending member that staff have yet to approve them.
    """
    if not (request.user.is_active_member or request.user.is_staff):
        raise PermissionDenied(_("%(what)s is for active members.") % {"what": what})
