"""Sightings: the public report form and the registrar's review of what came in."""

from allauth.core.internal import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from register import sightings
from register.access import require_staff
from register.models import Ownership, Sighting
from register.services import RegisterError
from register.sighting_forms import SightingDecisionForm, SightingForm
from register.views.staff import private_photo


def _thank_you() -> str:
    return _("Thank you, the registrar will look at it.")


def _within_limits(request, form: SightingForm) -> bool:
    """Count this report against the client's and the reporter's limits."""
    limits = sightings.rate_limits()
    by_address = ratelimit.consume(request, app="register", action="sighting_ip", config=limits)
    if not by_address:
        return False
    user = request.user
    key = (
        f"user:{user.pk}"
        if user.is_authenticated
        else ("email:" + form.cleaned_data["reporter_email"].strip().lower())
    )
    by_reporter = ratelimit.consume(
        request, app="register", action="sighting_reporter", config=limits, key=key
    )
    if not by_reporter:
        by_address.rollback()
        return False
    return True


@require_http_methods(["GET", "POST"])
def sighting_new(request):
    """Anyone reports a car they saw. The answer never says whether the car exists."""
    initial = {}
    plaque = request.GET.get("plaque", "")
    if plaque.isdecimal() and len(plaque) < 8:
        initial = {"identifier_kind": Sighting.Identifier.PLAQUE, "identifier": plaque}
    form = SightingForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        if form.is_robot:
            messages.success(request, _thank_you())
            return redirect("register:sighting_new")
        if not _within_limits(request, form):
            form.add_error(
                None,
                _(
                    "You have sent many sightings in a short time. Thank you! Please try "
                    "again later."
                ),
            )
            status = 429
        else:
            data = form.cleaned_data
            sightings.sighting_report(
                identifier_kind=data["identifier_kind"],
                identifier=data["identifier"],
                town=data["town"],
                country=data["country"],
                seen_on=data["seen_on"],
                photo=data.get("photo"),
                note=data.get("note", ""),
                reporter=request.user,
                reporter_name=data.get("reporter_name", ""),
                reporter_email=data.get("reporter_email", ""),
                address=ratelimit.get_ip(request),
            )
            messages.success(request, _thank_you())
            return redirect("register:sighting_new")
    return render(request, "register/sightings/new.html", {"form": form}, status=status)


@login_required
def sighting_review(request):
    """The registrar's queue: sightings of known cars, then leads, oldest first."""
    require_staff(request)
    owners = Prefetch(
        "car__ownerships",
        queryset=Ownership.objects.current().select_related("member"),
        to_attr="current_ownerships",
    )
    open_sightings = list(
        Sighting.objects.filter(state__in=Sighting.OPEN_STATES)
        .select_related("car__model_line", "car__colour", "reporter")
        .prefetch_related(owners)
        .order_by("created_at", "id")
    )
    return render(
        request,
        "register/sightings/review.html",
        {
            "sections": [
                (
                    _("Sightings of cars on the register"),
                    "pending",
                    [s for s in open_sightings if s.state == Sighting.State.PENDING],
                    _("No sightings are waiting."),
                ),
                (
                    _("Leads: no single car matched"),
                    "leads",
                    [s for s in open_sightings if s.state == Sighting.State.LEAD],
                    _("No leads are waiting."),
                ),
            ]
        },
    )


@login_required
@require_POST
def sighting_decide(request, pk: int):
    require_staff(request)
    sighting = get_object_or_404(Sighting, pk=pk)
    form = SightingDecisionForm(request.POST)
    anchor = "leads" if sighting.state == Sighting.State.LEAD else "pending"
    back = reverse("register:sighting_review") + f"#{anchor}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    try:
        if data["decision"] == "reject":
            sightings.sighting_reject(sighting=sighting, staff=request.user, reason=data["reason"])
            messages.success(request, _("Sighting rejected."))
        else:
            done = sightings.sighting_accept(
                sighting=sighting,
                staff=request.user,
                car=data["car"],
                add_photo=data["add_photo"],
            )
            messages.success(
                request,
                _("Sighting accepted: it is on the timeline of %(car)s.") % {"car": done.car},
            )
    except (RegisterError, IntegrityError) as exc:
        messages.error(
            request, str(exc) if isinstance(exc, RegisterError) else _("That was already done.")
        )
    return redirect(back)


@login_required
def sighting_photo(request, pk: int):
    """A sighting's photo: staff only until accepted (and then it is the car's, if ticked)."""
    require_staff(request)
    sighting = get_object_or_404(Sighting, pk=pk)
    return private_photo(sighting.photo, missing=_("This sighting has no photo."))
