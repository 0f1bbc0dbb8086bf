"""The membership card: its page, its PNG, and what a scan of its QR code shows at the gate."""

import segno
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.models import ORGANISERS_GROUP
from accounts.privacy import name_for
from membership.card import (
    CardFace,
    Verdict,
    card_check_url,
    card_png,
    valid_text,
    verdict_for,
)
from membership.standing import Standing, has_card, last_day_of, member_standing


def may_check_cards(user) -> bool:
    """Staff, organisers, and whoever an app says may check cards (meets: its helpers)."""
    if user.is_staff or user.groups.filter(name=ORGANISERS_GROUP).exists():
        return True
    for config in apps.get_app_configs():
        hook = getattr(config, "may_check_cards", None)
        if callable(hook) and hook(user):
            return True
    return False


def _face(request, standing: Standing) -> CardFace:
    member = request.user
    level = standing.level
    # A member from before the club's office has a renewal date but no membership row.
    last_day = standing.last_day if standing.seat else last_day_of(member.renewal_date)
    return CardFace(
        club=settings.PADDOCK_CLUB_NAME,
        name=name_for(member, member),
        number=str(member.membership_number),
        level=level.name if level else "—",
        valid=valid_text(last_day=last_day, for_life=standing.state == "life"),
        check_url=card_check_url(member, standing.seat),
    )


@login_required
def card(request):
    member = request.user
    if not has_card(member):
        return render(request, "membership/card.html", {"member": member, "face": None})
    standing = member_standing(member)
    face = _face(request, standing)
    qr = segno.make(face.check_url, error="m", micro=False).svg_inline(
        scale=5, dark="#000", light="#fff", title=_("Membership card code")
    )
    context = {"member": member, "standing": standing, "face": face, "qr": qr}
    return render(request, "membership/card.html", context)


@login_required
def card_image(request):
    member = request.user
    if not has_card(member):
        raise Http404(_("You have no membership card yet."))
    png = card_png(_face(request, member_standing(member)))
    response = HttpResponse(png, content_type="image/png")
    filename = f"membership-card-{member.membership_number}.png"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
def card_check(request, token: str):
    """What scanning a card opens: for the gate only, the number and valid/lapsed, no more.

    A token this site did not sign (made up, altered, or of a card replaced since) answers
    404 with a red "Not valid".
    """
    if not may_check_cards(request.user):
        raise PermissionDenied(_("Only the club's staff and meet helpers check cards."))
    verdict = verdict_for(token)
    status = 404 if verdict.state == Verdict.NOT_VALID else 200
    return render(request, "membership/card_check.html", {"verdict": verdict}, status=status)


member_urls: list = [
    path("card/", card, name="card"),
    path("card.png", card_image, name="card_png"),
    path("card/check/<str:token>/", card_check, name="card_check"),
]
