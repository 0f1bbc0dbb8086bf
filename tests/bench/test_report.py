"""make bench's verdicts (bench/run.py): pure functions of what was measured."""

import pytest

from bench import run


def summary(p50=5.0, p99=10.0, kb=20.0, failures=0, requests=100, span=1.0):
    return {
        "p50": p50,
        "p99": p99,
        "kb": kb,
        "failures": failures,
        "requests": requests,
        "span": span,
        "rps": requests / span,
    }


BASE = summary(p50=2.5, p99=5.0)
CACHE_ON = run.PASSES["cache-on"][1]
CACHE_OFF = run.PASSES["cache-off"][1]


def test_the_targets_are_the_issues():
    assert run.PASSES["cache-on"][1] == (2.0, 5.0)
    assert run.PASSES["mixed"][1] == (2.0, 5.0)
    assert run.PASSES["cache-off"][1] == (10.0, 20.0)
    assert run.WORKERS == 2 or "BENCH_WORKERS" in __import__("os").environ


def test_a_page_within_its_targets_passes():
    assert run.page_misses("car", summary(p50=5.0, p99=25.0), BASE, CACHE_ON) == []
    assert run.verdict([]) == "PASS"


@pytest.mark.parametrize(
    ("page", "s", "limits", "expected"),
    [
        ("car", summary(p50=5.1), CACHE_ON, "p50 2.0× > 2×"),
        ("car", summary(p99=25.5), CACHE_ON, "p99 5.1× > 5×"),
        ("car", summary(p50=26.0), CACHE_OFF, "p50 10.4× > 10×"),
        ("car", summary(p99=101.0), CACHE_OFF, "p99 20.2× > 20×"),
        ("meet-80", summary(kb=151), CACHE_ON, "151 KB > 150 KB"),
        ("stats", summary(kb=101), CACHE_ON, "101 KB > 100 KB"),
        ("home", summary(failures=3), CACHE_ON, "3 of 100 failed"),
        ("home", summary(requests=0, p50=float("nan"), p99=float("nan")), CACHE_ON, "no request"),
    ],
)
def test_a_page_that_misses_a_target_fails_and_says_which(page, s, limits, expected):
    misses = run.page_misses(page, s, BASE, limits)

    assert any(expected in miss for miss in misses), misses
    assert run.verdict(misses).startswith("FAIL: ")


def test_sizes_are_checked_for_html_pages_only():
    big = summary(kb=400)
    for page in ("api-statistics", "gate-download", "static"):
        assert run.page_misses(page, big, BASE, CACHE_ON) == []
    assert run.kb_limit("register") == 150 and run.kb_limit("stats") == 100


def test_queries_that_grow_with_the_data_fail():
    assert run.page_misses("car", summary(), BASE, CACHE_OFF, grows=True) == [
        "queries grow with the data"
    ]


def burst(going=100, burst_going=100, waitlisted=400, one=500, requests=500, span=2.0, **kw):
    return {
        "capacity": 100,
        "going_before": 0,
        "going": going,
        "waitlisted": waitlisted,
        "burst_members": 500,
        "burst_going": burst_going,
        "burst_waitlisted": waitlisted,
        "burst_members_with_one_rsvp": one,
        "summary": summary(requests=requests, span=span, **kw),
    }


def test_a_burst_passes_when_exact_and_fast_enough():
    checks = [burst(span=2.0), burst(span=2.5)]

    assert run.burst_rate(checks) == pytest.approx(1000 / 4.5)
    assert run.burst_misses(checks, 200) == []


def test_a_burst_fails_when_slow_or_not_exact():
    assert run.burst_misses([burst(span=5.0)], 200) == ["100 RSVPs/s < 200/s"]
    assert run.burst_misses([burst(going=101, burst_going=101, waitlisted=399)], None) == [
        "capacity exact in 0 of 1 bursts"
    ]
    assert run.burst_misses([burst(one=499)], None) == ["capacity exact in 0 of 1 bursts"]
    assert run.burst_misses([], 200) == ["no burst ran"]


def test_seed_large_has_45_seconds_on_postgresql():
    assert run.seed_misses("postgresql", 44.9) == []
    assert run.seed_misses("postgresql", 45.0) == ["45.0 s ≥ 45 s"]
    assert run.seed_misses("sqlite", 80.0) == []  # reported, not judged


def test_the_report_gives_every_pass_its_verdict_and_the_load_average():
    pages = {
        name: [
            {
                "name": name,
                "kind": "anonymous",
                "ms": ms,
                "queries": 1,
                "ok": True,
                "status": 200,
                "end": 1.0 + i / 100,
                "bytes": 2048,
            }
            for i in range(50)
        ]
        for name, ms in (("baseline", 2.0), ("car", 3.0), ("stats", 30.0))
    }
    measured = {
        "load_start": 1.5,
        "load_end": 2.5,
        "pages": pages,
        "writes": {
            "car": [
                {"kind": "mileage", "at": 1.0, "ms": 5.0},
                {"kind": "car", "at": 2.0, "ms": 9.0},
            ]
        },
    }
    b = burst()
    result = {
        "db": "postgresql",
        "db_label": "PostgreSQL",
        "seed_seconds": 40.0,
        "probe_small": {"cars": 2000, "counts": {}},
        "probe_large": {"cars": 100000, "counts": {}},
        "passes": {"cache-on": measured, "mixed": measured, "cache-off": measured},
        "burst": ([], [burst()]),
        "burst_500": ([], [b]),
        "burst_load": (3.0, 4.0),
    }

    text = run.report([result], 600.0, (1.0, 2.0))

    assert "at the start 1.0, at the end 2.0" in text
    assert "`seed_large`: 40.0 s (PASS)" in text
    assert "### Cache on: FAIL (1 rows)" in text  # statistics at 15× the baseline
    assert "### Cache off (PADDOCK_PAGE_CACHE=0): FAIL (1 rows)" in text
    assert "2 writes in all" in text and "2 (1 mileage, 1 car)" in text
    assert "250 RSVPs/s (target ≥ 200/s)" in text


def test_each_page_is_given_the_writes_made_while_it_was_loaded():
    writes = [{"kind": k, "at": at, "ms": 5.0} for k, at in (("mileage", 1.5), ("car", 2.5))]
    writes.append({"kind": "rsvp", "at": 9.0, "ms": 5.0})  # between two pages: nobody's

    found = run.writes_per_page(writes, {"home": (1.0, 2.0), "car": (2.0, 3.0), "x": (4, 5)})

    assert [w["kind"] for w in found["home"]] == ["mileage"]
    assert [w["kind"] for w in found["car"]] == ["car"]
    assert found["x"] == []
