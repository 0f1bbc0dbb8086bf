"""Each page's cost with the page cache off, in this process: a tool for making pages fast.

    DATABASE_URL=postgres://… python bench/cold.py [--repeat 7] [PAGE …]

Serves every page the benchmark loads (and the others of issues 8–16) through Django's
test client under production settings with PADDOCK_PAGE_CACHE=0, anonymous and as a bench
member, and prints the median milliseconds, the queries and the size of the HTML, beside
the bare page's. `make bench` measures the same pages under real load; this shows where
the time goes between two runs of it, in seconds rather than half an hour.
"""

# ruff: noqa: E402, T201 - Django is set up first; a command-line tool prints.
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for name, value in {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_SECRET_KEY": "bench-cold-not-secret-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECURE_COOKIES": "0",
    "DJANGO_HSTS_SECONDS": "0",
    "PADDOCK_SITE_URL": "https://bench.paddock.example",
    "PADDOCK_QUERY_COUNT_HEADER": "1",
    "DJANGO_LOG_LEVEL": "ERROR",
}.items():
    os.environ.setdefault(name, value)
os.environ["PADDOCK_PAGE_CACHE"] = os.environ.get("PADDOCK_PAGE_CACHE", "0")

import django

django.setup()

from django.test import Client

from accounts.models import User

CPU = False


def pages() -> dict[str, str]:
    """Page name → URL, the benchmark's pages first (bench/fixtures.py picks the same)."""
    from bench.fixtures import bench_pages

    return bench_pages()


def measure(client: Client, url: str, repeat: int) -> tuple[float, int, int, int]:
    times, queries, size, status = [], 0, 0, 0
    # --cpu: this process's CPU time, not the clock's: steadier on a busy machine, but
    # blind to the time the database server spends.
    clock = time.process_time if CPU else time.perf_counter
    for _ in range(repeat):
        started = clock()
        response = client.get(url)
        times.append((clock() - started) * 1000)
        status = response.status_code
        queries = int(response.get("X-Query-Count", -1))
        size = len(response.content)
    return statistics.median(times), queries, size, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="only these pages (names as printed)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cpu", action="store_true", help="CPU time of this process")
    args = parser.parse_args()
    global CPU
    CPU = args.cpu
    from bench.fixtures import GATE_PAGE, _gate_token
    from meets.management.commands.seed_large import BENCH_EMAIL

    anonymous = Client(HTTP_HOST="127.0.0.1")
    member = Client(HTTP_HOST="127.0.0.1")
    member.force_login(User.objects.get(email=BENCH_EMAIL.format(0)))
    found = pages()
    base = {}
    print(f"{'page':<22} {'who':<6} {'ms':>8} {'× bare':>7} {'queries':>7} {'KB':>7}  url")
    if not args.pages or GATE_PAGE in args.pages:
        # The check-in app's download: a device's token, not a session (bench/fixtures.py).
        device = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Device {_gate_token()}")
        found[GATE_PAGE] = "/api/checkin/v1/meet"
    for name, url in found.items():
        if args.pages and name not in args.pages and name != "baseline":
            continue
        viewers = (("anon", anonymous), ("member", member))
        if name == GATE_PAGE:
            viewers = (("anon", device),)
        for who, client in viewers:
            ms, queries, size, status = measure(client, url, args.repeat)
            if name == "baseline":
                base[who] = ms
            flag = "" if status == 200 else f"  HTTP {status}"
            print(
                f"{name:<22} {who:<6} {ms:8.1f} {ms / base[who]:7.1f} {queries:7d} "
                f"{size / 1024:7.1f}  {url}{flag}",
                flush=True,
            )


if __name__ == "__main__":
    main()
