"""Check-in at the gate, for a meet's organisers and its check-in helpers.

Two ways in: the list (search by name, registration plate, VIN or its last 7, plaque
number, membership number) and the QR code on each RSVP, which opens `checkin_code`. A
second check-in changes nothing and says so. People are shown as accounts/privacy.py lets a
meet's organisers and helpers see them: a hidden name stays hidden, an e-mail address is
never shown or searched. Plates are shown and searched as register/plates.py lets the
people at this meet's gate see them.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import privacy
from meets import questions, services
from meets.access import get_meet_for_checkin, is_helper, is_organiser
from meets.forms import CheckinAnswersForm, CheckinForm, CheckinSearchForm
from meets.models import RSVP, Meet
from meets.questions import answer_rows
from register.filters import without_plaque_prefix
from register.plates import note_gate_cars, plate_for, plate_visible_q
from register.sightings import normalise_plate
from register.validators import VIN_LENGTH, normalise_vin

# A part of a plate this long finds it ("1234" of BMW1234); a shorter one only the whole.
PLATE_PART_MIN = 4
# A membership number: "M9", "M 9", "member 9", "Member No. 9", "Mitglied Nr. 9".
_MEMBER_NUMBER = re.compile(
    r"^(?:m|member|mitglied)\s*(?:no\.?|nr\.?|#)?\s*(\d{1,9})$", re.IGNORECASE | re.ASCII
)


def search_rsvps(
    rsvps: QuerySet,
    query: str,
    *,
    viewer,
    as_: privacy.Viewer = privacy.Viewer.HELPER,
    gate_of: Meet | None = None,
) -> QuerySet:
    """RSVPs whose car's registration plate, VIN (full or a tail such as the last 7) or
    plaque number, member's membership number ("M9") or name matches `query`.

    A plate is matched as stored, without spaces or hyphens ("b-mw 1234" finds BMW1234;
    four characters or more find it from a part), and only where `viewer`, at the gate
    of `gate_of`, may see it (register/plates.py). A name is searched only where `viewer`
    may see it, and an e-mail address only by whoever may see it (staff): a search must
    not tell a helper what the page would not show them.
    """
    raw = without_plaque_prefix(query)
    if not raw:
        return rsvps
    member_number = _MEMBER_NUMBER.match(raw)
    if raw.isdecimal() and len(raw) <= 6:  # not isdigit(): int("²") fails
        # A short number is a plaque number (or a VIN's tail), never part of a name.
        condition = Q(car__plaque_number=int(raw))
    elif member_number:
        # "M9" is a membership number, never a plaque: those are typed "9", "No. 9", "#9".
        condition = Q(member__membership_number=int(member_number[1]))
    else:
        names = privacy.visible_q(privacy.Field.NAME, viewer, as_=as_, prefix="member__")
        condition = Q(member__display_name__icontains=raw) & names
        emails = privacy.visible_q(privacy.Field.EMAIL, viewer, as_=as_, prefix="member__")
        condition |= Q(member__email__icontains=raw) & emails
        plate = normalise_plate(raw)
        if plate.isalnum():
            shown = plate_visible_q(viewer, gate_of=gate_of, prefix="car__")
            found = (
                Q(car__registration_plate__contains=plate)
                if len(plate) >= PLATE_PART_MIN
                else Q(car__registration_plate=plate)
            )
            condition |= found & shown
    vin = normalise_vin(raw)
    if len(vin) == VIN_LENGTH:
        condition |= Q(car__vin=vin)
    elif len(vin) >= 4 and vin.isalnum():
        condition |= Q(car__vin__endswith=vin)
    return rsvps.filter(condition)


def _label(rsvp: RSVP, viewer) -> str:
    car = rsvp.car
    parts = []
    if car.plaque_number:
        parts.append(_("No. %(number)s") % {"number": car.plaque_number})
    plate = plate_for(car, viewer, gate_of=rsvp.meet)
    if plate:
        parts.append(plate)
    colour = f"{car.colour.name} " if car.colour else ""
    parts.append(f"{colour}{car.model_line.name} …{car.vin_short}")
    # At the gate an organiser sees a member as a helper does (accounts/privacy.py).
    parts.append(privacy.name_for(rsvp.member, viewer, as_=privacy.Viewer.HELPER))
    return " · ".join(parts)


def _local_time(value, meet: Meet) -> str:
    return f"{timezone.localtime(value, meet.tz):%H:%M}"


def _check_in(
    request, rsvp: RSVP, *, odometer_km: int | None = None, answers: dict | None = None
) -> None:
    """Check `rsvp` in and tell the person at the gate what happened."""
    try:
        done, new = services.rsvp_check_in(
            rsvp=rsvp, by=request.user, odometer_km=odometer_km, answers=answers
        )
    except services.RSVPError as exc:
        messages.error(request, _("Not checked in: %(reason)s") % {"reason": exc})
        return
    if new:
        messages.success(request, _("Checked in: %(car)s.") % {"car": _label(rsvp, request.user)})
    else:
        messages.info(
            request,
            _("Already checked in at %(time)s: %(car)s. Nothing changed.")
            % {
                "time": _local_time(done.checked_in_at, rsvp.meet),
                "car": _label(rsvp, request.user),
            },
        )


def _closed_note(meet: Meet) -> str:
    """The days check-in is open, when today is none of them."""
    if meet.checkin_open_at(timezone.now()):
        return ""
    return services.checkin_closed_message(meet)


_RSVP_DETAILS = ("meet", "member", "car", "car__model_line", "car__colour", "checked_in_by")


@login_required
@require_GET
def checkin_list(request, slug: str):
    meet = get_meet_for_checkin(request, slug)
    form = CheckinSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    organiser_view = is_organiser(request.user, meet)
    role = privacy.Viewer.ORGANISER if organiser_view else privacy.Viewer.HELPER
    going = search_rsvps(
        RSVP.objects.filter(meet=meet).going().for_list(),
        query,
        viewer=request.user,
        as_=role,
        gate_of=meet,
    ).order_by("member__display_name", "member__email", "id")
    # One query for the counts and for the cars whose plates the gate may see.
    live = list(
        RSVP.objects.filter(meet=meet).live().values_list("status", "checked_in_at", "car_id")
    )
    note_gate_cars(meet, (car_id for _status, _at, car_id in live))
    going_rows = [at for status, at, _car in live if status == RSVP.Status.GOING]
    counts = {
        "going": len(going_rows),
        "checked_in": sum(1 for at in going_rows if at is not None),
    }
    # A search that finds someone who is not going says so, rather than "no match".
    not_going = []
    if query:
        not_going = list(
            search_rsvps(
                RSVP.objects.filter(meet=meet)
                .exclude(status=RSVP.Status.GOING)
                .select_related("member", "car", "car__model_line", "car__colour"),
                query,
                viewer=request.user,
                as_=role,
                gate_of=meet,
            )[:10]
        )
    going = list(going)
    for rsvp in (*going, *not_going):
        rsvp.plate = plate_for(rsvp.car, request.user, gate_of=meet)
    context = {
        "meet": meet,
        "form": form,
        "query": query,
        "rsvps": going,
        "not_going": not_going,
        "counts": counts,
        "percent": round(100 * counts["checked_in"] / counts["going"]) if counts["going"] else 0,
        "checkin_form": CheckinForm(initial={"back": "checkin"}),
        "organiser_view": organiser_view,
        "as_role": role,
        "closed_note": _closed_note(meet),
    }
    return render(request, "meets/checkin/list.html", context)


@login_required
@require_POST
def checkin_rsvp(request, slug: str, pk: int):
    meet = get_meet_for_checkin(request, slug)
    rsvp = get_object_or_404(RSVP.objects.select_related(*_RSVP_DETAILS), pk=pk, meet=meet)
    form = CheckinForm(request.POST)
    if form.is_valid():
        back = form.cleaned_data["back"]
    else:
        back = form.data.get("back", "")
        for error in form.errors.get("odometer_km", ()):
            messages.error(request, _("Not checked in: %(reason)s") % {"reason": error})
    if not rsvp.checked_in_at and questions.missing_required(
        questions.checkin_questions(meet), rsvp.answers or {}
    ):
        # The questions asked at the gate are on the code's page: answer them there.
        messages.warning(
            request,
            _("Answer the check-in questions to check this car in: %(car)s.")
            % {"car": _label(rsvp, request.user)},
        )
        return redirect(rsvp.get_checkin_url())
    if "odometer_km" not in form.errors:
        _check_in(request, rsvp, odometer_km=form.cleaned_data.get("odometer_km"))
    if back == "attendees" and is_organiser(request.user, meet):
        return redirect("meets:attendees", slug=meet.slug)
    return redirect("meets:checkin", slug=meet.slug)


@login_required
@require_http_methods(["GET", "POST"])
def checkin_code(request, code: str):
    """The page a scanned QR code opens: who and which car, and one big button."""
    rsvp = RSVP.objects.select_related(*_RSVP_DETAILS).filter(checkin_code=code).first()
    if (
        rsvp is not None
        and rsvp.member_id == request.user.pk
        and not is_organiser(request.user, rsvp.meet)
    ):
        # A member scanning their own code: show them their RSVP, not an error.
        messages.info(request, _("That's your check-in code: show it at the gate."))
        return redirect(rsvp.meet)
    if rsvp is None or not (
        is_organiser(request.user, rsvp.meet) or is_helper(request.user, rsvp.meet)
    ):
        raise Http404(_("No such check-in code."))
    meet = rsvp.meet
    asked = questions.checkin_questions(meet)
    form = CheckinAnswersForm(
        request.POST if request.method == "POST" else None, asked=asked, rsvp=rsvp
    )
    if form.is_bound and form.is_valid():
        _check_in(
            request, rsvp, odometer_km=form.cleaned_data["odometer_km"], answers=form.answers()
        )
        return redirect("meets:checkin", slug=rsvp.meet.slug)
    context = {
        "as_role": (
            privacy.Viewer.ORGANISER if is_organiser(request.user, meet) else privacy.Viewer.HELPER
        ),
        "rsvp": rsvp,
        "meet": meet,
        "car": rsvp.car,
        "form": form,
        "answers": [
            (q.label, answer)
            for q, answer in answer_rows([*questions.rsvp_questions(meet), *asked], rsvp.answers)
        ],
        "asks_questions": bool(asked),
        "checked_in_time": _local_time(rsvp.checked_in_at, meet) if rsvp.checked_in_at else "",
        "plate": plate_for(rsvp.car, request.user, gate_of=meet),
        "closed_note": "" if rsvp.checked_in_at else _closed_note(meet),
        "other_day": not (
            meet.local_start.date()
            <= timezone.localdate(timezone.now(), meet.tz)
            <= meet.local_end.date()
        ),
    }
    return render(request, "meets/checkin/code.html", context)
