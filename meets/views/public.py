import time
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from meets import services
from meets.access import can_create_meets, get_meet_for_viewer, roles_at
from meets.cache import meets_cache
from meets.forms import RSVPForm, meets_for_rsvp
from meets.ics import calendar_for
from meets.models import RSVP, Meet
from meets.noshows import meets_with_checkin, no_show_rsvps, since_months
from meets.offer_models import Offer, held_places
from meets.qr import qr_svg
from meets.questions import Question, answer_rows
from meets.series import one_per_series
from membership import rights
from register.models import Car
from register.stats import Bar, Chart, safe_swatch

UPCOMING_SHOWN = 60
PAST_SHOWN = 24


def meet_list(request):
    def sections() -> str:
        context = {
            # A series shows its next (or latest) date only, with "+ N more dates".
            "upcoming": list(
                one_per_series(Meet.objects.upcoming(), upcoming=True).with_counts()[
                    :UPCOMING_SHOWN
                ]
            ),
            "past": list(
                one_per_series(Meet.objects.past(), upcoming=False).with_counts()[:PAST_SHOWN]
            ),
        }
        return render_to_string("meets/includes/_meet_sections.html", context, request)

    # A meet moves from upcoming to past as time passes: the key changes every minute.
    minute = int(time.time() // 60)
    context = {
        "sections": meets_cache.cached(f"list:{minute}", sections),
        "can_create": request.user.is_authenticated and can_create_meets(request.user),
    }
    if context["can_create"]:
        context["drafts"] = list(
            Meet.objects.organised_by(request.user)
            .filter(status=Meet.Status.DRAFT)
            .order_by("starts_at")
        )
    return render(request, "meets/meet_list.html", context)


def _may_see_attendees(user, meet: Meet) -> bool:
    """Whether a viewer who is not the meet's organiser sees the list of cars."""
    if meet.attendee_visibility == Meet.AttendeeVisibility.PUBLIC:
        return True
    if meet.attendee_visibility == Meet.AttendeeVisibility.MEMBERS:
        return getattr(user, "is_active_member", False)
    return False


def colour_mix(rsvps, *, slug: str, title: str) -> Chart:
    """Cars per colour among `rsvps`, largest first: the chart a car club wants to see."""
    counts = Counter(r.car.colour for r in rsvps)
    bars = [
        Bar(
            label=colour.name if colour else _("Colour not recorded"),
            value=n,
            swatch=safe_swatch(colour.swatch) if colour else "",
        )
        for colour, n in counts.most_common()
    ]
    return Chart(slug=slug, title=title, label_heading=_("Colour"), bars=bars, total=len(rsvps))


def meet_detail(request, slug: str):
    meet = get_meet_for_viewer(request, slug)
    user = request.user
    counts = RSVP.objects.filter(meet=meet).aggregate(
        going=Count("pk", filter=Q(status=RSVP.Status.GOING), distinct=True),
        waiting=Count("pk", filter=Q(status=RSVP.Status.WAITLISTED), distinct=True),
        held=held_places(),
    )
    going, waiting = counts["going"], counts["waiting"]
    mine = None
    if user.is_authenticated:
        mine = (
            RSVP.objects.filter(meet=meet, member=user)
            .live()
            .select_related("car", "car__model_line", "car__colour")
            .first()
        )
    roles = roles_at(user, meet)
    organiser = roles.organiser
    may_see = organiser or _may_see_attendees(user, meet)

    def cars_html() -> str:
        return _meet_cars_html(request, meet, may_see=may_see, waiting=waiting)

    if mine and mine.status == RSVP.Status.GOING:
        # Their own card shows their own name: not for the shared cache.
        cars = cars_html()
    else:
        member = getattr(user, "is_active_member", False)
        viewer = "staff" if user.is_staff else "member" if member else "public"
        key = f"meet:{meet.pk}:cars:{viewer}:{may_see}:{meet.has_started}"
        cars = meets_cache.cached(key, cars_html)
    context = {
        "meet": meet,
        "going_count": going,
        "waitlist_count": waiting,
        "places_left": max(meet.capacity - going - counts["held"], 0),
        "cars_html": cars,
        "mine": mine,
        # A waiting member's offer of a place (meets/offers.py), if they have one.
        "mine_offer": Offer.objects.open().filter(rsvp=mine).first()
        if mine and mine.status == RSVP.Status.WAITLISTED
        else None,
        "mine_qr": qr_svg(mine) if mine and mine.status == RSVP.Status.GOING else "",
        # Their own answers, each under its question (a query only when they answered).
        "mine_answers": answer_rows(Question.objects.filter(meet=meet), mine.answers)
        if mine and mine.answers
        else [],
        "organiser_view": organiser,
        "helper_view": roles.helper,
        # Only asked of a member without an RSVP: the page offers them the button, or why not.
        "rsvp_blocker": services.can_rsvp(meet=meet, member=user)
        if user.is_authenticated and mine is None
        else None,
    }
    context["rsvp_refusal"] = _membership_refusal(user, context["rsvp_blocker"])
    return render(request, "meets/meet_detail.html", context)


def _membership_refusal(user, blocker: str | None) -> rights.Refusal | None:
    """The membership's reason (with its link: renew, …) when it is what stops the RSVP."""
    if not blocker:
        return None
    refusal = rights.explain(user, rights.RSVP)
    return refusal if refusal is not None and refusal.reason == blocker else None


def _meet_cars_html(request, meet: Meet, *, may_see: bool, waiting: int) -> str:
    """Who's coming (as cars, with the colour mix) and, once it started, the attendance."""
    rsvps = list(RSVP.objects.filter(meet=meet).going().for_list())
    checked_in = [r for r in rsvps if r.checked_in_at]
    context = {
        "meet": meet,
        "going_count": len(rsvps),
        "waitlist_count": waiting,
        "may_see_attendees": may_see,
        "attendees": [
            (r, r.member.name_for(request.user) if r.member else _("A past attendee"))
            for r in rsvps
        ],
        "colour_mix": colour_mix(rsvps, slug="colour-mix", title=_("Colour mix of the cars going")),
        # The cars that came once the meet has check-ins, else the cars going.
        "country_counts": Counter(str(r.car.country) for r in checked_in or rsvps if r.car.country),
        "attendance": {
            "cars": len(checked_in),
            "countries": len({r.car.country for r in checked_in if r.car.country}),
            "colours": colour_mix(
                checked_in, slug="attendance-colours", title=_("Colours of the cars that came")
            ),
        }
        if meet.has_started
        else None,
    }
    return render_to_string("meets/includes/_meet_cars.html", context, request)


def meet_ics(request, slug: str):
    meet = get_meet_for_viewer(request, slug)
    response = HttpResponse(calendar_for([meet], name=meet.title), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="{meet.slug}.ics"'
    return response


def calendar_feed(request):
    meets = Meet.objects.published().order_by("starts_at")
    body = calendar_for(meets, name=_("%(club)s meets") % {"club": settings.PADDOCK_CLUB_NAME})
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@login_required
@require_http_methods(["GET", "POST"])
def rsvp(request, slug: str):
    meet = get_meet_for_viewer(request, slug, queryset=meets_for_rsvp())
    already = RSVP.objects.filter(meet=meet, member=request.user).live()
    if request.method != "POST" and already.exists():
        return _already_rsvpd(request, meet)
    blocker = services.can_rsvp(meet=meet, member=request.user)
    form = RSVPForm(request.POST or None, meet=meet, member=request.user)
    if request.method == "POST" and blocker is None and form.is_valid():
        # The service looks for the member's RSVP under the meet's lock: a POST in a
        # burst asks the database once, not twice.
        try:
            made = services.rsvp_create(
                meet=meet,
                member=request.user,
                car=form.cleaned_data["car"],
                guests=form.cleaned_data["guests"],
                answers=form.answers(),
            )
        except services.AlreadyRSVPd:
            return _already_rsvpd(request, meet)
        except services.RSVPError as exc:
            messages.error(request, str(exc))
        else:
            if made.status == RSVP.Status.GOING:
                messages.success(request, _("You're going! Your check-in code is below."))
            else:
                messages.warning(
                    request,
                    _(
                        "The meet is full: you're on the waiting list. "
                        "We'll e-mail you the moment a place opens up."
                    ),
                )
            return redirect(meet)
    if request.method == "POST" and already.exists():
        return _already_rsvpd(request, meet)
    has_cars = Car.objects.owned_by(request.user).exists()
    return render(
        request,
        "meets/rsvp_form.html",
        {
            "meet": meet,
            "form": form,
            "blocker": blocker,
            "refusal": _membership_refusal(request.user, blocker),
            "has_cars": has_cars,
        },
    )


def _already_rsvpd(request, meet: Meet):
    messages.info(request, _("You already have an RSVP for this meet."))
    return redirect(meet)


@login_required
@require_POST
def rsvp_cancel(request, pk: int):
    rsvp = get_object_or_404(RSVP.objects.select_related("meet"), pk=pk, member=request.user)
    was = rsvp.status
    try:
        services.rsvp_cancel(rsvp=rsvp, member=request.user)
    except services.RSVPError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("You left the waiting list.")
            if was == RSVP.Status.WAITLISTED
            else _("Your RSVP is cancelled. Your place goes to the next on the waiting list."),
        )
    return redirect(rsvp.meet)


@login_required
def my_meets(request):
    rsvps = list(
        RSVP.objects.filter(member=request.user)
        .live()
        .filter(meet__ends_at__gte=timezone.now())
        .select_related("meet", "car", "car__model_line", "car__colour")
        .order_by("meet__starts_at")
    )
    past = (
        RSVP.objects.filter(member=request.user, meet__ends_at__lt=timezone.now())
        .exclude(status=RSVP.Status.CANCELLED)
        .select_related("meet", "car", "car__model_line")
        .order_by("-meet__starts_at")[:50]
    )
    upcoming = [(r, qr_svg(r) if r.status == RSVP.Status.GOING else "") for r in rsvps]
    waiting = [r.pk for r in rsvps if r.status == RSVP.Status.WAITLISTED]
    if waiting:
        held = {o.rsvp_id: o for o in Offer.objects.open().filter(rsvp__in=waiting)}
        for rsvp in rsvps:
            rsvp.open_offer = held.get(rsvp.pk)
    # Their own record, gently: meets with check-in in use they said they'd come to.
    missed = list(
        no_show_rsvps(meets_with_checkin(since=since_months(12)))
        .filter(member=request.user)
        .select_related("meet")
        .order_by("-meet__starts_at")
    )
    context = {"upcoming": upcoming, "past": past, "missed": [r.meet for r in missed]}
    return render(request, "meets/my_meets.html", context)


@login_required
def rsvp_qr(request, pk: int):
    rsvp = RSVP.objects.filter(pk=pk, member=request.user).first()
    if rsvp is None:
        raise Http404(_("No such RSVP."))
    return HttpResponse(qr_svg(rsvp), content_type="image/svg+xml")


def car_meets_section(request, car) -> str:
    """The meets `car` attended (checked in), for its page in the register."""
    attended = (
        Meet.objects.filter(rsvps__car=car, rsvps__checked_in_at__isnull=False)
        .distinct()
        .order_by("-starts_at")
    )
    return render_to_string(
        "meets/includes/_car_meets.html", {"car": car, "attended": list(attended)}, request
    )
