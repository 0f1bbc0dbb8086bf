"""A crawler that finds every form of the site over HTTP, and a fuzzer that posts into them.

`Agent` is one role's browser: a `requests` session with that person's cookies, speaking to
a live server. `crawl()` follows the site's own links from a few start pages (bounded: a
few pages of each URL shape, no log-out, no downloads) and parses each `<form>` with the
standard library's HTML parser. `Fuzzer` then sends each form, in turn, a valid-looking
baseline and mutations of it — wrong types, boundaries, huge and odd Unicode text, fields
missing or sent twice, other members' ids, stale and forged tokens, junk files, tampered
ids in the action URL — and keeps every answer of 500 or more (and every connection error
or timeout) with the request that caused it. Nothing here knows the site's forms by name:
what it knows is what the pages say.

Used by tests/fuzz/test_crawl.py; `Fuzzer.report()` names every failing request.
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import logging
import random
import re
import secrets
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import requests

from tests.fuzz.strategies import (
    CONTROL,
    DATES,
    HTML_PAYLOADS,
    NUMBERS,
    SQL,
    UNICODE,
    image_bytes,
    png_claiming,
)

# One line per run, printed at the end of pytest's report (tests/fuzz/conftest.py).
SUMMARIES: list[str] = []

# --- Pages and forms --------------------------------------------------------------------------


@dataclass
class Field:
    """One named control of a form, as the page renders it."""

    name: str
    kind: str  # an <input>'s type, or "select", "textarea", "submit"
    value: str = ""
    options: list[str] = field(default_factory=list)  # a select's or radio group's values
    checked: bool = False  # a checkbox, or a radio button, that is on
    multiple: bool = False
    required: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Form:
    """A form as found on a page: where it goes, how, and its fields."""

    page: str  # the path of the page that showed it
    method: str
    action: str  # a path, with its query if any
    multipart: bool
    fields: list[Field] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        """Forms that differ only in the ids in their URL and values are one form."""
        names = tuple(sorted({f.name for f in self.fields}))
        return (self.method, shape(self.action), names)

    def describe(self) -> str:
        return f"{self.method} {self.action} (form on {self.page})"


class PageParser(html.parser.HTMLParser):
    """The links and forms of one page."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: dict | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            action = a.get("action") or self.page
            self._form = Form(
                page=self.page,
                method=(a.get("method") or "get").upper(),
                action=urljoin(self.page, action),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self._form)
        elif self._form is None or not a.get("name") and tag not in ("option",):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("reset", "button", "image"):
                return
            self._add(
                Field(
                    name=a["name"],
                    kind=kind,
                    value=a.get("value", "on" if kind in ("checkbox", "radio") else ""),
                    checked="checked" in a,
                    multiple="multiple" in a,
                    required="required" in a,
                    attrs=a,
                )
            )
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._add(Field(name=a["name"], kind="submit", value=a.get("value", ""), attrs=a))
        elif tag == "select":
            self._select = Field(
                name=a["name"], kind="select", multiple="multiple" in a, required="required" in a
            )
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea":
            self._textarea = Field(name=a["name"], kind="textarea", required="required" in a)
            self._form.fields.append(self._textarea)

    def _add(self, new: Field) -> None:
        """Radio buttons and submit buttons of one name are one field with options."""
        if new.kind in ("radio", "submit"):
            for old in self._form.fields:
                if old.name == new.name and old.kind == new.kind:
                    old.options.append(new.value)
                    if new.checked:
                        old.value, old.checked = new.value, True
                    return
            new.options.append(new.value)
        self._form.fields.append(new)

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag in ("option", "select") and self._option is not None:
            option, self._option = self._option, None
            value = option["value"] if option["value"] is not None else option["text"].strip()
            self._select.options.append(value)
            if option["selected"]:
                self._select.value, self._select.checked = value, True
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def shape(url: str) -> str:
    """A URL's path with its numbers as N: the pages of one view share a shape."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


# --- One role's browser -----------------------------------------------------------------------


@dataclass
class Failure:
    role: str
    method: str
    url: str
    status: int | str  # the status, or the error that stood in for an answer
    mutation: str
    detail: str = ""

    def __str__(self) -> str:
        return (
            f"{self.status} for {self.method} {self.url} as {self.role} "
            f"[{self.mutation}] {self.detail}"
        ).strip()


@dataclass
class Stats:
    requests: int = 0
    pages: int = 0
    retries: int = 0
    relogins: int = 0
    relogged: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)  # time spent per URL shape
    failures: list[Failure] = field(default_factory=list)


class Agent:
    """One role's browser over real HTTP: its session cookie and a CSRF cookie.

    Connections are kept alive between requests, as a browser keeps them: Django's test
    server answers each request on the connection it came on and says `Connection: close`
    when it will close it (an answer of unknown length), which `requests` obeys. A request
    that finds its connection closed all the same is sent once more on a new one (counted
    in `Stats.retries`); a second failure is a failure of the site.

    `login()` (None for the anonymous role) returns a fresh session id: the agent calls it
    again whenever the server has forgotten who it is (a password changed in the admin,
    say), so one fuzzed form cannot silence the rest of a role's run. The anonymous agent
    drops any session it is given, so it stays anonymous.
    """

    TIMEOUT = 60

    def __init__(
        self,
        role: str,
        base: str,
        stats: Stats,
        login: Callable[[], str] | None,
        *,
        session_cookie: str = "sessionid",
        csrf_cookie: str = "csrftoken",
    ):
        self.role = role
        self.base = base.rstrip("/")
        self.stats = stats
        self.login = login
        self.session_cookie = session_cookie
        self.csrf_cookie = csrf_cookie
        host = urlsplit(self.base).hostname or "localhost"
        # The domain http.cookiejar gives the server's cookies, so that ours are replaced.
        self.domain = host if "." in host else host + ".local"
        self.http = requests.Session()
        self.errors: ServerErrors | None = None  # set by the Fuzzer
        self.csrf = secrets.token_hex(16)  # a valid CSRF secret
        self._set_cookie(csrf_cookie, self.csrf)
        if login is not None:
            self._set_cookie(session_cookie, login())

    def _set_cookie(self, name: str, value: str) -> None:
        self.http.cookies.set(name, value, domain=self.domain, path="/")

    def request(self, method: str, path: str, *, mutation: str = "", **kwargs):
        """Send one request; a 5xx or a lost answer is recorded as a failure (None back)."""
        url = path if "://" in path else self.base + path
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", self.TIMEOUT)
        response = None
        started = time.monotonic()
        for attempt in (1, 2):
            try:
                response = self.http.request(method, url, **kwargs)
                break
            except requests.ConnectionError as exc:
                self.http.close()  # a new connection for the next try
                if attempt == 2:
                    self._fail(method, url, type(exc).__name__, mutation, str(exc)[:200])
                    return None
                self.stats.retries += 1
            except requests.RequestException as exc:  # a timeout above all
                self.http.close()
                self._fail(method, url, type(exc).__name__, mutation, str(exc)[:200])
                return None
        self.stats.requests += 1
        self.stats.statuses[response.status_code] += 1
        self.stats.seconds[f"{method} {shape(url)}"] += time.monotonic() - started
        if response.status_code >= 500:
            self._fail(method, url, response.status_code, mutation, _gist(response.text))
        self._keep_identity(response)
        return response

    def _fail(self, method, url, status, mutation, detail) -> None:
        if not isinstance(status, int):  # no answer came: count it here
            self.stats.requests += 1
            self.stats.statuses[status] += 1
        if self.errors is not None and self.errors.last:
            detail, self.errors.last = self.errors.last, ""
        self.stats.failures.append(Failure(self.role, method, url, status, mutation, detail))

    def _keep_identity(self, response) -> None:
        if self.login is None:
            for cookie in list(self.http.cookies):
                if cookie.name == self.session_cookie:
                    self.http.cookies.clear(cookie.domain, cookie.path, cookie.name)
            return
        location = response.headers.get("Location", "")
        lost = not any(c.name == self.session_cookie for c in self.http.cookies) or (
            response.status_code == 302 and "/accounts/login/" in location
        )
        if lost:
            self.stats.relogins += 1
            self.stats.relogged.append(f"{self.role} {response.request.method} {response.url}")
            self.http.cookies.clear()
            self._set_cookie(self.csrf_cookie, self.csrf)
            self._set_cookie(self.session_cookie, self.login())

    def close(self) -> None:
        self.http.close()


class ServerErrors(logging.Handler):
    """Keeps the last exception the site logged (django.request), to name it in a report.

    The live server runs in this process, so its log records reach this handler; the
    requests are sent one at a time, so the last one is the failed request's.
    """

    def __init__(self):
        super().__init__(logging.ERROR)
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = traceback.extract_tb(record.exc_info[2])
            ours = [f for f in frames if "site-packages" not in f.filename]
            where = ours[-1] if ours else frames[-1]
            place = f"{Path(where.filename).name}:{where.lineno}"
            self.last = f"{type(exc).__name__}: {str(exc)[:200]} (at {place})"

    @contextlib.contextmanager
    def watching(self):
        logger = logging.getLogger("django.request")
        logger.addHandler(self)
        try:
            yield self
        finally:
            logger.removeHandler(self)


def _gist(text: str) -> str:
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    return " ".join((title.group(1) if title else text[:120]).split())


# --- The crawl ----------------------------------------------------------------------------------

# Never followed: the way out, and what is no page.
SKIP = re.compile(
    r"/logout/|^/static/|^/media/|\.(csv|json|ics|svg|jpg|png|txt)$|/admin/jsi18n/"
    r"|/admin/.*/(delete|history)/$|^/admin/r/"
)


def crawl(
    agent: Agent, starts: Iterable[str], *, max_pages: int = 50, per_shape: int = 1
) -> tuple[list[Form], set[str]]:
    """Visit the role's pages: `starts`, then same-site links from them, breadth first.

    Every start page is visited; of the pages found by following links, at most
    `per_shape` of each URL shape (one car's page, not every car's) and `max_pages` pages
    in all. Returns the forms found, one per `Form.key`, and every path seen.
    """
    starts = list(dict.fromkeys(starts))
    queue = list(starts)
    seen: set[str] = set(queue)
    shapes: Counter = Counter(shape(path) for path in starts)
    forms: dict[tuple, Form] = {}
    pages = 0
    while queue and pages < max_pages:
        path = queue.pop(0)
        response = agent.request("GET", path, mutation="crawl")
        pages += 1
        agent.stats.pages += 1
        if response is None or "text/html" not in response.headers.get("Content-Type", ""):
            continue
        if response.status_code in (301, 302):
            links, found = [response.headers.get("Location", "")], []
        elif response.status_code == 200:
            parser = PageParser(path)
            parser.feed(response.text)
            links, found = parser.links, parser.forms
        else:
            continue
        for form in found:
            forms.setdefault(form.key, form)
        for href in links:
            target = _same_site(agent.base, path, href)
            if not target or target in seen or SKIP.search(urlsplit(target).path):
                continue
            seen.add(target)
            if shapes[shape(target)] < per_shape:
                shapes[shape(target)] += 1
                queue.append(target)
    return list(forms.values()), seen


def _same_site(base: str, page: str, href: str) -> str | None:
    href = href.split("#", 1)[0]
    if not href or href.startswith(("mailto:", "tel:", "javascript:", "data:")):
        return None
    absolute = urljoin(base + page, href)
    parts, home = urlsplit(absolute), urlsplit(base)
    if parts.scheme not in ("http", "https") or parts.netloc != home.netloc:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- The mutations ------------------------------------------------------------------------------

MISSING = object()
HUGE = ("A" * 100_000, "é" * 50_000, "🏎" * 25_000, "<b>x</b>" * 12_500, "a\n" * 50_000)
ODD = (
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\u200f\u200e\u2066\u2069",
    "👨‍👩‍👧‍👦🏎️💨",
    "e" + "\u0301" * 200,
    "ﬃ" * 20,
    "İ" * 20,
    "\ufeff\ufffe\uffff",
    "\U0010ffff",
    "\\ud800",
    "&#0;&#xD800;",
    "%00%ff",
    " ",
    "\t\r\n",
    *UNICODE,
    *CONTROL,
)
# Bytes no UTF-8 decoder accepts: a lone surrogate, an overlong slash, a stray byte.
BAD_BYTES = (b"\xed\xa0\x80", b"\xc0\xaf", b"\xff\xfe", b"abc\x80", b"\xf4\x90\x80\x80")
NUMBERISH = (*NUMBERS, "1e10000", "-9223372036854775809", "1_000", " 7 ", "+3", "0.000001")
DATEISH = (
    *DATES,
    "1970-01-01T00:00:00Z",
    "2024-02-29",
    "2023-02-29",
    "-2024-01-01",
    "2024-1-1",
    "tomorrow",
    "9" * 40,
    "2024-06-01T10:00+99:00",
)
MISC = (*HTML_PAYLOADS, *SQL, "true", "false", "null", "None", "[]", "{}", "on", "off")
FILE_NAMES = ("photo.jpg", "../../etc/passwd.jpg", "a" * 300 + ".jpg", "🏎.png", "x", "")


@functools.cache
def _junk() -> tuple[bytes, ...]:
    """The junk files' contents, made once."""
    jpeg = image_bytes()
    return (
        b"",
        b"this is text, not a picture\n",
        jpeg[: len(jpeg) // 2],  # a truncated JPEG
        jpeg[:40],
        png_claiming(100_000, 100_000),  # a decompression bomb's header
        png_claiming(0, 0),
        image_bytes("GIF"),
        image_bytes("BMP"),  # a picture, in a format the site refuses
        b"<?php echo 1; ?>",
        b"\xff\xd8\xff" + random.Random(0).randbytes(2000),  # a JPEG's magic, then noise
        b"\x00" * 600_000,  # huge-ish: past the in-memory upload limit, onto disk
        jpeg,
    )


@functools.cache
def _good_image() -> bytes:
    return image_bytes()


def _junk_file(rng: random.Random) -> tuple[str, bytes, str]:
    kind = rng.choice(["image/jpeg", "text/plain", "application/octet-stream", ""])
    return rng.choice(FILE_NAMES), rng.choice(_junk()), kind


def _sensible(f: Field) -> str | list[str]:
    """A value a person might enter in an empty field of this kind."""
    name = f.name.lower()
    if f.kind == "email" or "email" in name:
        return "fuzz@example.org"
    if f.kind == "number":
        low = f.attrs.get("min")
        return low if low and re.fullmatch(r"-?\d+", low) else "1"
    if f.kind == "date":
        return "2024-05-01"
    if f.kind == "datetime-local":
        return "2027-05-14T09:00"
    if f.kind == "time":
        return "09:30"
    if f.kind == "month":
        return "2011-06"
    if f.kind == "url":
        return "https://example.org/"
    if f.kind == "password":
        return "fuzz-password-123"
    if "vin" in name:
        return "WBSUR9C59BP000777"
    return "Fuzz"


def baseline(form: Form) -> dict[str, object]:
    """The form filled in as a careful person would: what the page shows, and the rest."""
    data: dict[str, object] = {}
    for f in form.fields:
        if f.kind == "file":
            continue
        if f.kind == "checkbox":
            if f.checked:
                data.setdefault(f.name, [])
                data[f.name].append(f.value)
        elif f.kind == "radio":
            data[f.name] = f.value if f.checked else f.options[0]
        elif f.kind == "submit":
            data.setdefault(f.name, f.options[0] if f.options else f.value)
        elif f.kind == "select":
            chosen = f.value if f.checked else next((o for o in f.options if o), "")
            data[f.name] = [chosen] if f.multiple and chosen else chosen
        elif f.value or f.kind == "hidden":
            data[f.name] = f.value
        else:
            data[f.name] = _sensible(f) if f.required or f.kind != "text" else "Fuzz"
    return data


@dataclass
class Pools:
    """What one role may put where another's belongs: ids and slugs seen anywhere."""

    ids: list[str] = field(default_factory=list)
    slugs: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # CSRF tokens of other pages and roles
    taken: list[str] = field(default_factory=list)  # one-time tokens a sent form used up

    def learn(self, forms: Iterable[Form], paths: Iterable[str]) -> None:
        ids, slugs = set(self.ids), set(self.slugs)
        for path in paths:
            ids.update(re.findall(r"/(\d+)/", path))
            slugs.update(re.findall(r"^/meets/([a-z0-9-]+)/", urlsplit(path).path))
        for form in forms:
            for f in form.fields:
                ids.update(o for o in f.options if o.isdigit())
                if f.name == "csrfmiddlewaretoken":
                    self.tokens.append(f.value)
        slugs -= {"mine", "new", "checkin", "calendar.ics", "rsvps"}
        self.ids, self.slugs = sorted(ids, key=int), sorted(slugs)


NONEXISTENT = ("0", "-1", "999999999", "9223372036854775807", "9223372036854775808", "1.0", "x")


class Mutator:
    """Spoils a baseline: one field, several, the whole body, or the URL."""

    def __init__(self, rng: random.Random, pools: Pools):
        self.rng = rng
        self.pools = pools

    def value_for(self, f: Field | None) -> tuple[str, object]:
        """A hostile value for field `f` (None: a field the form never had)."""
        rng = self.rng
        kinds = ["empty", "huge", "odd", "bytes", "number", "date", "misc", "id", "option"]
        weights = [3, 1, 4, 2, 3, 3, 2, 3, 2]
        if f is not None and f.kind in ("number", "select", "radio") or _looks_like_id(f):
            weights[kinds.index("number")] += 3
            weights[kinds.index("id")] += 4
            weights[kinds.index("option")] += 3
        if f is not None and f.kind in ("date", "datetime-local", "time", "month"):
            weights[kinds.index("date")] += 6
        kind = rng.choices(kinds, weights)[0]
        if kind == "empty":
            return "empty", rng.choice(["", " ", "\x00"])
        if kind == "huge":
            return "huge", rng.choice(HUGE)
        if kind == "odd":
            text = rng.choice(ODD)
            return "odd unicode", rng.choice([text, f"Fuzz{text}", text * 3])
        if kind == "bytes":
            return "invalid utf-8", rng.choice(BAD_BYTES)
        if kind == "number":
            return "number", rng.choice(NUMBERISH)
        if kind == "date":
            return "date", rng.choice(DATEISH)
        if kind == "misc":
            return "markup/sql", rng.choice(MISC)
        if kind == "id":
            pool = self.pools.ids or ["1"]
            return "foreign id", rng.choice([*pool, *pool, *NONEXISTENT])
        # A value that is no option of this field: another field's option, or made up.
        others = [o for o in (f.options if f else []) if o]
        made_up = rng.choice(["__none__", "-1", "ZZ", "x" * 300, "🏎"])
        return "not an option", rng.choice([made_up, made_up + (others[0] if others else "")])

    def mutate(self, form: Form, data: dict[str, object]) -> tuple[str, dict, dict, str]:
        """(action, data, files, description): one mutated request for `form`."""
        rng = self.rng
        data = dict(data)
        files = self.files(form) if form.multipart else {}
        action = form.action
        named = [f for f in form.fields if f.name not in ("csrfmiddlewaretoken",)]
        roll = rng.random()
        notes: list[str] = []
        if roll < 0.06:
            action, note = self.tamper_url(form.action)
            notes.append(note)
        elif roll < 0.13:
            notes.append(self.spoil_token(form, data))
        elif roll < 0.17:
            # Every field at once.
            for f in named:
                data[f.name] = self.value_for(f)[1]
            notes.append("every field hostile")
        elif roll < 0.20:
            data = {k: v for k, v in data.items() if k in ("csrfmiddlewaretoken", "form_once")}
            files = {}
            notes.append("no fields")
        elif roll < 0.23:
            name = rng.choice(["id", "pk", "owner", "member", "status", "is_staff", "__proto__"])
            data[name] = self.value_for(None)[1]
            notes.append(f"extra field {name}")
        else:
            count = rng.choice([1, 1, 1, 2, 3])
            for f in rng.sample(named, min(count, len(named))) if named else []:
                notes.append(self.spoil_field(f, data, files))
        return action, data, files, "; ".join(notes) or "baseline"

    def spoil_field(self, f: Field, data: dict, files: dict) -> str:
        rng = self.rng
        if f.kind == "file":
            choice = rng.random()
            if choice < 0.7:
                files[f.name] = _junk_file(rng)
                return f"{f.name}=junk file {files[f.name][0][:20]!r} ({len(files[f.name][1])} B)"
            files.pop(f.name, None)
            if choice < 0.85:
                data[f.name] = self.value_for(f)[1]
                return f"{f.name}=text where a file belongs"
            return f"{f.name} missing"
        how = rng.random()
        if how < 0.12:
            data.pop(f.name, None)
            return f"{f.name} missing"
        kind, value = self.value_for(f)
        if how < 0.25:
            old = data.get(f.name, "")
            old = old[0] if isinstance(old, list) and old else old
            data[f.name] = rng.choice([[old, value], [value, old], [value, value]])
            return f"{f.name} twice ({kind}): {_show(value)}"
        data[f.name] = value
        return f"{f.name}={kind}: {_show(value)}"

    def spoil_token(self, form: Form, data: dict) -> str:
        rng = self.rng
        choice = rng.randrange(6)
        if choice == 0:
            data.pop("csrfmiddlewaretoken", None)
            return "no CSRF token"
        if choice == 1:
            data["csrfmiddlewaretoken"] = rng.choice(["x", secrets.token_urlsafe(48), "\x00" * 64])
            return "forged CSRF token"
        if choice == 2 and self.pools.tokens:
            data["csrfmiddlewaretoken"] = rng.choice(self.pools.tokens)
            return "another page's or role's CSRF token"
        if choice == 3:
            data["form_once"] = rng.choice(["", "0" * 32, "g" * 32, "a" * 33, "🏎" * 32])
            return "forged one-time token"
        if choice == 4:
            data["form_once"] = [secrets.token_hex(16), secrets.token_hex(16)]
            return "one-time token twice"
        data["form_once"] = rng.choice(self.pools.taken or ["0" * 32])
        return "stale one-time token (already used)"

    def tamper_url(self, action: str) -> tuple[str, str]:
        rng = self.rng
        parts = urlsplit(action)
        path = parts.path
        numbers = list(re.finditer(r"/(\d+)/", path))
        if numbers and rng.random() < 0.7:
            m = rng.choice(numbers)
            other = rng.choice([*(self.pools.ids or ["1"]), *NONEXISTENT[:4]])
            path = path[: m.start(1)] + other + path[m.end(1) :]
            note = f"id {m.group(1)} in the URL made {other}"
        elif path.startswith("/meets/") and path.count("/") > 3 and self.pools.slugs:
            slug = rng.choice([*self.pools.slugs, "no-such-meet"])
            path = re.sub(r"^/meets/[^/]+/", f"/meets/{slug}/", path)
            note = f"meet in the URL made {slug}"
        else:
            query = rng.choice(
                ["next=//evil.example/", "page=-1", "page=99999999999", "q=%00", "x=%ff"]
            )
            return f"{path}?{query}", f"query {query}"
        return path + (f"?{parts.query}" if parts.query else ""), note

    def files(self, form: Form) -> dict:
        """A valid small picture for every file input (a mutation may spoil it)."""
        return {
            f.name: ("car.jpg", _good_image(), "image/jpeg")
            for f in form.fields
            if f.kind == "file"
        }


def _looks_like_id(f: Field | None) -> bool:
    return f is not None and (f.value.isdigit() or f.name in ("car", "member", "id", "pk"))


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}… ({len(value)} long)"


