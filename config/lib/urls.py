"""Where a form or a link may send a visitor next: a path on this site, or the page's default.

A `next` (or any other redirect target) comes from the visitor, so it is checked before a
redirect follows it. Only a local path passes: it starts with one "/" (not "//" or "/\\",
which browsers read as another host), has no scheme and no host, and no control character
or white space, not even percent-encoded (`/%0d%0a...`). Everything else — a bare word,
which `redirect()` would look up as a URL *name*; another site; `javascript:` — falls back
to the page's default. The caller redirects with `HttpResponseRedirect`, never with
`redirect(name)`. Imports no app.
"""

import unicodedata
from urllib.parse import unquote

from django.utils.http import url_has_allowed_host_and_scheme

# Django refuses longer URLs in url_has_allowed_host_and_scheme too; no page of ours needs one.
MAX_LENGTH = 2048


def is_local_path(candidate: object) -> bool:
    """Whether `candidate` is a path on this site that is safe to redirect to."""
    if not isinstance(candidate, str) or not 0 < len(candidate) <= MAX_LENGTH:
        return False
    decoded = unquote(candidate)
    for text in (candidate, decoded):
        if not text.startswith("/") or text.startswith(("//", "/\\")):
            return False
    if any(char.isspace() or _is_control(char) for char in candidate):
        return False
    if any(_is_control(char) for char in decoded):
        return False
    # No host is allowed at all: a local path has none.
    return url_has_allowed_host_and_scheme(candidate, allowed_hosts=None)


def safe_next(candidate: str | None, *, default: str) -> str:
    """`candidate` if it is a local path (see `is_local_path`), else `default`."""
    return candidate if is_local_path(candidate) else default


def _is_control(char: str) -> bool:
    # Control, format (e.g. right-to-left marks), unassigned, private and surrogates.
    return unicodedata.category(char).startswith("C")
