"""The public API's HTTP rules: read-only, cacheable, open to other sites, rate-limited.

Imports no app. `PublicApiMiddleware` wraps every answer under the API's root (schema and
docs included): anything but GET, HEAD or OPTIONS is a 405 in JSON; each 200 carries a weak
ETag of its body and a short public Cache-Control, and a matching If-None-Match is a 304;
any origin may read it (the data is public, and no cookie is ever needed). `RateThrottle`
counts requests per client address for django-ninja (config/api.py), which answers 429
with Retry-After.
"""

import hashlib
import time

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from ninja.throttling import BaseThrottle

READ_METHODS = ("GET", "HEAD", "OPTIONS")
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """ "60/m" → (60, 60): requests and period in seconds; None for no limit."""
    if not rate:
        return None
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[:1].lower()]


class RateThrottle(BaseThrottle):
    """A fixed window per client address, counted in the shared cache.

    `cache.add` then `cache.incr`: atomic on Redis and on the in-memory cache, so requests
    arriving at once cannot slip past the limit together. (Django's file cache reads and
    writes its counter separately: without Redis a burst may get a few requests more.)
    The client's address is allauth's (PADDOCK_TRUSTED_PROXY_COUNT), as for the log-in limits.
    """

    def allow_request(self, request) -> bool:
        rate = parse_rate(settings.PADDOCK_API_RATE_LIMIT)
        if rate is None:
            return True
        limit, period = rate
        try:
            ident = get_adapter().get_client_ip(request)
        except PermissionDenied:
            ident = "unknown"
        window = int(time.time() // period)
        key = f"api-rate:{period}:{window}:{ident}"
        cache.add(key, 0, period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the window's counter expired between add and incr
            cache.add(key, 1, period + 1)
            count = 1
        return count <= limit

    def wait(self) -> float:
        rate = parse_rate(settings.PADDOCK_API_RATE_LIMIT)
        period = rate[1] if rate else 1
        return max(period - time.time() % period, 1.0)


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
    return response


# APIs mounted under the public API's root that are not public (named by their root's URL
# name): they answer writes, need a token, and no other site may read them. The middleware
# leaves them alone; each sets its own rules (meets/gate_api.py: the check-in app's).
PRIVATE_API_ROOTS = ("gate_api:api-root",)


class PublicApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._root = None
        self._private = None

    def private_roots(self) -> tuple[str, ...]:
        if self._private is None:
            roots = []
            for name in PRIVATE_API_ROOTS:
                try:
                    roots.append(reverse(name))
                except NoReverseMatch:
                    continue
            self._private = tuple(roots)
        return self._private

    def root(self) -> str | None:
        """Where the API lives; None where the URLconf has no API (a site without it)."""
        if self._root is None:
            try:
                self._root = reverse("api:api-root")
            except NoReverseMatch:
                return None
        return self._root

    def __call__(self, request):
        root = self.root()
        if root is None or not request.path_info.startswith(root):
            return self.get_response(request)
        if request.path_info.startswith(self.private_roots()):
            return self.get_response(request)
        if request.method not in READ_METHODS:
            response = JsonResponse(
                {"detail": _("The API is read-only: it answers GET requests only.")}, status=405
            )
            response["Allow"] = ", ".join(READ_METHODS)
            return _cors(response)
        if request.method == "OPTIONS":
            # A browser asks first before a cross-site request with If-None-Match.
            response = HttpResponse(status=204)
            response["Allow"] = ", ".join(READ_METHODS)
            response["Access-Control-Allow-Methods"] = ", ".join(READ_METHODS)
            response["Access-Control-Allow-Headers"] = "If-None-Match"
            response["Access-Control-Max-Age"] = "86400"
            return _cors(response)
        head = request.method == "HEAD"
        if head:
            request.method = "GET"  # the same answer without its body
        response = self.get_response(request)
        if response.status_code == 200 and not response.streaming:
            digest = hashlib.sha256(response.content).hexdigest()[:32]
            response["ETag"] = f'W/"{digest}"'
            response["Cache-Control"] = f"public, max-age={settings.PADDOCK_API_MAX_AGE}"
            response = get_conditional_response(request, etag=response["ETag"], response=response)
        elif response.status_code >= 400:
            response["Cache-Control"] = "no-store"
        if head and not response.streaming:
            response.content = b""
        return _cors(response)
