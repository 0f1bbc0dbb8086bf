"""The register's statistics: produced versus registered, by colour, year, country, status.

Everything is counted by the database in a fixed number of aggregate queries, however
many cars the register holds: never one query per car or per colour. Only public cars
(verified, or accepted without verification) count; pending and rejected records never do.

`register_stats()` returns plain data, and each breakdown as a `Chart` that the template
`register/includes/_bar_chart.html` draws as a table with a bar beside every number.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from html import escape

from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.formats import date_format, get_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries

from register.facts import COLOUR_FACTS, in_dispute
from register.lastseen import (
    LOST_STATUSES,
    SEEN_LATELY_YEARS,
    LineSurvival,
    SurvivalRow,
    years_ago,
)
from register.models import Car, Colour, ModelLine, ProductionFigure
from register.rarity import Rarity
from register.tallies import CarTally, month


def esc(value) -> str:
    """As Django's templates escape text (& < > " ' as entities), without its lazy wrapper."""
    return escape(str(value), quote=True)


# Build months are listed month by month (empty months too) up to this many; beyond it
# the chart would be a wall of rows, and the by-year chart says the same thing.
MAX_MONTH_ROWS = 240

SWATCH_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
PUBLIC = Q(cars__review_status__in=Car.PUBLIC_STATES)


def safe_swatch(value: str) -> str:
    """A colour for an SVG fill: only a hex colour, else a neutral grey."""
    return value if SWATCH_RE.match(value or "") else "#888888"


def percent(part: int, whole: int | None) -> float | None:
    return 100 * part / whole if whole else None


class Numbers:
    """Numbers as humanize's intcomma and floatformat:1 show them in the page's language,
    with the language's separators looked up once rather than for every number."""

    def __init__(self):
        self.thousands = get_format("THOUSAND_SEPARATOR")
        self.decimal = get_format("DECIMAL_SEPARATOR")
        self.plain = get_format("NUMBER_GROUPING") == 3

    def whole(self, value: int) -> str:
        if not self.plain:
            return number_format(value, force_grouping=True)
        return f"{value:,}".replace(",", self.thousands)

    def tenths(self, value: float) -> str:
        """One decimal, halves rounded up (floatformat's rounding) for a share ≥ 0."""
        tenths = int(value * 10 + 0.5 + 1e-9)
        return f"{tenths // 10}{self.decimal}{tenths % 10}"


@dataclass
class Bar:
    """One row of a chart: a label, its count and how long its bar is."""

    label: str
    value: int
    width: float = 0.0  # percent of the longest bar in the chart
    share: float | None = None  # percent of the chart's total
    swatch: str = ""  # a hex colour; bars without one use the site's blue
    details: tuple[str, ...] = ()  # small lines under the label
    rare: bool = False
    key: str = ""  # what the row counts, as data: a year, "2011-06", a country code, a status


@dataclass
class Chart:
    slug: str
    title: str
    label_heading: str
    bars: list[Bar]
    total: int
    value_heading: str = gettext_lazy("Cars")
    share_heading: str = gettext_lazy("Share")
    note: str = ""

    def __post_init__(self):
        longest = max((bar.value for bar in self.bars), default=0)
        for bar in self.bars:
            bar.width = round(100 * bar.value / longest, 1) if longest else 0.0
            bar.share = percent(bar.value, self.total)

    @property
    def rows_html(self) -> str:
        """The chart's table rows (templates/register/includes/_stats_chart.html): drawn
        here, as a page of charts has hundreds of rows and a template costs ten times
        more a row. Every text is escaped (`esc`, the escaping of Django's templates); a
        swatch is a checked hex colour. Numbers as intcomma and floatformat:1 show them,
        with the language's separators looked up once."""
        numbers = Numbers()
        rare = f' <span class="badge rounded-pill text-bg-warning">{esc(_("Rare"))}</span>'
        rows = []
        for bar in self.bars:
            swatch, fill = "", ""
            if bar.swatch:
                colour = esc(bar.swatch)
                swatch = (
                    '<svg class="stats-swatch" aria-hidden="true"><rect x=".5" y=".5" '
                    f'width="15" height="15" rx="3" fill="{colour}" stroke="#212529"/></svg>'
                )
                fill = f' fill="{colour}"'
            notes = "".join(f'<span class="stats-note">{esc(d)}</span>' for d in bar.details)
            line = f'<rect width="{bar.width:.1f}%"{fill}/>' if bar.value else ""
            share = "—" if bar.share is None else f"{numbers.tenths(bar.share)}%"
            rows.append(
                f'<tr><th scope="row">{swatch}<b>{esc(bar.label)}</b>{rare if bar.rare else ""}'
                f'{notes}<svg class="stats-bar" aria-hidden="true">{line}</svg></th>'
                f"<td>{numbers.whole(bar.value)}</td><td>{share}</td></tr>"
            )
        return mark_safe("\n".join(rows))  # noqa: S308  # nosec B308 B703

    @property
    def is_empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


