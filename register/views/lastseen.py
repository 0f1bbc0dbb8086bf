"""The owner's answer to the yearly "still mine" e-mail."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from register.access import is_owner
from register.lastseen import StillMineLinkError, still_mine_confirm, still_mine_read
from register.models import Car


class StillMineForm(forms.Form):
    """One button: nothing to fill in, and the answer is only taken by POST."""


@login_required
@require_http_methods(["GET", "POST"])
def still_mine(request, token: str):
    """The link in the yearly e-mail: the car's owner confirms it is still theirs.

    A GET only shows the question (mail scanners open links); the button POSTs. The link is
    signed for one car, one member and one ask, and works for 60 days; only that member,
    while they own the car, may answer.
    """
    try:
        car_id, member_id, asked_on = still_mine_read(token)
    except StillMineLinkError as exc:
        return render(
            request, "register/lastseen/still_mine_invalid.html", {"error": exc}, status=400
        )
    car = Car.objects.select_related("model_line", "colour").filter(pk=car_id).first()
    if car is None:
        raise Http404(_("No such car on the register."))
    if request.user.pk != member_id or not is_owner(request.user, car):
        raise PermissionDenied(_("This link is for the car's current owner only."))
    if car.still_mine_asked_on != asked_on:
        error = _("A newer e-mail about this car replaced this link: please use that one.")
        return render(
            request, "register/lastseen/still_mine_invalid.html", {"error": error}, status=400
        )
    form = StillMineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        still_mine_confirm(car=car, member=request.user)
        messages.success(request, _("Thank you: the register notes that the car is still yours."))
        return redirect(car)
    return render(request, "register/lastseen/still_mine.html", {"car": car, "form": form})
