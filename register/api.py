"""The register's public API (/api/v1/): model lines, production figures, colours, cars and
the statistics, as JSON.

Nothing here decides what the public may see of a car: the cars come from the public
export's queryset and record (`register/views/exports.py`: `public_cars`, `public_record`),
so the API shows exactly what the downloadable register shows — public cars only, the VIN
as its owner allows, no person at all — plus the car's id, its page and its photos. A car
that is missing and one that is pending or rejected get the same 404.

Every answer is built once per register version (`register/cache.py`): a change to a car,
colour, model line or figure makes the next request build it afresh.
"""

import hashlib
import json
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import NinjaJSONEncoder

from config.lib.site import absolute_url
from register.cache import cached
from register.filters import search_cars
from register.models import PLAQUE_ORDER, Car, CarPhoto, Colour, ModelLine, ProductionFigure
from register.stats import register_stats
from register.tallies import counts_by, counts_by_line
from register.views.exports import public_cars, public_record

router = Router(tags=["register"])

DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
MAX_OFFSET = 1_000_000
MAX_ID = 2**63 - 1  # a bigint: anything larger would overflow the database's integer
MAX_PLAQUE = 2**31 - 1


# --- Schemas: what each answer holds, for the OpenAPI schema and the checks ------------------


class ModelLineOut(Schema):
    id: int
    slug: str
    marque: str
    name: str
    production_start: int | None
    production_end: int | None
    description: str
    registered: int = Field(description="Public cars of this model line on the register.")


class FigureOut(Schema):
    model_line: str = Field(description="The model line's slug.")
    label: str
    count: int
    source: str
    source_url: str
    note: str
    primary: bool = Field(description="The figure the club's coverage statistics use.")


class ColourOut(Schema):
    id: int
    model_line: str = Field(description="The model line's slug.")
    name: str
    paint_code: str
    kind: Colour.Kind
    reported_production: int | None
    source: str
    registered: int = Field(description="Public cars in this colour on the register.")


class PhotoOut(Schema):
    url: str
    thumbnail_url: str
    width: int | None
    height: int | None


class CarOut(Schema):
    id: int
    url: str = Field(description="The car's page on the site.")
    plaque_number: int | None
    vin: str = Field(description="The full VIN, or its last 7 characters, as its owner allows.")
    model_line: str
    colour: str
    paint_code: str
    build_month: str = Field(description='"YYYY-MM", or empty when not recorded.')
    first_market: str = Field(description="ISO 3166 country code, or empty.")
    country: str = Field(description="Where the car lives now: ISO 3166 code, or empty.")
    transmission: Car.Transmission
    steering: Car.Steering
    life_status: Car.Status
    verified: bool
    photos: list[PhotoOut]


class CarPage(Schema):
    count: int = Field(description="Cars matching the filters, on every page together.")
    limit: int
    offset: int
    next: str | None
    previous: str | None
    results: list[CarOut]


class CarFilters(Schema):
    model_line: str | None = Field(None, max_length=120, description="A model line's slug.")
    colour: int | None = Field(None, ge=1, le=MAX_ID, description="A colour's id.")
    country: str | None = Field(
        None, pattern=r"^[A-Za-z]{2}$", description="Where the car lives: ISO 3166 code."
    )
    status: Car.Status | None = Field(None, description="Life status.")
    year: int | None = Field(None, ge=1000, le=9999, description="Build year.")
    verified: bool | None = Field(None, description="Verified by the registrar, or not.")
    q: str | None = Field(
        None, max_length=40, description="Plaque number (#12), the VIN's last 7, or the VIN."
    )
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class LineFilter(Schema):
    model_line: str | None = Field(None, max_length=120, description="A model line's slug.")


class CountOut(Schema):
    key: str
    cars: int


class ColourCountOut(Schema):
    colour_id: int | None = Field(description="None for the cars whose colour is not recorded.")
    name: str
    cars: int


class LineStatsOut(Schema):
    slug: str
    name: str
    registered: int
    coverage_percent: float | None = Field(
        description="Registered cars as a share of the primary production figure."
    )
    figures_disagree: bool
    figures: list[FigureOut]
    colours: list[ColourCountOut]


class StatisticsOut(Schema):
    total: int
    verified: int
    unverified: int
    without_colour: int
    without_build_date: int
    without_country: int
    model_lines: list[LineStatsOut]
    by_build_year: list[CountOut]
    by_build_month: list[CountOut]
    by_country: list[CountOut]
    by_life_status: list[CountOut]


class Index(Schema):
    model_lines: str
    production_figures: str
    colours: str
    cars: str
    statistics: str
    schema_url: str = Field(alias="schema")
    docs: str


# --- Building the answers ---------------------------------------------------------------------