@dataclass
class LineStats:
    line: ModelLine
    registered: int
    figures: list[ProductionFigure]
    colour_chart: Chart | None = None

    @property
    def primary(self) -> ProductionFigure | None:
        return next((f for f in self.figures if f.is_primary), None)

    @property
    def coverage(self) -> float | None:
        """Registered cars as a percentage of the club's primary production figure."""
        return percent(self.registered, self.primary.count) if self.primary else None

    @property
    def figures_disagree(self) -> bool:
        return len({f.count for f in self.figures}) > 1

    @property
    def figure_range(self) -> tuple[int, int] | None:
        counts = [f.count for f in self.figures]
        return (min(counts), max(counts)) if counts else None


@dataclass
class RegisterStats:
    total: int
    verified: int
    without_colour: int
    without_build_date: int
    without_country: int
    lines: list[LineStats]
    all_lines: list[ModelLine]
    selected_line: ModelLine | None
    charts: dict[str, Chart] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)  # alpha-2 → cars, for the map
    survival: list = field(default_factory=list)  # register.lastseen.LineSurvival per line

    @property
    def unverified(self) -> int:
        return self.total - self.verified

    @property
    def month_rows(self) -> list:
        return month_grid(self.charts["months"])

    @property
    def month_names(self) -> list[str]:
        return month_names()


def disputed_text(count: int) -> str:
    """E.g. "plus 3 cars whose colour is in dispute"."""
    text = ngettext(
        "plus %(count)s car whose colour is in dispute",
        "plus %(count)s cars whose colour is in dispute",
        count,
    )
    return text % {"count": number_format(count, force_grouping=True)}


# The colour chart's sentences, translated once a page rather than once a colour (the same
# words as Rarity.headline and Colour.Kind).
COLOUR_WORDS = {
    "paint": gettext_lazy("Paint code %(code)s · %(kind)s"),
    "none": gettext_lazy("No %(colour)s car on the register yet"),
    "only": gettext_lazy("The only %(colour)s car on the register"),
    "one_of": gettext_lazy("One of %(count)s in %(colour)s on the register"),
    "built_source": gettext_lazy("Reported built: %(count)s (source: %(source)s)"),
    "built": gettext_lazy("Reported built: %(count)s"),
}


def colour_words() -> dict[str, str]:
    words = {key: str(text) for key, text in COLOUR_WORDS.items()}
    words.update({f"kind:{value}": str(label) for value, label in Colour.Kind.choices})
    return words


def _colour_chart(
    line_stats: LineStats, colours: list[Colour], uncoloured: int, words: dict[str, str]
) -> Chart:
    total = line_stats.registered
    numbers = Numbers()
    bars = []
    for colour in sorted(colours, key=lambda c: (-c.registered, c.name)):
        rarity = Rarity(colour=colour, registered=colour.registered, registered_in_line=total)
        kind = words.get(f"kind:{colour.kind}", colour.kind)
        if colour.paint_code:
            kind = words["paint"] % {"code": colour.paint_code, "kind": kind}
        details = [kind]
        name = {"colour": colour.name}
        if rarity.registered == 0:
            details.append(words["none"] % name)
        elif rarity.registered == 1:
            details.append(words["only"] % name)
        else:
            details.append(words["one_of"] % {**name, "count": numbers.whole(rarity.registered)})
        if colour.disputed:
            details.append(disputed_text(colour.disputed))
        if colour.reported_production is not None:
            built = numbers.whole(colour.reported_production)
            if colour.source:
                details.append(words["built_source"] % {"count": built, "source": colour.source})
            else:
                details.append(words["built"] % {"count": built})
        bars.append(
            Bar(
                label=colour.name,
                value=colour.registered,
                swatch=safe_swatch(colour.swatch),
                details=tuple(details),
                rare=rarity.is_rare,
                key=str(colour.pk),
            )
        )
    in_doubt = sum(colour.disputed for colour in colours)
    if in_doubt:
        bars.append(
            Bar(
                label=_("Colour in dispute"),
                value=in_doubt,
                swatch="#ced4da",
                details=(_("Not counted in any colour until the registrar settles it."),),
            )
        )
    if uncoloured:
        bars.append(Bar(label=_("Colour not recorded"), value=uncoloured, swatch="#ced4da"))
    return Chart(
        slug=f"colours-{line_stats.line.slug}",
        title=_("%(line)s: registered cars by colour") % {"line": line_stats.line.name},
        label_heading=_("Colour"),
        share_heading=_("Share"),
        bars=bars,
        total=total,
    )


