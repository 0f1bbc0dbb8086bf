"""The check-in app's devices of a meet: create one (its link shown once), list, revoke.

A meet's organisers and check-in helpers see the page (meets.access.get_meet_for_checkin):
each may create a device for themselves; an organiser may revoke any device, a helper only
their own. The token is shown once, in a link's fragment and as its QR code, and never
stored (meets/models_gate.py keeps its hash).
"""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.lib.site import absolute_url
from meets import gate, services
from meets.access import get_meet_for_checkin, is_organiser
from meets.forms import GateDeviceForm
from meets.models_gate import GateDevice


def app_link(meet, token: str) -> str:
    """The gate app's address for this device: the token rides in the fragment, which the
    browser never sends to a server (nor to its logs)."""
    return absolute_url(f"{reverse('meets:gate')}#{meet.slug}:{token}")


@login_required
@require_http_methods(["GET", "POST"])
def gate_devices(request, slug: str):
    meet = get_meet_for_checkin(request, slug)
    organiser = is_organiser(request.user, meet)
    form = GateDeviceForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            device, token = gate.device_create(
                meet=meet, name=form.cleaned_data["name"], by=request.user
            )
        except services.RSVPError as exc:
            form.add_error("name", str(exc))
        else:
            link = app_link(meet, token)
            created = {
                "device": device,
                "link": link,
                "qr": segno.make(link, error="m").svg_inline(
                    scale=4, dark="#000", light="#fff", title=_("Link to the check-in app")
                ),
            }
            form = GateDeviceForm()
    devices = list(GateDevice.objects.filter(meet=meet).select_related("created_by"))
    for device in devices:
        device.may_revoke = not device.is_revoked and (
            organiser or device.created_by_id == request.user.pk
        )
    response = render(
        request,
        "meets/organiser/gate_devices.html",
        {
            "meet": meet,
            "form": form,
            "devices": devices,
            "created": created,
            "organiser_view": organiser,
        },
    )
    if created:
        response["Cache-Control"] = "no-store"  # the token is on this page, once
    return response


@login_required
@require_POST
def gate_device_revoke(request, slug: str, pk: int):
    meet = get_meet_for_checkin(request, slug)
    device = get_object_or_404(GateDevice, pk=pk, meet=meet)
    if not is_organiser(request.user, meet) and device.created_by_id != request.user.pk:
        raise PermissionDenied(_("Only the meet's organisers can revoke another's device."))
    if gate.device_revoke(device=device):
        messages.success(
            request, _("“%(name)s” is revoked: it can no longer check cars in.") % {"name": device}
        )
    else:
        messages.info(request, _("“%(name)s” was already revoked.") % {"name": device})
    return redirect(reverse("meets:gate_devices", args=[meet.slug]))
