import hashlib
import time
from types import SimpleNamespace

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from register import cache as register_cache
from register.access import get_car_for_viewer, is_owner
from register.cache import cached
from register.facts import fact_rows, facts_of
from register.filters import SORTS, CarFilter, search_scope
from register.listing import CappedPage
from register.models import Car, CarPhoto, Claim, Listing, Transfer
from register.plates import plate_for
from register.provenance import provenance_for
from register.rarity import rarity_of

PAGE_SIZE = 24


# What a card shows (register/includes/_car_card.html): no story, options or history.
CARD_FIELDS = (
    "vin",
    "vin_visibility",
    "plaque_number",
    "review_status",
    "status",
    "country",
    "build_date",
    "model_line__name",
    "colour__name",
    "colour__swatch",
)


def car_list(request):
    query = request.GET.urlencode()
    key = "list:" + hashlib.sha256(query.encode()).hexdigest()
    # Any car a list could show, or a field its card shows, bumps "cars"; a search's list
    # hangs only on the cars it can find (register/invalidation.py).
    found = search_scope(request.GET.get("q", ""))
    scopes = ("search", found) if found else ("cars",)
    if request.GET.get("not_seen"):
        scopes += ("lastseen",)
    body = cached(key, lambda: _list_body(request), scopes=scopes)
    return render(request, "register/car_list.html", {"body": body})


def card_queryset():
    """Public cars with what their cards show, in two queries (cars, cover photos)."""
    covers = CarPhoto.objects.filter(is_cover=True).only("car", "thumbnail", "caption", "is_cover")
    return (
        Car.objects.public()
        .select_related("model_line", "colour")
        .prefetch_related(Prefetch("photos", queryset=covers, to_attr="cover_photos"))
        .only(*CARD_FIELDS)
    )


