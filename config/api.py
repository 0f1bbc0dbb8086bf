"""The public API: each app's router (`<app>/api.py`) gathered under /api/v1/.

Read-only JSON of public data, nothing personal. The schema is at /api/openapi.json, the
docs at /api/docs/ (Swagger UI from the site's own static files). The HTTP rules — 405 on
writes, ETags, CORS — are config/lib/api_http.py's middleware; the rate limit is its
`RateThrottle`, which django-ninja answers with a 429 and Retry-After.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Swagger
from ninja.errors import Throttled

from config.lib.api_http import RateThrottle
from register.api import router as register_router

api = NinjaAPI(
    title=gettext_lazy("Paddock register API"),
    version="1",
    description=gettext_lazy(
        "The register's public data as JSON: model lines, production figures with their "
        "sources, colours, cars as the public sees them, and the statistics. Read-only, "
        "no personal data. Answers carry an ETag (send If-None-Match for a 304) and are "
        "rate-limited per address (429 with Retry-After)."
    ),
    urls_namespace="api",
    openapi_url="openapi.json",
    docs_url="docs/",
    # validatorUrl None: Swagger UI would otherwise load a badge from another site.
    docs=Swagger(settings={"validatorUrl": None, "tryItOutEnabled": True}),
    throttle=[RateThrottle()],
)
api.add_router("v1/", register_router)


@api.exception_handler(Http404)
def not_found(request, exc):
    # The same answer for a missing record and one the public may not see.
    message = str(exc) if exc.args else _("Not found.")
    return api.create_response(request, {"detail": message}, status=404)


@api.exception_handler(Throttled)
def throttled(request, exc):
    return api.create_response(
        request,
        {
            "detail": _(
                "Too many requests. Please wait as long as Retry-After says, then try again."
            )
        },
        status=429,
    )
