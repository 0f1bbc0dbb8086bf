import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from meets import services
from meets.access import can_create_meets, get_meet_for_viewer, roles_at
from meets.cache import meets_cache
from meets.forms import RSVPForm, meets_for_rsvp
from meets.ics import CONTENT_TYPE, calendar_for
from meets.models import RSVP, Meet
from meets.noshows import meets_with_checkin, no_show_rsvps, since_months
from meets.offer_models import Offer
from meets.qr import qr_svg
from meets.questions import Question, answer_rows
from meets.series import one_per_series_page
from membership import rights
from register.models import Car
from register.stats import Bar, Chart, safe_swatch

# Meets per page of each section of the meets list: a club with years of meets pages
# through them rather than rendering hundreds of cards.
UPCOMING_SHOWN = 12
PAST_SHOWN = 6


def _page_number(request, name: str) -> int:
    value = request.GET.get(name, "")
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    return int(value) if value.isdecimal() and 0 < int(value) <= 1000 else 1


def _section(meets, page: int, per_page: int) -> dict:
    """One page of a section, and whether there are more: one query, no count."""
    rows, more = one_per_series_page(meets, first=(page - 1) * per_page, count=per_page)
    # What each card would otherwise work out again per card: its link, its country's
    # name in the reader's language.
    prefix = reverse("meets:detail", args=["-"])[:-2]
    names: dict[str, str] = {}
    for meet in rows:
        meet.url = f"{prefix}{meet.slug}/"
        code = meet.venue_country.code
        if code and code not in names:
            names[code] = meet.venue_country.name
        meet.country_name = names.get(code, "")
    return {
        "meets": rows,
        "page": page,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if more else None,
    }


