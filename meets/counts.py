"""A meet's going, waiting and held counts, kept on its row.

Every page that shows how full a meet is reads `Meet.going_count`, `waiting_count` and
`held_count` instead of counting its RSVPs (issue 17: the meets list counted 84 meets'
RSVPs on each view). They are refreshed by `counts_refresh()` wherever an RSVP's status or
an offer's state changes, in the same transaction and under the meet's row lock
(services._lock_meet): every writer of those rows holds it, so the refresh counts exactly
what the transaction commits. The refresh recounts rather than adds one: one UPDATE with
three counts from the (meet, status) index, and a counter can never drift.
`recount_meets()` (manage.py recount_meets) repairs every meet after a bulk load.
"""

import functools

from django.db import connections, router
from django.db.models import Count, OuterRef, Subquery, sql
from django.db.models.functions import Coalesce

from meets.models import RSVP, Meet
from meets.offer_models import Offer

COUNTED = ("going_count", "waiting_count", "held_count")


def _count(queryset, group: str):
    rows = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows), 0)


def count_expressions() -> dict:
    """Each counter as a subquery on the meet's row (OuterRef("pk"))."""
    mine = RSVP.objects.filter(meet=OuterRef("pk"))
    return {
        "going_count": _count(mine.filter(status=RSVP.Status.GOING), "meet"),
        "waiting_count": _count(mine.filter(status=RSVP.Status.WAITLISTED), "meet"),
        # A place held by an open waiting-list offer (meets/offers.py) is taken.
        "held_count": _count(Offer.objects.open().filter(rsvp__meet=OuterRef("pk")), "rsvp__meet"),
    }


@functools.cache
def _refresh_statement(using: str, vendor: str) -> tuple[str, tuple]:
    """`Meet.objects.filter(pk=…).update(**count_expressions())`, compiled once.

    The statement never changes but the meet's id, its last parameter; compiling its three
    subqueries took the ORM about 7 ms of CPU on every RSVP.
    """
    query = Meet.objects.filter(pk=0).query.chain(sql.UpdateQuery)
    query.add_update_values(count_expressions())
    statement, params = query.get_compiler(using).as_sql()
    if not statement.endswith(" = %s") or params[-1] != 0:
        raise RuntimeError(f"The meet's id is not the last parameter of: {statement}")
    return statement, tuple(params[:-1])


def counts_refresh(meet_id: int) -> None:
    """Recount one meet's counters. The caller holds the meet's lock (or is its only writer).

    update() sends no signal: the pages that show the counts (the meet's, the list) are
    told here, once the change commits — an offer withdrawn moves them with no RSVP saved.
    """
    from meets.cache import meets_cache

    using = router.db_for_write(Meet)
    connection = connections[using]
    statement, params = _refresh_statement(using, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(statement, (*params, meet_id))
    meets_cache.bump_on_commit(scopes=(f"meet:{meet_id}", "list"))


def meet_recount(meet_id: int) -> None:
    """Recount one meet under its lock, for a write that bypassed the services (the admin)."""
    from meets.services import _lock_meet, _meet_transaction

    with _meet_transaction():
        _lock_meet(meet_id)
        counts_refresh(meet_id)


def recount_meets() -> int:
    """Recount every meet, each under its lock in a transaction of its own. Returns how
    many meets had a counter that was wrong."""
    from meets.services import _lock_meet, _meet_transaction

    wrong = 0
    for meet_id in Meet.objects.order_by("pk").values_list("pk", flat=True).iterator():
        with _meet_transaction():
            before = _lock_meet(meet_id)
            counts_refresh(meet_id)
            after = Meet.objects.values(*COUNTED).get(pk=meet_id)
            wrong += any(getattr(before, name) != after[name] for name in COUNTED)
    return wrong
