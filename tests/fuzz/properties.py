"""The three properties every fuzzed request must keep, and the snapshot they compare.

1. No server error: the answer is one of ALLOWED_STATUSES. The test client re-raises a
   view's exception, so a would-be 500 fails the test with its traceback.
2. No partial save: a form sent back with errors (a 200 to a POST) leaves the database as
   it was: the same number of rows in every watched table, every watched row unchanged.
3. No unescaped output: markup we sent never comes back as markup, neither on the page
   that answers nor on the page it redirects to.
"""

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.test import Client
from django.urls import reverse
from hypothesis import event
from hypothesis.strategies import SearchStrategy

from tests.fuzz.strategies import HTML_PAYLOADS, Ref

ALLOWED_STATUSES = {200, 302, 400, 403, 404, 405}


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint that is rolled back: every example starts clean.

    The `db` fixture rolls back once per test, and Hypothesis runs many examples per test.
    """
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def client_for(user) -> Client:
    """A client logged in as `user` in this example's savepoint (None: anonymous)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- Snapshots ------------------------------------------------------------------------------


def _value(obj: models.Model, f: models.Field):
    value = f.value_from_object(obj)
    return value.name if isinstance(value, FieldFile) else value


def row_state(obj: models.Model) -> dict:
    """Every column of the row as the database holds it now, and its many-to-many links."""
    fresh = type(obj)._base_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return {"deleted": True}
    opts = fresh._meta
    state = {f.attname: _value(fresh, f) for f in opts.concrete_fields}
    for m2m in opts.many_to_many:
        state[m2m.name] = sorted(getattr(fresh, m2m.name).values_list("pk", flat=True))
    return state


@dataclass
class Watch:
    """What one form may change: tables whose row counts matter, rows that must not move."""

    tables: Iterable[type[models.Model]] = ()
    rows: Iterable[models.Model] = ()
    # Checked after every example, success or not: the rules of the data (e.g. "a car
    # has one current owner") that a half-done write would break.
    invariants: Iterable[Callable[[], None]] = field(default_factory=list)

    def snapshot(self) -> dict:
        return {
            "counts": {m._meta.label: m._base_manager.count() for m in self.tables},
            "rows": {f"{r._meta.label}:{r.pk}": row_state(r) for r in self.rows},
        }

    def check_invariants(self) -> None:
        for invariant in self.invariants:
            invariant()


def assert_unchanged(before: dict, after: dict) -> None:
    assert after["counts"] == before["counts"], "a refused form changed the row counts"
    for key, state in before["rows"].items():
        changed = {
            name: (value, after["rows"][key].get(name))
            for name, value in state.items()
            if after["rows"][key].get(name) != value
        }
        assert not changed, f"a refused form changed {key}: {changed}"


# --- Escaping -----------------------------------------------------------------------------


def _strings(data: dict) -> Iterator[str]:
    for value in data.values():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str):
                yield item
            elif isinstance(item, SimpleUploadedFile):
                item.seek(0)
                yield item.read().decode("utf-8", "replace")
                item.seek(0)
                yield item.name


def dangerous(data: dict) -> set[str]:
    """The markup in the values we sent: what must never come back raw."""
    found = set()
    for text in _strings(data):
        found.update(p for p in HTML_PAYLOADS if p in text)
        lowered = text.lower()
        if ("<script" in lowered or "onerror=" in lowered) and len(text) < 20_000:
            found.add(text)
    return found


def assert_escaped(response, payloads: set[str]) -> None:
    if not payloads or "html" not in response.get("Content-Type", ""):
        return
    content = response.content.decode("utf-8", "replace")
    raw = [p for p in payloads if p in content]
    assert not raw, f"unescaped markup in {response.request['PATH_INFO']}: {raw[:3]}"


# --- One request ----------------------------------------------------------------------------


@dataclass
class Outcome:
    response: object
    followed: object | None
    before: dict
    after: dict


def send(
    client: Client,
    method: str,
    url: str,
    data: dict,
    *,
    watch: Watch | None = None,
    refused: Callable[[object], bool] | None = None,
    logged_in: bool = True,
    also_check: Iterable[str] = (),
    expect: int | None = None,
) -> Outcome:
    """Send `data`, then check the three properties; returns what happened.

    `refused(response)` says whether the answer means "nothing was saved"; by default a
    200 to a POST (every view here redirects after a successful write). `expect` is the
    status a valid example must get, so that the success path is known to be tested.
    """
    unresolved = [k for k, v in data.items() if isinstance(v, SearchStrategy | Ref)]
    assert not unresolved, f"an explicit example sends a strategy or a Ref: {unresolved}"
    watch = watch or Watch()
    before = watch.snapshot()
    response = getattr(client, method)(url, data)
    assert response.status_code in ALLOWED_STATUSES, response.status_code
    if expect is not None:
        assert response.status_code == expect, _errors(response)
    event(f"{method.upper()} answered {response.status_code}")
    location = response.get("Location", "") if response.status_code == 302 else ""
    if logged_in:
        # Sent to log in means the example tested the login page, not this form.
        assert not location.startswith(reverse("account_login")), location
    payloads = dangerous(data)
    assert_escaped(response, payloads)

    after = watch.snapshot()
    if refused is None:
        refused = lambda r: method == "post" and r.status_code == 200  # noqa: E731
    if refused(response):
        assert_unchanged(before, after)
    watch.check_invariants()

    followed = None
    if location and not urlsplit(location).netloc:
        followed = client.get(location)
        assert followed.status_code in ALLOWED_STATUSES, followed.status_code
        assert_escaped(followed, payloads)
    for page in also_check:
        shown = client.get(page)
        assert shown.status_code in ALLOWED_STATUSES, (page, shown.status_code)
        assert_escaped(shown, payloads)
    return Outcome(response=response, followed=followed, before=before, after=after)


def _errors(response) -> str:
    """What went wrong with a form the page sent back, for an assertion's message."""
    for context in response.context or []:
        for value in context.flatten().values() if hasattr(context, "flatten") else []:
            errors = getattr(value, "errors", None)
            if errors and hasattr(value, "is_bound"):
                return f"{response.status_code}: {errors.as_data()}"
    return f"{response.status_code}: {response.content[:500]!r}"
