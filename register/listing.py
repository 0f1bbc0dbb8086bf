"""Pages of a long list without counting every row.

Django's Paginator counts the whole result first: over 100,000 cars that COUNT is most of
a cold register page. A `CappedPage` reads one row more than it shows (is there a next
page?) and counts at most `COUNT_CAP` rows (cheap from an index): below the cap the total
is exact, above it the page says "more than 1,000" and, on PostgreSQL, the planner's
estimate ("about 98,400"). Pages are numbered as before, with previous and next links.
"""

import json
import math

from django.db import connections

COUNT_CAP = 1000
# Past this page the visitor narrows the search: a page this deep would make the
# database step over this many rows, and nobody reads 400 pages of cards.
MAX_PAGE = 400


class CappedPage:
    def __init__(self, queryset, number, per_page: int):
        self.per_page = per_page
        self.number = _page_number(number)
        # Always asked (the same queries for 2 cars and 50): at most COUNT_CAP + 1 rows.
        self.count = queryset.order_by()[: COUNT_CAP + 1].count()
        self.exact = self.count <= COUNT_CAP
        self.estimate = None if self.exact else _estimate(queryset)
        self.num_pages = max(math.ceil(self.count / per_page), 1) if self.exact else None
        if self.num_pages is not None and self.number > self.num_pages:
            self.number = self.num_pages  # past the end (an old link): the last page
        offset = (self.number - 1) * per_page
        rows = list(queryset[offset : offset + per_page + 1])
        if self.number > 1 and not rows:
            # Past the end of a long list: its first page, not an empty one.
            self.number, offset = 1, 0
            rows = list(queryset[: per_page + 1])
        self.has_next = len(rows) > per_page and self.number < MAX_PAGE
        self.has_previous = self.number > 1
        self.object_list = rows[:per_page]

    @property
    def paginator(self) -> "CappedPage":
        # The shared pagination include reads page.paginator.num_pages (None: not counted).
        return self

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def _page_number(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def _estimate(queryset) -> int | None:
    """The planner's guess of the rows (PostgreSQL), rounded to three figures."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    rows = int(plan[0]["Plan"]["Plan Rows"])
    if rows <= COUNT_CAP:
        return None
    digits = len(str(rows)) - 3
    return round(rows, -digits) if digits > 0 else rows
