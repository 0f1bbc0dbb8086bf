"""Downloads of the register: public data for everyone, everything for staff.

The public files hold no personal data at all: no owner, no e-mail, no story (a story
may name people), and the VIN only as its owner lets the public see it. Every file is
streamed from one database cursor (`iterator(chunk_size=...)`), so 100,000 cars never sit
in memory at once and the number of queries does not grow with the register.
"""

import json
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, F, Prefetch
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import privacy
from config.lib.csvutil import streaming_csv_response
from register.access import require_staff
from register.models import Car, Ownership

CHUNK_SIZE = 2000

PUBLIC_FIELDS = [
    "plaque_number",
    "vin",
    "model_line",
    "colour",
    "paint_code",
    "build_month",
    "first_market",
    "country",
    "transmission",
    "steering",
    "life_status",
    "verified",
]

# The column names match what the import accepts, so a staff export can be imported again.
STAFF_FIELDS = [
    "plaque_number",
    "vin",
    "review_status",
    "verified",
    "model_line",
    "colour",
    "paint_code",
    "build_month",
    "market",
    "country",
    "transmission",
    "steering",
    "status",
    "options",
    "story",
    "vin_visibility",
    "rejection_reason",
    "verified_at",
    "owner_name",
    "owner_email",
    "owner_membership_number",
    "number_of_owners",
    "created_at",
]


def _stamp() -> str:
    return timezone.localdate().isoformat()


def _build_month(car: Car) -> str:
    return car.build_date.strftime("%Y-%m") if car.build_date else ""


def public_cars():
    """Public cars with their model line and colour in the same query; nothing personal.

    Only the columns `public_record` reads: the public export and the API (register/api.py)
    both start here, so neither can show more of a car than the other.
    """
    return (
        Car.objects.public()
        .select_related("model_line", "colour")
        .only(
            "plaque_number",
            "vin",
            "vin_visibility",
            "review_status",
            "build_date",
            "market",
            "country",
            "transmission",
            "steering",
            "status",
            "model_line__name",
            "colour__name",
            "colour__paint_code",
        )
        # Plaque numbers first, then the cars without one, alike on every database.
        .order_by(F("plaque_number").asc(nulls_last=True), "vin")
    )


def _public_cars():
    return public_cars().iterator(chunk_size=CHUNK_SIZE)


def public_record(car: Car) -> dict:
    return {
        "plaque_number": car.plaque_number,
        "vin": car.public_vin,
        "model_line": car.model_line.name,
        "colour": car.colour.name if car.colour else "",
        "paint_code": car.colour.paint_code if car.colour else "",
        "build_month": _build_month(car),
        "first_market": car.market.code or "",
        "country": car.country.code or "",
        "transmission": car.transmission,
        "steering": car.steering,
        "life_status": car.status,
        "verified": car.is_verified,
    }


@require_GET
def public_csv(request):
    rows = (
        [record[name] for name in PUBLIC_FIELDS] for record in map(public_record, _public_cars())
    )
    return streaming_csv_response(
        filename=f"register-{_stamp()}.csv", header=PUBLIC_FIELDS, rows=rows
    )


def _json_lines(cars) -> Iterator[str]:
    head = {
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "fields": PUBLIC_FIELDS,
    }
    # The header object, left open so the cars can follow one per line.
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "cars": [\n'
    separator = ""
    for car in cars:
        yield separator + json.dumps(public_record(car), ensure_ascii=False, cls=DjangoJSONEncoder)
        separator = ",\n"
    yield "\n]}\n"


@require_GET
def public_json(request):
    response = StreamingHttpResponse(
        _json_lines(_public_cars()), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="register-{_stamp()}.json"'
    return response


def _staff_cars():
    """Every car, whatever its state, with its current owner (one prefetch query per chunk)."""
    return (
        Car.objects.select_related("model_line", "colour")
        .annotate(number_of_owners=Count("ownerships"))
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=Ownership.objects.current().select_related("member"),
                to_attr="current_ownerships",
            )
        )
        .order_by("created_at", "id")
        .iterator(chunk_size=CHUNK_SIZE)
    )


def _staff_row(car: Car, viewer) -> list:
    owner = car.current_owner
    member = owner.member if owner and owner.member_id else None
    if member is not None:
        # Staff see every name and address (accounts/privacy.py).
        owner_name = privacy.name_for(member, viewer)
    else:
        owner_name = owner.owner_name if owner else ""
    return [
        car.plaque_number,
        car.vin,
        car.review_status,
        "yes" if car.is_verified else "no",
        car.model_line.name,
        car.colour.name if car.colour else "",
        car.colour.paint_code if car.colour else "",
        _build_month(car),
        car.market.code or "",
        car.country.code or "",
        car.transmission,
        car.steering,
        car.status,
        car.options,
        car.story,
        car.vin_visibility,
        car.rejection_reason,
        car.verified_at,
        owner_name,
        privacy.email_for(member, viewer) if member else "",
        (privacy.number_for(member, viewer) or "") if member else "",
        car.number_of_owners,
        car.created_at,
    ]


@login_required
@require_GET
def staff_csv(request):
    require_staff(request)
    return streaming_csv_response(
        filename=f"register-full-{_stamp()}.csv",
        header=STAFF_FIELDS,
        rows=(_staff_row(car, request.user) for car in _staff_cars()),
    )