def _key(name: str, params: dict) -> str:
    """A cache key for an answer: its name and its (validated) parameters."""
    raw = json.dumps(params, sort_keys=True, default=str)
    return f"api:{name}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _line_or_404(slug: str | None) -> ModelLine | None:
    if slug is None:
        return None
    return get_object_or_404(ModelLine, slug=slug)


def _figure(figure: ProductionFigure, slug: str) -> dict:
    return {
        "model_line": slug,
        "label": figure.label,
        "count": figure.count,
        "source": figure.source,
        "source_url": figure.source_url,
        "note": figure.note,
        "primary": figure.is_primary,
    }


def _media_url(url: str) -> str:
    # Media served by the site get its public address; media on S3 keep theirs.
    return absolute_url(url) if url.startswith("/") else url


def _car(car: Car) -> dict:
    return {
        "id": car.pk,
        "url": absolute_url(car.get_absolute_url()),
        **public_record(car),
        "photos": [
            {
                "url": _media_url(photo.image.url),
                "thumbnail_url": _media_url(photo.thumbnail.url),
                "width": photo.width,
                "height": photo.height,
            }
            for photo in car.api_photos
        ],
    }


def _with_photos(queryset):
    # Photos without their captions: a caption, like a story, may name people.
    photos = CarPhoto.objects.only("car", "image", "thumbnail", "width", "height", "is_cover")
    return queryset.prefetch_related(Prefetch("photos", queryset=photos, to_attr="api_photos"))


# --- Endpoints ----------------------------------------------------------------------------------


@router.get("/", response=Index, summary="What the API offers", by_alias=True, url_name="index")
def index(request):
    return {
        "model_lines": absolute_url(reverse("api:model_lines")),
        "production_figures": absolute_url(reverse("api:production_figures")),
        "colours": absolute_url(reverse("api:colours")),
        "cars": absolute_url(reverse("api:cars")),
        "statistics": absolute_url(reverse("api:statistics")),
        "schema": absolute_url(reverse("api:openapi-json")),
        "docs": absolute_url(reverse("api:openapi-view")),
    }


@router.get("model-lines/", response=list[ModelLineOut], url_name="model_lines")
def model_lines(request):
    """Every model line the club registers, with its count of public cars."""

    def build():
        registered = counts_by_line()
        lines = ModelLine.objects.all()
        return [
            {
                "id": line.pk,
                "slug": line.slug,
                "marque": line.marque,
                "name": line.name,
                "production_start": line.production_start,
                "production_end": line.production_end,
                "description": line.description,
                "registered": registered[line.pk],
            }
            for line in lines
        ]

    return cached("api:model-lines", build, scopes=("tally",))


@router.get("production-figures/", response=list[FigureOut], url_name="production_figures")
def production_figures(request, filters: Query[LineFilter]):
    """How many were built, by every source the club knows; sources may disagree."""
    line = _line_or_404(filters.model_line)

    def build():
        figures = ProductionFigure.objects.select_related("model_line").order_by(
            "model_line__marque", "model_line__name", "-is_primary", "count", "id"
        )
        if line is not None:
            figures = figures.filter(model_line=line)
        return [_figure(figure, figure.model_line.slug) for figure in figures]

    return cached(_key("figures", {"line": filters.model_line}), build)


@router.get("colours/", response=list[ColourOut], url_name="colours")
def colours(request, filters: Query[LineFilter]):
    """Colours with their paint code, reported production and registered count."""
    line = _line_or_404(filters.model_line)

    def build():
        registered = counts_by("colour")  # settled and in dispute alike
        rows = Colour.objects.select_related("model_line").order_by(
            "model_line__marque", "model_line__name", "kind", "name", "id"
        )
        if line is not None:
            rows = rows.filter(model_line=line)
        return [
            {
                "id": colour.pk,
                "model_line": colour.model_line.slug,
                "name": colour.name,
                "paint_code": colour.paint_code,
                "kind": colour.kind,
                "reported_production": colour.reported_production,
                "source": colour.source,
                "registered": registered[str(colour.pk)],
            }
            for colour in rows
        ]

    return cached(_key("colours", {"line": filters.model_line}), build, scopes=("tally",))


def _page_link(filters: CarFilters, offset: int) -> str:
    params = {
        name: ("true" if value is True else "false" if value is False else value)
        for name, value in filters.dict().items()
        if value is not None and name not in ("limit", "offset")
    }
    params.update(limit=filters.limit, offset=offset)
    return absolute_url(f"{reverse('api:cars')}?{urlencode(params)}")


