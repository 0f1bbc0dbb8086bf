"""The staff inbox: everything waiting for staff, gathered from every app, counted at once.

Each app says what waits for staff through an `inbox_items(self)` method on its AppConfig
(as accounts asks for `personal_data`): a list of plain dicts, so no app imports this one

    {"key": "cars", "label": _("Cars to verify"), "count": <QuerySet or int or None>,
     "url": "/register/review/#cars", "help": _("…"), "action": True}

`count` may be a QuerySet: the inbox counts all of them in one SQL statement, so the whole
inbox costs one query however many apps add items. None makes a link-only item (the
import page). `action` False marks an item that is normal business, not work (members
whose dues are due): it is shown but left out of the total in the navigation bar.

The navigation bar's total is cached for a minute in the default cache (the same for
every staff member); a cache that is down costs a query, never the page.
"""

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from config.lib.email import send_templated
from config.lib.site import absolute_url

log = logging.getLogger(__name__)

# Versioned: a change of what the total means starts from a fresh key.
TOTAL_CACHE_KEY = "office:inbox-total:v1"
TOTAL_TIMEOUT = 60  # seconds


@dataclass(frozen=True)
class InboxItem:
    key: str
    label: str
    count: int | None
    url: str | None
    help: str = ""
    app: str = ""
    action: bool = True

    @property
    def is_link(self) -> bool:
        return self.count is None

    @property
    def waiting(self) -> bool:
        """Something needs doing here (the item counts towards the total)."""
        return self.action and bool(self.count)


def url_or_none(name: str, *, query: str = "", fragment: str = "", args=()) -> str | None:
    """reverse(name) with a query and a fragment; None if no such URL is installed (yet)."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return url + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def first_url(*candidates: tuple[str, str]) -> str | None:
    """The first of (name, query) that resolves: a page another part may not have built."""
    for name, query in candidates:
        url = url_or_none(name, query=query)
        if url is not None:
            return url
    return None


def _raw_items() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for config in apps.get_app_configs():
        hook = getattr(config, "inbox_items", None)
        if callable(hook):
            found += [(config.label, item) for item in hook()]
    return found


def count_all(querysets: list[QuerySet]) -> list[int]:
    """COUNT(*) of every queryset, in one statement per database (one in practice).

    SELECT (SELECT COUNT(*) FROM (<first>) q0), (SELECT COUNT(*) FROM (<second>) q1), …
    Each subquery is the queryset's own SQL with its own parameters, as Django compiles it.
    """
    counts: list[int] = [0] * len(querysets)
    by_db: dict[str, list[int]] = {}
    for index, queryset in enumerate(querysets):
        by_db.setdefault(queryset.db, []).append(index)
    for alias, indexes in by_db.items():
        parts, params = [], []
        for n, index in enumerate(indexes):
            query = querysets[index].order_by().values("pk").query
            sql, sql_params = query.get_compiler(using=alias).as_sql()
            # Django's own compiled SQL, its values in params: nothing typed by anyone.
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) inbox_{n})")  # noqa: S608  # nosec B608
            params.extend(sql_params)
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            row = cursor.fetchone()
        for index, value in zip(indexes, row, strict=True):
            counts[index] = int(value)
    return counts


def inbox_items() -> list[InboxItem]:
    """Every app's items, in the order of INSTALLED_APPS, with their counts (one query)."""
    raw = _raw_items()
    querysets = [item["count"] for _app, item in raw if isinstance(item.get("count"), QuerySet)]
    counted = iter(count_all(querysets)) if querysets else iter(())
    items = []
    for app, item in raw:
        count = item.get("count")
        if isinstance(count, QuerySet):
            count = next(counted)
        items.append(
            InboxItem(
                key=item["key"],
                label=item["label"],
                count=count,
                url=item.get("url"),
                help=item.get("help", ""),
                app=app,
                action=item.get("action", True),
            )
        )
    return items


def inbox_total(items: list[InboxItem]) -> int:
    """What needs doing: the counts of the action items (not the links, not "due")."""
    return sum(item.count for item in items if item.action and item.count)


def waiting_items(items: list[InboxItem]) -> list[InboxItem]:
    """The items with something in them (for the digest): counts above zero."""
    return [item for item in items if item.count]


def cached_total() -> int:
    """The navigation bar's total, computed at most once a minute for all staff."""
    try:
        total = cache.get(TOTAL_CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache that is down must not break the page
        log.warning("The cache is down: the office's total is counted for this page")
        return inbox_total(inbox_items())
    if total is None:
        total = inbox_total(inbox_items())
        remember_total(total)
    return total


def remember_total(total: int) -> None:
    """Keep a total just counted (the inbox page counts it anyway)."""
    try:
        cache.set(TOTAL_CACHE_KEY, total, TOTAL_TIMEOUT)
    except Exception:  # noqa: BLE001 - the cache is only a shortcut
        log.warning("The cache is down: the office's total was not kept")


def forget_total() -> None:
    """After staff dealt with something: the next page counts again."""
    try:
        cache.delete(TOTAL_CACHE_KEY)
    except Exception:  # noqa: BLE001 - the cache is only a shortcut
        log.warning("The cache is down: the office's total was not forgotten")


# --- The daily digest ----------------------------------------------------------------------

# The day of the last digest, as a date's ordinal in a Sequence row: sent once a day.
DIGEST_SEQUENCE = "staff-digest-day"


def staff_digest_send(*, today: datetime.date | None = None) -> int:
    """E-mail the inbox to every active staff member who asked for it: once a day, and only
    when something waits. Each in their own language, with links to the site. Returns how
    many e-mails were queued (0: nothing waits, nobody asked, or sent already today)."""
    from accounts.models import Sequence, User

    today = today or timezone.localdate()
    with transaction.atomic():
        Sequence.objects.get_or_create(name=DIGEST_SEQUENCE)
        # Locked: two runs at once (two servers' cron) send one digest.
        done = Sequence.objects.select_for_update().get(name=DIGEST_SEQUENCE)
        if done.last_value >= today.toordinal():
            return 0
        recipients = list(
            User.objects.filter(is_staff=True, is_active=True, staff_digest=True).order_by("pk")
        )
        if not recipients:
            return 0
        items = inbox_items()
        total = inbox_total(items)
        if not total:
            return 0
        waiting = [
            {"item": item, "link": absolute_url(item.url) if item.url else ""}
            for item in waiting_items(items)
        ]
        inbox_url = url_or_none("office:inbox")
        for recipient in recipients:
            with translation.override(recipient.language):
                subject = ngettext(
                    "%(count)s item waits in the staff inbox",
                    "%(count)s items wait in the staff inbox",
                    total,
                ) % {"count": total}
            send_templated(
                to=[recipient.email],
                subject=subject,
                template="membership/email/staff_digest.txt",
                context={
                    "recipient": recipient,
                    "items": waiting,
                    "total": total,
                    "today": today,
                    "inbox_link": absolute_url(inbox_url) if inbox_url else "",
                },
                language=recipient.language,
            )
        done.last_value = today.toordinal()
        done.save(update_fields=["last_value"])
    return len(recipients)
