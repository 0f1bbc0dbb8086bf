"""Access checks on membership, shared by every app (accounts knows no cars or meets)."""

from django.core.exceptions import PermissionDenied


def require_active_member(request, *, what: str) -> None:
    """403 unless the logged-in user is an active member (or staff).

    The 403 page itself tells a pending member that staff have yet to approve them.
    """
    if not (request.user.is_active_member or request.user.is_staff):
        raise PermissionDenied(f"{what} is for active members.")