@router.get("cars/", response=CarPage, url_name="cars")
def cars(request, filters: Query[CarFilters]):
    """Public cars in the register's order (plaque number, then VIN), a page at a time."""

    def build():
        # The same order as public_cars(), written as the plaque-order index has it
        # (PLAQUE_ORDER): PostgreSQL reads the first page from the index, not a sort.
        queryset = public_cars().order_by(PLAQUE_ORDER, "vin")
        if filters.model_line is not None:
            queryset = queryset.filter(model_line__slug=filters.model_line)
        if filters.colour is not None:
            queryset = queryset.filter(colour_id=filters.colour)
        if filters.country is not None:
            queryset = queryset.filter(country=filters.country.upper())
        if filters.status is not None:
            queryset = queryset.filter(status=filters.status)
        if filters.year is not None:
            queryset = queryset.filter(build_date__year=filters.year)
        if filters.verified is True:
            queryset = queryset.filter(review_status=Car.Review.VERIFIED)
        elif filters.verified is False:
            queryset = queryset.exclude(review_status=Car.Review.VERIFIED)
        if filters.q:
            queryset = search_cars(queryset, filters.q)
        total = queryset.count()
        start, end = filters.offset, filters.offset + filters.limit
        page = [_car(car) for car in _with_photos(queryset)[start:end]]
        return {
            "count": total,
            "limit": filters.limit,
            "offset": filters.offset,
            "next": _page_link(filters, end) if end < total else None,
            "previous": (_page_link(filters, max(start - filters.limit, 0)) if start > 0 else None),
            "results": page,
        }

    return cached(_key("cars", filters.dict()), build, scopes=("cars", "photos"))


def _one_car(**lookup) -> dict:
    car = _with_photos(public_cars().filter(**lookup)).first()
    if car is None:
        # Missing, pending or rejected: the same answer, so the API tells nobody which.
        raise Http404(_("No such car on the register."))
    return _car(car)


@router.get("cars/{car_id}/", response=CarOut, url_name="car")
def car(request, car_id: int = Path(..., ge=1, le=MAX_ID)):
    """One public car by its id."""
    return cached(f"api:car:{car_id}", lambda: _one_car(pk=car_id), scopes=(f"car:{car_id}",))


@router.get("cars/by-plaque/{plaque}/", response=CarOut, url_name="car_by_plaque")
def car_by_plaque(request, plaque: int = Path(..., ge=1, le=MAX_PLAQUE)):
    """One public car by its plaque number."""
    # Which car holds the plaque (an index), then that car's own cached answer.
    car_id = public_cars().filter(plaque_number=plaque).values_list("pk", flat=True).first()
    if car_id is None:
        raise Http404(_("No such car on the register."))
    return cached(f"api:car:{car_id}", lambda: _one_car(pk=car_id), scopes=(f"car:{car_id}",))


def _counts(chart) -> list[dict]:
    return [{"key": bar.key, "cars": bar.value} for bar in chart.bars]


@router.get("statistics/", response=StatisticsOut, url_name="statistics")
def statistics(request, filters: Query[LineFilter]):
    """The statistics page's figures: produced versus registered, by colour, year, country
    and life status. Only public cars count."""
    line = _line_or_404(filters.model_line)

    def build():
        stats = register_stats(line=line)
        return {
            "total": stats.total,
            "verified": stats.verified,
            "unverified": stats.unverified,
            "without_colour": stats.without_colour,
            "without_build_date": stats.without_build_date,
            "without_country": stats.without_country,
            "model_lines": [
                {
                    "slug": item.line.slug,
                    "name": item.line.name,
                    "registered": item.registered,
                    "coverage_percent": (
                        round(item.coverage, 2) if item.coverage is not None else None
                    ),
                    "figures_disagree": item.figures_disagree,
                    "figures": [_figure(figure, item.line.slug) for figure in item.figures],
                    "colours": [
                        {
                            "colour_id": int(bar.key) if bar.key else None,
                            "name": bar.label,
                            "cars": bar.value,
                        }
                        for bar in item.colour_chart.bars
                    ],
                }
                for item in stats.lines
            ],
            "by_build_year": _counts(stats.charts["years"]),
            "by_build_month": _counts(stats.charts["months"]),
            "by_country": _counts(stats.charts["countries"]),
            "by_life_status": _counts(stats.charts["status"]),
        }

    def rendered() -> str:
        # The JSON as ninja writes it (validated by the schema, then its encoder), cached
        # whole: validating 18 KB of figures on every request was most of its cost.
        figures = StatisticsOut.model_validate(build()).model_dump()
        return json.dumps(figures, cls=NinjaJSONEncoder)

    key = _key("statistics-json", {"line": filters.model_line})
    body = cached(key, rendered, scopes=("tally",))
    return HttpResponse(body, content_type="application/json; charset=utf-8")