def _month_bars(counts: dict[datetime.date, int]) -> list[Bar]:
    """Every month from the first to the last build month, empty months included."""
    if not counts:
        return []
    first, last = min(counts), max(counts)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months > MAX_MONTH_ROWS:
        keys = sorted(counts)
    else:
        keys = []
        year, month = first.year, first.month
        for _ in range(months):
            keys.append(datetime.date(year, month, 1))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    # "June 2011", "Juni 2011": the month's name in the page's language. Each of the twelve
    # is formatted once with a stand-in year, and the year put in: 300 months cost twelve.
    patterns = {}
    for number in range(1, 13):
        shown = date_format(datetime.date(2000, number, 1), "YEAR_MONTH_FORMAT")
        patterns[number] = shown if shown.count("2000") == 1 else None
    bars = []
    for key in keys:
        pattern = patterns[key.month]
        label = (
            pattern.replace("2000", str(key.year))
            if pattern
            else date_format(key, "YEAR_MONTH_FORMAT")
        )
        bars.append(
            Bar(label=label, value=counts.get(key, 0), key=f"{key.year:04d}-{key.month:02d}")
        )
    return bars


@dataclass
class MonthRow:
    year: int
    months: list[str]  # twelve counts as shown, "" outside the months the chart lists
    total: str

    @property
    def cells_html(self) -> str:
        return mark_safe("".join(f"<td>{esc(n)}</td>" for n in self.months))  # noqa: S308  # nosec B308 B703


def month_grid(chart: Chart) -> list[MonthRow]:
    """The build-month chart as a table of years by months: twelve numbers a row."""
    numbers = Numbers()
    rows: dict[int, list] = {}
    for bar in chart.bars:
        year, month_number = int(bar.key[:4]), int(bar.key[5:7])
        row = rows.setdefault(year, [None] * 12)
        row[month_number - 1] = bar.value
    return [
        MonthRow(
            year=year,
            months=["" if n is None else numbers.whole(n) for n in rows[year]],
            total=numbers.whole(sum(n or 0 for n in rows[year])),
        )
        for year in sorted(rows)
    ]


def month_names() -> list[str]:
    """ "Jan" … "Dec" in the page's language."""
    return [date_format(datetime.date(2000, m, 1), "M") for m in range(1, 13)]