# --- The run ----------------------------------------------------------------------------------


class Fuzzer:
    """Sends `budget` requests to the forms, in turn, each time a new mutation."""

    def __init__(self, agents: dict[str, Agent], rng: random.Random, stats: Stats):
        self.agents = agents
        self.rng = rng
        self.stats = stats
        self.pools = Pools()
        self.mutator = Mutator(rng, self.pools)
        self.targets: list[tuple[str, Form]] = []
        self.errors = ServerErrors()
        for agent in agents.values():
            agent.errors = self.errors

    def discover(self, starts: dict[str, list[str]], pages: dict[str, int] | None = None) -> None:
        """Crawl as each role from its start pages (at most `pages[role]` pages)."""
        with self.errors.watching():
            for role, agent in self.agents.items():
                limit = (pages or {}).get(role, 50)
                forms, paths = crawl(agent, starts[role], max_pages=limit)
                self.pools.learn(forms, paths)
                self.targets += [(role, form) for form in forms]

    def run(
        self, budget: int, *, seconds: float, between: Callable[[int], None] | None = None
    ) -> int:
        """Send up to `budget` requests (stopping after `seconds`); how many were sent."""
        targets = list(self.targets)
        self.rng.shuffle(targets)
        baselines = {id(form): baseline(form) for _, form in targets}
        deadline = time.monotonic() + seconds
        sent = 0
        with self.errors.watching():
            while sent < budget and time.monotonic() < deadline and targets:
                role, form = targets[sent % len(targets)]
                if between is not None:
                    between(sent)
                # The first round sends each form its baseline, later rounds mutations.
                self.send(role, form, baselines[id(form)], mutate=sent >= len(targets))
                sent += 1
        return sent

    def send(self, role: str, form: Form, data: dict, *, mutate: bool) -> None:
        agent = self.agents[role]
        if mutate:
            action, data, files, note = self.mutator.mutate(form, data)
        else:
            action, files, note = form.action, self.mutator.files(form), "baseline"
            data = {**data}
        if "form_once" in data and "one-time" not in note:
            data["form_once"] = secrets.token_hex(16)  # each send is a new rendering
        if form.method == "GET":
            query = [(k, v) for k, v in _pairs(data)]
            url = urlsplit(action)
            pairs = parse_qsl(url.query, keep_blank_values=True) + query
            agent.request("GET", f"{url.path}?{urlencode(pairs)}", mutation=note)
            return
        response = agent.request(
            "POST",
            action,
            data=_pairs(data),
            files=list(files.items()) or None,
            mutation=note,
            headers={"Referer": agent.base + form.page},
        )
        token = data.get("form_once")
        if response is not None and response.status_code == 302 and isinstance(token, str):
            self.pools.taken.append(token)

    def report(self) -> str:
        """Every failed request, one a line."""
        return "\n".join(str(f) for f in self.stats.failures)

    def details(self) -> list[str]:
        """The failures, where the time went, the lost log-ins, and every form found."""
        stats = self.stats
        return [
            f"Failures ({len(stats.failures)}):",
            *(f"  {f}" for f in stats.failures),
            "Slowest pages (seconds in all):",
            *(f"  {t:6.1f}  {what}" for what, t in stats.seconds.most_common(15)),
            f"Logged in again ({stats.relogins}) after:",
            *(f"  {what}" for what in stats.relogged),
            f"Forms ({len(self.targets)}):",
            *(
                f"  {role:9} {form.method:4} {form.action}  "
                + " ".join(f"{f.name}:{f.kind}" for f in form.fields)
                for role, form in self.targets
            ),
        ]


def _pairs(data: dict) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = []
    for name, value in data.items():
        if value is MISSING:
            continue
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, one))
    return pairs
