"""Waiting-list offers (accept, decline) and the organisers' no-shows page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import privacy
from meets import noshows, offers, services
from meets.models import Meet
from meets.offer_models import Offer


def _offer_of(request, pk: int) -> Offer:
    """The member's own offer; 404 for anyone else's (nobody learns it exists)."""
    offer = (
        Offer.objects.select_related("rsvp__meet").filter(pk=pk, rsvp__member=request.user).first()
    )
    if offer is None:
        raise Http404(_("No such offer."))
    return offer


@login_required
@require_POST
def offer_accept(request, pk: int):
    offer = _offer_of(request, pk)
    try:
        offers.offer_accept(offer=offer, member=request.user)
    except services.RSVPError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("You're going! We e-mailed your confirmation; your check-in code is below."),
        )
    return redirect(offer.rsvp.meet)


@login_required
@require_POST
def offer_decline(request, pk: int):
    offer = _offer_of(request, pk)
    try:
        offers.offer_decline(offer=offer, member=request.user)
    except services.RSVPError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("You declined the place and left the waiting list. It goes to the next car."),
        )
    return redirect(offer.rsvp.meet)


# --- No-shows --------------------------------------------------------------------------


class NoShowsForm(forms.Form):
    months = forms.TypedChoiceField(label=gettext_lazy("Over the last"), coerce=int, required=False)
    order = forms.ChoiceField(
        label=gettext_lazy("Sort"),
        choices=[
            ("most", gettext_lazy("Most no-shows first")),
            ("fewest", gettext_lazy("Fewest no-shows first")),
        ],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = [
            (m, _("%(months)s months") % {"months": m}) for m in noshows.WINDOWS
        ]


def _may_see_no_shows(user) -> bool:
    return user.is_staff or user.is_organiser or user.organised_meets.exists()


@login_required
@require_GET
def no_shows(request):
    """Members going to past meets they never checked in at: of the meets the viewer
    organises (staff: all), named as an organiser may see them (accounts/privacy.py)."""
    if not _may_see_no_shows(request.user):
        raise PermissionDenied(_("Only the organisers of meets can see no-shows."))
    form = NoShowsForm(request.GET or None)
    months, order = noshows.WINDOWS[0], "most"
    if form.is_valid():
        months = form.cleaned_data["months"] or months
        order = form.cleaned_data["order"] or order
    meets = noshows.meets_with_checkin(since=noshows.since_months(months)).filter(
        pk__in=Meet.objects.organised_by(request.user).values("pk")
    )
    records = noshows.no_show_records(meets)
    viewer = request.user
    rows = [
        (record, privacy.name_for(record.member, viewer, as_=privacy.Viewer.ORGANISER))
        for record in records
    ]
    rows.sort(key=lambda row: row[1].casefold())
    rows.sort(key=lambda row: row[0].count, reverse=order == "most")
    context = {"form": form, "rows": rows, "months": months, "order": order}
    return render(request, "meets/no_shows.html", context)
