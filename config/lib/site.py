"""The site's public address, for every absolute link: e-mails, calendar files, QR codes.

Links that leave the site (an e-mail, a `.ics` file, a QR code printed on a phone) cannot use
the request's host: there may be no request (a task worker, cron), or the request came in
through a proxy on another name. They are built from `PADDOCK_SITE_URL` alone. Imports no app.
"""

from urllib.parse import urlsplit

from django.conf import settings


def site_url() -> str:
    """`PADDOCK_SITE_URL` without a trailing slash, e.g. `https://club.example.org`."""
    return settings.PADDOCK_SITE_URL.rstrip("/")


def site_domain() -> str:
    """The host (and port, if any) of the site's address: `club.example.org`."""
    return urlsplit(site_url()).netloc


def absolute_url(location: str) -> str:
    """`location` (a path, or a URL whose host is dropped) on the site's public address."""
    parts = urlsplit(location)
    path = parts.path if parts.path.startswith("/") else f"/{parts.path}"
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{site_url()}{path}{query}{fragment}"