def register_stats(*, line: ModelLine | None = None, today=None) -> RegisterStats:
    """Every figure of the statistics page in four queries, five when a car was last seen
    in the month five years ago, from the tallies (see the comments): the same few hundred
    rows for 100 cars or 100,000."""
    today = today or timezone.localdate()
    lately = years_ago(today, SEEN_LATELY_YEARS)
    # 1. Every tally, summed over the last-seen months, with the cars seen lately apart.
    names = ("kind", "model_line_id", "key", "disputed", "lost", "n", "seen", "boundary")
    rows = [
        dict(zip(names, row, strict=True))
        for row in CarTally.objects.order_by()
        .values_list("kind", "model_line_id", "key", "disputed", "lost")
        .annotate(
            cars=Sum("n"),
            seen_lately=Sum("n", filter=Q(seen__gt=month(lately))),
            seen_then=Sum("n", filter=Q(seen=month(lately))),
        )
    ]
    registered: Counter = Counter()
    for row in rows:
        if row["kind"] == "colour":
            registered[row["model_line_id"]] += row["n"]

    # 2. Model lines, each with its count of public cars.
    all_lines = list(ModelLine.objects.all())
    for ml in all_lines:
        ml.registered = registered[ml.pk]
    lines = [ml for ml in all_lines if line is None or ml.pk == line.pk]
    line_ids = {ml.pk for ml in lines}
    rows = [row for row in rows if row["model_line_id"] in line_ids]
    by_kind: dict[str, Counter] = {kind: Counter() for kind in CarTally.Kind.values}
    for row in rows:
        by_kind[row["kind"]][row["key"]] += row["n"]
    build = by_kind["build"]

    # 3. Every production figure of those lines, all sources side by side.
    figures: dict[int, list[ProductionFigure]] = {pk: [] for pk in line_ids}
    for figure in ProductionFigure.objects.filter(model_line__in=line_ids):
        figures[figure.model_line_id].append(figure)
    line_stats = [
        LineStats(line=ml, registered=ml.registered, figures=figures[ml.pk]) for ml in lines
    ]

    # 4. Colours, each with its public cars whose colour is settled, and those whose
    # colour is in dispute (counted apart, never as the colour they may not be).
    colours = list(Colour.objects.filter(model_line__in=line_ids))
    settled: Counter = Counter()
    disputed: Counter = Counter()
    for row in rows:
        if row["kind"] == "colour" and row["key"]:
            (disputed if row["disputed"] else settled)[row["key"]] += row["n"]
    for colour in colours:
        colour.registered = settled[str(colour.pk)]
        colour.disputed = disputed[str(colour.pk)]
    coloured: Counter = Counter()
    for colour in colours:
        coloured[colour.model_line_id] += colour.registered + colour.disputed
    words = colour_words()
    for stats in line_stats:
        stats.colour_chart = _colour_chart(
            stats,
            [c for c in colours if c.model_line_id == stats.line.pk],
            stats.registered - coloured[stats.line.pk],
            words,
        )

    total = sum(ml.registered for ml in lines)
    verified = by_kind["review"][Car.Review.VERIFIED]
    without_build_date = build[""]
    without_country = by_kind["country"][""]

    years: Counter = Counter()
    month_counts: Counter = Counter()
    for key, n in build.items():
        if key and n:
            years[int(key[:4])] += n
            month_counts[datetime.date(int(key[:4]), int(key[5:7]), 1)] += n
    year_chart = Chart(
        slug="years",
        title=_("Registered cars by build year"),
        label_heading=_("Build year"),
        bars=[Bar(label=str(year), value=years[year], key=str(year)) for year in sorted(years)],
        total=total,
        note=_missing_note(without_build_date, "build date"),
    )
    month_chart = Chart(
        slug="months",
        title=_("Registered cars by build month"),
        label_heading=_("Build month"),
        bars=_month_bars(month_counts),
        total=total,
        note=_missing_note(without_build_date, "build date"),
    )

    # Where the car lives now.
    by_country = {code: n for code, n in by_kind["country"].items() if code and n}
    country_bars = [
        Bar(label=countries.name(code) or code, value=n, key=code) for code, n in by_country.items()
    ]
    country_bars.sort(key=lambda bar: (-bar.value, bar.label))
    country_chart = Chart(
        slug="countries",
        title=_("Where the registered cars live"),
        label_heading=_("Country"),
        bars=country_bars,
        total=total,
        note=_missing_note(without_country, "country"),
    )

    # By life status (every status listed, none hidden for being empty).
    by_status = by_kind["status"]
    status_chart = Chart(
        slug="status",
        title=_("Registered cars by life status"),
        label_heading=_("Life status"),
        bars=[
            Bar(label=label, value=by_status[value], key=value)
            for value, label in Car.Status.choices
        ],
        total=total,
    )

    verified_chart = Chart(
        slug="verified",
        title=_("Verified by the registrar"),
        label_heading=_("Record"),
        bars=[
            Bar(label=_("Verified (with a plaque)"), value=verified),
            Bar(label=_("On the register, not verified"), value=total - verified),
        ],
        total=total,
    )

    # 5. Survivors per colour and build year: the tallies count the cars seen in the
    # months after the one five years ago; that month's cars are counted from the cars.
    # (No car last seen in that month: no query.)
    boundary = _seen_in_month(line_ids, lately) if any(r["boundary"] for r in rows) else []
    survival = _survival(line_stats, colours, rows, boundary)

    return RegisterStats(
        survival=survival,
        total=total,
        verified=verified,
        without_colour=by_kind["colour"][""],
        without_build_date=without_build_date,
        without_country=without_country,
        lines=line_stats,
        all_lines=all_lines,
        selected_line=line,
        charts={
            "years": year_chart,
            "months": month_chart,
            "countries": country_chart,
            "status": status_chart,
            "verified": verified_chart,
        },
        countries=by_country,
    )


