"""System checks of the site's own settings, run by `manage.py check`, runserver and gunicorn.

With debug off a wrong public address is an error, not a warning: every QR code, calendar
file and e-mail link would point at it, and at the gate nothing would open. `config/wsgi.py`
runs the checks when a server starts, so gunicorn refuses to serve with such settings.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.http.request import validate_host

SITE_URL_HINT = (
    "Set PADDOCK_SITE_URL to the address members open, e.g. https://club.example.org: "
    "links in e-mails, calendar files and check-in QR codes are built from it."
)
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
PLACEHOLDER_DOMAINS = {"localhost", "example.com", "example.org", "example.net"}


# The whole value: a scheme, "://", and a host (with a port) that holds no log-in, path,
# query or fragment. Anything after the host makes every link built on it wrong.
SITE_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s]*/?")


def is_local_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not re.fullmatch(r"[0-9a-fx.]+", host):
            return False
        try:  # the short and numeric spellings a browser accepts: 127.1, 2130706433
            address = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified or address.is_link_local


def site_url_errors(url: str) -> list[Error]:
    """What is wrong with `url` as a production site's public address."""
    if not url:
        return [Error("PADDOCK_SITE_URL is not set.", hint=SITE_URL_HINT, id="paddock.E001")]
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a port that is not a number raises ValueError
    except ValueError:
        return [
            Error(f"PADDOCK_SITE_URL {url!r} is not a URL.", hint=SITE_URL_HINT, id="paddock.E004")
        ]
    errors = []
    if parts.scheme != "https":
        errors.append(
            Error(
                f"PADDOCK_SITE_URL {url!r} does not use https.",
                hint="Members' browsers and phones must reach the site over TLS. " + SITE_URL_HINT,
                id="paddock.E002",
            )
        )
    if not host or is_local_host(host):
        errors.append(
            Error(
                f"PADDOCK_SITE_URL {url!r} points at this machine, not at the club's site.",
                hint=SITE_URL_HINT,
                id="paddock.E003",
            )
        )
    if not SITE_ADDRESS.fullmatch(url):
        errors.append(
            Error(
                f"PADDOCK_SITE_URL {url!r} must be the site's address alone, with no path, "
                "query or log-in.",
                hint=SITE_URL_HINT,
                id="paddock.E004",
            )
        )
    return errors


@register(Tags.security)
def check_site_url(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = site_url_errors(settings.PADDOCK_SITE_URL)
    if errors:
        return errors
    host = urlsplit(settings.PADDOCK_SITE_URL).hostname or ""
    try:  # requests name an international domain in its ASCII form (xn--...)
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = host
    allowed = settings.ALLOWED_HOSTS
    if allowed and not (validate_host(host, allowed) or validate_host(ascii_host, allowed)):
        return [
            Warning(
                f"PADDOCK_SITE_URL's host {host!r} is not in DJANGO_ALLOWED_HOSTS.",
                hint="Every link the site sends would answer 400 Bad Request.",
                id="paddock.W002",
            )
        ]
    return []


@register(Tags.security)
def check_sender_address(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    domain = address.rpartition("@")[2].lower()
    if domain in PLACEHOLDER_DOMAINS or is_local_host(domain) or "." not in domain:
        return [
            Warning(
                f"The site sends its e-mails from {settings.DEFAULT_FROM_EMAIL!r}.",
                hint="Set DJANGO_DEFAULT_FROM_EMAIL to the club's address, e.g. "
                "'1M Register <register@club.example.org>': mail servers reject or bin "
                "mail from a placeholder sender.",
                id="paddock.W001",
            )
        ]
    return []
