"""Two runs of extend_series at once make each date once. Real threads on committed data:

.venv/bin/pytest -q tests/meets/test_series_concurrency.py
tests/with_postgres.sh .venv/bin/pytest -q tests/meets/test_series_concurrency.py
"""

import datetime
from collections import Counter

import pytest
from django.utils import timezone

from meets.models import Meet, MeetSeries
from meets.series import series_extend
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_four_runs_at_once_make_each_date_once():
    series = MeetSeries.objects.create(
        title="Cars & Coffee",
        slug="cars-coffee",
        rule="FREQ=WEEKLY;COUNT=24;BYDAY=SU",
        first_date=timezone.localdate() + datetime.timedelta(days=1),
        start_time=datetime.time(10),
        duration=datetime.timedelta(hours=2),
        venue_name="Café",
        capacity=10,
    )

    results, errors = run_together([lambda: len(series_extend(series=series)) for _ in range(4)])

    assert errors == []
    made = Meet.objects.filter(series=series)
    assert sum(results) == made.count() > 20
    assert max(Counter(made.values_list("occurrence", flat=True)).values()) == 1
