"""The gate app: an installable web app that checks cars in at a meet with no signal.

Three responses make the app; the data comes from the check-in API (`/api/checkin/v1/`),
authenticated by a device token that the organiser's page hands over in the pairing link
`/meets/gate/#<slug>:<token>`. The fragment never reaches the server, so the shell itself
needs no login and shows nothing of any meet: whoever opens it without a pairing sees
"pair this device" and nothing else.

- `app`: the page (the app's shell). Revalidated on every load while online; offline the
  service worker answers with the copy it keeps.
- `manifest`: the web app manifest, so a phone can add the app to its home screen.
- `service_worker`: keeps the shell, its script, the QR decoder, Bootstrap and the icons,
  by their hashed static URLs (WhiteNoise's manifest storage renames files in production),
  and serves them offline. Its cache is named after a digest of what it keeps, so a new
  deployment replaces it. The API is never cached: the app keeps its own copy of a meet's
  list in IndexedDB and queues check-ins there.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_countries import countries
from django_permissions_policy.decorators import permissions_policy_override

# The files the app needs offline, besides its page and its manifest.
STATIC_FILES = (
    "gate/app.js",
    "gate/app.css",
    "vendor/jsqr/jsQR.js",
    "vendor/bootstrap/css/bootstrap.min.css",
    "gate/icon-192.png",
    "gate/icon-512.png",
    "img/favicon.svg",
)
# The app's own files: unhashed while debugging, so their content names the cache too.
OWN_FILES = ("gate/app.js", "gate/app.css")
THEME_COLOUR = "#0b3d91"


def _precache_urls() -> list[str]:
    return [
        reverse("meets:gate"),
        reverse("meets:gate_manifest"),
        *(static(name) for name in STATIC_FILES),
    ]


def _cache_version(urls: list[str]) -> str:
    digest = hashlib.sha256(json.dumps(urls).encode())
    for name in OWN_FILES:
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


@require_GET
# The camera scans QR codes here, and only here: the rest of the site refuses it.
@permissions_policy_override({**settings.PERMISSIONS_POLICY, "camera": ["self"]})
def app(request):
    response = render(
        request,
        "meets/gate/app.html",
        {
            # The check-in API's root (meets/gate_api.py), where the app adds "meet" etc.
            "api_root": reverse("gate_api:meet").removesuffix("meet"),
            "service_worker_url": reverse("meets:gate_service_worker"),
            "theme_colour": THEME_COLOUR,
            # For a check-in question asking for a country, named in the page's language.
            "countries": list(countries),
        },
    )
    # Always asked again while online (an update arrives at once); kept by no shared cache.
    response["Cache-Control"] = "no-cache, private"
    return response


@require_GET
def manifest(request):
    data = {
        "name": _("Paddock gate"),
        "short_name": _("Gate"),
        "description": _("Check cars in at a meet, with or without signal."),
        "id": reverse("meets:gate"),
        "start_url": reverse("meets:gate"),
        "scope": reverse("meets:gate"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {
                "src": static(f"gate/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request):
    urls = _precache_urls()
    body = render(
        request,
        "meets/gate/sw.js",
        {
            "precache": json.dumps(urls),
            "cache_name": json.dumps(f"paddock-gate-{_cache_version(urls)}"),
            "shell_url": json.dumps(reverse("meets:gate")),
        },
        content_type="application/javascript; charset=utf-8",
    )
    # A browser checks for a new worker on every visit; no cache may hold an old one.
    body["Cache-Control"] = "no-cache"
    body["Service-Worker-Allowed"] = reverse("meets:gate")
    return body