def _list_body(request) -> SafeString:
    cars = card_queryset().order_by(*SORTS["plaque"][1])
    car_filter = CarFilter(request.GET, queryset=cars)
    page = CappedPage(car_filter.qs, request.GET.get("page"), PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    filters = params.copy()
    filters.pop("q", None)
    # The filters' HTML depends only on their own values and the menus' choices (model
    # lines and colours: a namespace bump; years and countries: the tallies).
    fields_key = "filters:" + hashlib.sha256(filters.urlencode().encode()).hexdigest()
    fields = cached(
        fields_key,
        lambda: render_to_string(
            "register/includes/_filter_fields.html", {"form": car_filter.form}
        ),
        scopes=("tally",),
    )
    context = {
        "filter": car_filter,
        "filter_fields": fields,
        "page": page,
        "querystring": params.urlencode(),
        # "checked by the registrar" is true of every car listed only when just the
        # verified ones are (the register also lists accepted, unverified cars).
        "verified_only": car_filter.form.is_valid()
        and car_filter.form.cleaned_data.get("verified") == "yes",
    }
    return render_to_string("register/includes/_list_body.html", context)


def _extra_sections(request, car):
    """HTML pieces other apps add to a car's page (e.g. meets it attended)."""
    sections = []
    for config in apps.get_app_configs():
        hook = getattr(config, "car_page_section", None)
        if callable(hook):
            html = hook(request, car)
            if html:
                sections.append(html)
    return sections


def _extra_versions(car) -> str:
    """The versions of what other apps add to this car's page: part of its cache key."""
    versions = []
    for config in apps.get_app_configs():
        hook = getattr(config, "car_page_version", None)
        if callable(hook):
            versions.append(f"{config.label}{hook(car)}")
    return "-".join(versions)


# Who a shared copy of a car's page is rendered for: any visitor, or any active member.
# Never the person asking: a former owner sees their own name, and the copy is shared.
PUBLIC_VIEWER = AnonymousUser()
MEMBER_VIEWER = SimpleNamespace(
    pk=None, is_authenticated=True, is_active_member=True, is_staff=False
)


def car_detail(request, pk: int):
    car = get_car_for_viewer(request, pk)
    user = request.user
    owner_view = is_owner(user, car)
    staff_view = user.is_staff

    if owner_view or staff_view:
        data = _car_data(request, car, owner_view=owner_view)
        html = _car_body(
            request, car, data, viewer=user, owner_view=owner_view, staff_view=staff_view
        )
    else:
        # A shared copy per kind of visitor (anyone, any active member): a cold visit
        # builds its own kind's only, which is half the work of building both.
        kind = "member" if getattr(user, "is_active_member", False) else "public"
        viewer = MEMBER_VIEWER if kind == "member" else PUBLIC_VIEWER

        def body() -> dict:
            data = _car_data(request, car, owner_view=False)
            listing = data["listing"]
            return {
                "html": _car_body(
                    request, car, data, viewer=viewer, owner_view=False, staff_view=False
                ),
                # A listing ends by the clock, with no write to bump the cache: the copy
                # is stale from then on.
                "stale_after": listing.expires_at.timestamp() if listing else None,
            }

        key = f"car:{car.pk}:{kind}:{_extra_versions(car)}"
        scopes = (f"car:{car.pk}",)
        copy = cached(key, body, scopes=scopes)
        stale_after = copy.get("stale_after")
        if stale_after is not None and _clock() >= stale_after:
            # Once: the next visitor finds this car's page, and the for-sale list, fresh.
            register_cache.register_cache.bump_scopes((*scopes, "sale"))
            copy = cached(key, body, scopes=scopes)
        html = copy["html"]
    # The shared copies show the plate to whom the owner chose (members, everyone); an
    # organiser or helper of a meet the car is going to sees it here, below them.
    gate_plate = ""
    if not (owner_view or staff_view) and car.plate_visibility == Car.PlateVisibility.GATE:
        gate_plate = plate_for(car, user)
    context = {
        "car": car,
        "body": html,
        "rarity": _rarity(car),
        "gate_plate": gate_plate,
        "claim_link": user.is_authenticated and car.is_public and not owner_view,
    }
    if context["claim_link"]:
        context["my_claim"] = Claim.objects.filter(
            car=car, claimant=user, state=Claim.State.PENDING
        ).exists()
    return render(request, "register/car_detail.html", context)


def _rarity(car: Car):
    """Outside the car's cached body: a new car elsewhere moves the tallies, not this page.
    rarity_of() caches its counts per model line and colour, not per car: one copy for
    every car of a colour, however many cars are visited."""
    if not car.is_public:
        return None
    return rarity_of(car)


def _clock() -> float:
    return time.time()


def _car_data(request, car: Car, *, owner_view: bool) -> dict:
    """What a car's page shows, whoever looks: the same queries for every viewer."""
    data = {
        "photos": list(car.photos.all()),
        "timeline": list(car.timeline.select_related("author")),
        "mileage": list(car.mileage_readings.all()[:10]),
        "ownerships": list(car.ownerships.select_related("member").order_by("started_on", "id")),
        "extra_sections": _extra_sections(request, car),
        "fact_rows": fact_rows(car, facts_of(car)),
        "listing": Listing.objects.live().filter(car=car).first(),
    }
    if owner_view:
        data["pending_transfer"] = (
            Transfer.objects.filter(car=car, state=Transfer.State.PENDING)
            .select_related("to_member")
            .first()
        )
    return data


def _car_body(
    request, car: Car, data: dict, viewer, *, owner_view: bool = False, staff_view: bool = False
) -> str:
    context = {
        **data,
        "car": car,
        "owner_view": owner_view,
        "staff_view": staff_view,
        "viewer": viewer,
        "plate": plate_for(car, viewer),
        # Earlier owners as a summary; names only as accounts/privacy.py allows.
        "provenance": provenance_for(
            data["ownerships"], viewer, holder=owner_view and car.is_verified
        ),
    }
    return render_to_string("register/includes/_car_body.html", context, request)
