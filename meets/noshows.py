"""No-shows: members who said they were going to a meet and never checked in.

Only a meet that had check-in in use counts: one that is over, published (not cancelled)
and where at least one car was checked in. At a meet where nobody used check-in, nobody
is a no-show.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from meets.models import RSVP, Meet

WINDOWS = (12, 24)  # months looked back, the choices on the page


def meets_with_checkin(*, since: datetime.datetime, now=None) -> QuerySet[Meet]:
    """Meets over since `since` where check-in was in use (somebody was checked in)."""
    now = now or timezone.now()
    checked_in = RSVP.objects.filter(meet=OuterRef("pk"), checked_in_at__isnull=False)
    return Meet.objects.filter(
        status=Meet.Status.PUBLISHED, starts_at__gte=since, ends_at__lt=now
    ).filter(Exists(checked_in))


def no_show_rsvps(meets: QuerySet[Meet]) -> QuerySet[RSVP]:
    """RSVPs going to `meets` that never checked in (of members still known)."""
    return RSVP.objects.filter(
        meet__in=meets,
        status=RSVP.Status.GOING,
        checked_in_at__isnull=True,
        member__isnull=False,
    )


def since_months(months: int, now=None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=round(months * 365.25 / 12))


@dataclass
class Record:
    member: object
    meets: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.meets)


def no_show_records(meets: QuerySet[Meet]) -> list[Record]:
    """Each member with a no-show among `meets`, with those meets: one query."""
    records: dict[int, Record] = {}
    rsvps = no_show_rsvps(meets).select_related("member", "meet").order_by("-meet__starts_at", "id")
    for rsvp in rsvps:
        record = records.setdefault(rsvp.member_id, Record(member=rsvp.member))
        record.meets.append(rsvp.meet)
    return list(records.values())