def meet_list(request):
    upcoming_page = _page_number(request, "upcoming")
    past_page = _page_number(request, "past")

    def sections() -> str:
        # A series shows its next (or latest) date only, with "+ N more dates".
        upcoming = _section(Meet.objects.upcoming(), upcoming_page, UPCOMING_SHOWN)
        past = _section(Meet.objects.past(), past_page, PAST_SHOWN)
        context = {
            "upcoming": upcoming["meets"],
            "past": past["meets"],
            "upcoming_section": upcoming,
            "past_section": past,
        }
        return render_to_string("meets/includes/_meet_sections.html", context, request)

    # A meet moves from upcoming to past as time passes: the key changes every minute.
    minute = int(time.time() // 60)
    context = {
        "sections": meets_cache.cached(
            f"list:{minute}:{upcoming_page}:{past_page}", sections, scopes=("list",)
        ),
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
    """Cars per colour among `rsvps` (a queryset), largest first, from one GROUP BY: the
    chart a car club wants to see."""
    rows = list(
        rsvps.order_by()
        .values("car__colour__name", "car__colour__swatch")
        .annotate(n=Count("pk"))
        .order_by("-n", "car__colour__name")
    )
    bars = [
        Bar(
            label=row["car__colour__name"] or _("Colour not recorded"),
            value=row["n"],
            swatch=safe_swatch(row["car__colour__swatch"]) if row["car__colour__name"] else "",
        )
        for row in rows
    ]
    return Chart(
        slug=slug,
        title=title,
        label_heading=_("Colour"),
        bars=bars,
        total=sum(row["n"] for row in rows),
    )


def _country_counts(rsvps) -> dict[str, int]:
    rows = rsvps.order_by().exclude(car__country="").values("car__country").annotate(n=Count("pk"))
    return {row["car__country"]: row["n"] for row in rows}


# Cars on a meet page at first; the rest come a page at a time ("Show more", htmx).
CARS_PER_PAGE = 24


class _Stranger:
    """Stands in for the viewer when the shared copy of a meet's cars is built: a viewer of
    their kind who is none of the members shown, so no card says "you" (accounts/privacy.py
    decides the rest). A member's own card is the personal part of the page."""

    pk = None
    is_authenticated = True
    is_anonymous = False

    def __init__(self, *, staff: bool, member: bool):
        self.is_staff = staff
        self.is_active_member = member


def _viewer_kind(user) -> str:
    if user.is_staff:
        return "staff"
    return "member" if getattr(user, "is_active_member", False) else "public"


def _stand_in(kind: str):
    if kind == "public":
        return AnonymousUser()
    return _Stranger(staff=kind == "staff", member=kind == "member")


def meet_detail(request, slug: str):
    meet = get_meet_for_viewer(request, slug)
    user = request.user
    # Kept on the meet's row under its lock (meets/counts.py).
    going, waiting = meet.going_count, meet.waiting_count
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
    going_mine = mine is not None and mine.status == RSVP.Status.GOING
    context = {
        "meet": meet,
        "going_count": going,
        "waitlist_count": waiting,
        "places_left": max(meet.capacity - going - meet.held_count, 0),
        # The shared part, the same for every viewer of a kind (public, member, staff):
        # the meet's head and who's coming.
        "shared": _meet_shared(request, meet, may_see=may_see, roles=roles),
        "mine": mine,
        # The personal part: their own car's card, with their own name.
        "mine_card": (mine, user.name_for(user)) if going_mine else None,
        # A waiting member's offer of a place (meets/offers.py), if they have one.
        "mine_offer": Offer.objects.open().filter(rsvp=mine).first()
        if mine and mine.status == RSVP.Status.WAITLISTED
        else None,
        "mine_qr": qr_svg(mine) if going_mine else "",
        # Their own answers, each under its question (a query only when they answered).
        "mine_answers": answer_rows(Question.objects.filter(meet=meet), mine.answers)
        if mine and mine.answers
        else [],
        "organiser_view": organiser,
        "helper_view": roles.helper,
        "cars_per_page": CARS_PER_PAGE,
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


def _meet_shared(request, meet: Meet, *, may_see: bool, roles) -> dict[str, str]:
    """The meet page's parts that are the same for every viewer of a kind, in one cached
    copy per meet: its breadcrumb and status, title, time, place and buttons (organisers
    and helpers get their own), cover and description, and who's coming. Every member's
    page is built from this copy, their own part added (meet_detail)."""
    kind = _viewer_kind(request.user)
    organiser, helper = roles.organiser, roles.helper
    key = (
        f"meet:{meet.pk}:shared:{kind}:{may_see}:{meet.has_started}:{meet.is_past}"
        f":{organiser}:{helper}"
    )

    def build() -> dict[str, str]:
        context = {"meet": meet, "organiser_view": organiser, "helper_view": helper}
        parts = {
            part: render_to_string(f"meets/includes/_meet_{part}.html", context)
            for part in ("top", "title", "intro")
        }
        parts["cars"] = _meet_cars_html(request, meet, may_see=may_see, kind=kind)
        return parts

    return meets_cache.cached(key, build, scopes=(f"meet:{meet.pk}",))


def _car_page(meet: Meet, page: int, *, kind: str, may_see: bool):
    """One page of the cars going as (rsvp, name) pairs, and the next page's number."""
    if not may_see:
        return [], None
    first = (page - 1) * CARS_PER_PAGE
    rsvps = list(
        RSVP.objects.filter(meet=meet)
        .going()
        .order_by("created_at", "id")
        .for_list()[first : first + CARS_PER_PAGE + 1]
    )
    viewer = _stand_in(kind)
    cars = [
        (r, r.member.name_for(viewer) if r.member else _("A past attendee"))
        for r in rsvps[:CARS_PER_PAGE]
    ]
    return cars, page + 1 if len(rsvps) > CARS_PER_PAGE else None


def _meet_cars_html(request, meet: Meet, *, may_see: bool, kind: str) -> str:
    """Who's coming (the first cars, the colour mix, the map) and, once it started, the
    attendance: counts from GROUP BYs, never from loading every RSVP."""
    going = RSVP.objects.filter(meet=meet).going()
    attendees, next_page = _car_page(meet, 1, kind=kind, may_see=may_see)
    context = {
        "meet": meet,
        "going_count": meet.going_count,
        "waitlist_count": meet.waiting_count,
        "may_see_attendees": may_see,
        "attendees": attendees,
        "next_page": next_page,
        "colour_mix": colour_mix(going, slug="colour-mix", title=_("Colour mix of the cars going")),
    }
    if meet.has_started:
        came = going.filter(checked_in_at__isnull=False)
        colours = colour_mix(
            came, slug="attendance-colours", title=_("Colours of the cars that came")
        )
        countries = _country_counts(came)
        context["attendance"] = {
            "cars": colours.total,
            "countries": len(countries),
            "colours": colours,
        }
        # The cars that came once the meet has check-ins, else the cars going.
        context["country_counts"] = countries if colours.total else _country_counts(going)
    else:
        context["attendance"] = None
        context["country_counts"] = _country_counts(going)
    return render_to_string("meets/includes/_meet_cars.html", context, request)


def meet_cars(request, slug: str):
    """More of a meet's cars, a page at a time: the fragment "Show more" loads (htmx), or
    a plain page of them without JavaScript. Who may see them is decided as on the meet's
    page."""
    meet = get_meet_for_viewer(request, slug)
    may_see = roles_at(request.user, meet).organiser or _may_see_attendees(request.user, meet)
    if not may_see:
        raise Http404(_("No such page."))
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 0
    last = max((meet.going_count + CARS_PER_PAGE - 1) // CARS_PER_PAGE, 1)
    if not 1 <= page <= last:
        raise Http404(_("No such page."))
    kind = _viewer_kind(request.user)

    def build() -> str:
        attendees, next_page = _car_page(meet, page, kind=kind, may_see=True)
        return render_to_string(
            "meets/includes/_meet_car_page.html",
            {"meet": meet, "attendees": attendees, "next_page": next_page},
            request,
        )

    cards = meets_cache.cached(
        f"meet:{meet.pk}:carpage:{page}:{kind}", build, scopes=(f"meet:{meet.pk}",)
    )
    if request.htmx:
        response = HttpResponse(cards)
    else:
        response = render(
            request, "meets/meet_cars.html", {"meet": meet, "cards": cards, "page": page}
        )
    # One address, a fragment or a whole page: a browser's cache must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def meet_ics(request, slug: str):
    meet = get_meet_for_viewer(request, slug)
    response = HttpResponse(calendar_for([meet], name=meet.title), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{meet.slug}.ics"'
    return response


def calendar_feed(request):
    meets = Meet.objects.published().order_by("starts_at")
    body = calendar_for(meets, name=_("%(club)s meets") % {"club": settings.PADDOCK_CLUB_NAME})
    return HttpResponse(body, content_type=CONTENT_TYPE)


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
