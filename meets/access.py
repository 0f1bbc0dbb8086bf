"""Who may see and run which meet.

- A draft is known only to its organisers and staff: 404 for everyone else.
- Organiser pages: 404 for anyone who is not that meet's organiser, check-in helper or
  staff (the organiser of another meet learns nothing); 403 for a check-in helper, who
  may only check cars in.
"""

from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from meets.models import Meet


def is_organiser(user, meet: Meet) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_staff or meet.organisers.filter(pk=user.pk).exists()


def is_helper(user, meet: Meet) -> bool:
    return user.is_authenticated and meet.checkin_helpers.filter(pk=user.pk).exists()


class Roles(NamedTuple):
    organiser: bool
    helper: bool


def roles_at(user, meet: Meet) -> Roles:
    """is_organiser and is_helper together, in one query: for a page that shows both."""
    if not user.is_authenticated:
        return Roles(organiser=False, helper=False)
    organisers = Meet.organisers.through.objects.filter(meet=OuterRef("pk"), user=user)
    helpers = Meet.checkin_helpers.through.objects.filter(meet=OuterRef("pk"), user=user)
    found = (
        Meet.objects.filter(pk=meet.pk)
        .annotate(organiser=Exists(organisers), helper=Exists(helpers))
        .values("organiser", "helper")
        .get()
    )
    return Roles(organiser=user.is_staff or found["organiser"], helper=found["helper"])


def get_meet_for_viewer(request, slug: str, queryset=None) -> Meet:
    """`queryset` (of Meet) lets a page bring what it needs along in the same query."""
    meet = get_object_or_404(Meet if queryset is None else queryset, slug=slug)
    if meet.status == Meet.Status.DRAFT and not is_organiser(request.user, meet):
        raise Http404(_("No such meet."))
    return meet


def get_meet_for_organiser(request, slug: str) -> Meet:
    meet = get_object_or_404(Meet, slug=slug)
    if is_organiser(request.user, meet):
        return meet
    if is_helper(request.user, meet):
        raise PermissionDenied(_("Check-in helpers can only check cars in."))
    raise Http404(_("No such meet."))


def get_meet_for_checkin(request, slug: str) -> Meet:
    meet = get_object_or_404(Meet, slug=slug)
    if is_organiser(request.user, meet) or is_helper(request.user, meet):
        return meet
    raise Http404(_("No such meet."))


def can_create_meets(user) -> bool:
    return user.is_authenticated and user.is_organiser


def require_meet_creator(request) -> None:
    if not can_create_meets(request.user):
        raise PermissionDenied(_("Only the club's organisers can create meets."))