def _seen_in_month(line_ids, lately: datetime.date) -> list[dict]:
    """Cars not lost seen from `lately` to the end of its month, per line, settled colour
    and build year: the part of the boundary month the tallies cannot split (indexed)."""
    end = (lately.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return list(
        Car.objects.public()
        .filter(model_line__in=line_ids, last_seen_on__gte=lately, last_seen_on__lt=end)
        .exclude(status__in=LOST_STATUSES)
        .order_by()
        .annotate(
            colour_key=Case(When(in_dispute(*COLOUR_FACTS), then=Value(None)), default=F("colour")),
            year=ExtractYear("build_date"),
        )
        .values("model_line", "colour_key", "year")
        .annotate(n=Count("id"))
    )


def _survival(line_stats, colours, rows, boundary) -> list[LineSurvival]:
    """register.lastseen.survival_estimates, from the tallies."""
    result = []
    for stats in line_stats:
        pk = stats.line.pk
        primary = stats.primary
        per_colour: dict = {}  # colour id (None: none or in dispute) → [cars, seen, not lost]
        per_year: dict = {}  # build year (None: unknown) → the same
        for row in rows:
            if row["model_line_id"] != pk or row["kind"] not in ("colour", "year"):
                continue
            if row["kind"] == "colour":
                key = None if row["disputed"] or not row["key"] else int(row["key"])
                counts = per_colour.setdefault(key, [0, 0, 0])
            else:
                counts = per_year.setdefault(int(row["key"]) if row["key"] else None, [0, 0, 0])
            counts[0] += row["n"]
            if not row["lost"]:
                counts[1] += row["seen"] or 0
                counts[2] += row["n"]
        for row in boundary:
            if row["model_line"] == pk:
                per_colour.setdefault(row["colour_key"], [0, 0, 0])[1] += row["n"]
                per_year.setdefault(row["year"], [0, 0, 0])[1] += row["n"]
        total = SurvivalRow(
            label=stats.line.name,
            built=primary.count if primary else None,
            registered=sum(c[0] for c in per_colour.values()),
            seen=sum(c[1] for c in per_colour.values()),
            not_lost=sum(c[2] for c in per_colour.values()),
        )
        colour_rows = []
        for colour in colours:
            if colour.model_line_id != pk:
                continue
            n, seen, not_lost = per_colour.get(colour.pk, (0, 0, 0))
            colour_rows.append(
                SurvivalRow(
                    label=colour.name,
                    built=colour.reported_production,
                    registered=n,
                    seen=seen,
                    not_lost=not_lost,
                )
            )
        colour_rows.sort(key=lambda r: (-r.registered, r.label))
        dated = {year: c for year, c in per_year.items() if year is not None and c[0]}
        dated_total = sum(c[0] for c in dated.values())
        year_rows = [
            SurvivalRow(
                label=str(year),
                built=primary.count * n / dated_total if primary and dated_total else None,
                registered=n,
                seen=seen,
                not_lost=not_lost,
                scaled=True,
            )
            for year, (n, seen, not_lost) in sorted(dated.items())
        ]
        result.append(
            LineSurvival(
                line=stats.line, primary=primary, total=total, colours=colour_rows, years=year_rows
            )
        )
    return result


def _as_date(value) -> datetime.date:
    """TruncMonth gives a date on a DateField; be tolerant of a datetime."""
    return value.date() if isinstance(value, datetime.datetime) else value


def _missing_note(count: int, what: str) -> str:
    """E.g. "3 registered cars without a recorded country."; `what` is "build date" or
    "country"."""
    if not count:
        return ""
    if what == "country":
        text = ngettext(
            "%(count)s registered car without a recorded country.",
            "%(count)s registered cars without a recorded country.",
            count,
        )
    else:
        text = ngettext(
            "%(count)s registered car without a recorded build date.",
            "%(count)s registered cars without a recorded build date.",
            count,
        )
    return text % {"count": number_format(count, force_grouping=True)}
