from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts import views as accounts_views
from config import views
from config.api import api
from meets.gate_api import api as gate_api

# Lazy: the admin shows them in each request's language.
admin.site.site_header = format_lazy(_("{club_name} — staff"), club_name=settings.PADDOCK_CLUB_NAME)
admin.site.site_title = _("Paddock admin")
admin.site.index_title = _("Club records")

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    # allauth's page for a confirmation link, knowing a link that was already used.
    re_path(
        r"^accounts/confirm-email/(?P<key>[-:\w]+)/$",
        accounts_views.ConfirmEmailView.as_view(),
        name="account_confirm_email",
    ),
    path("accounts/", include("allauth.urls")),
    path("members/", include("accounts.urls_members")),
    path("membership/", include("membership.urls")),
    path("office/", include("membership.urls_office")),
    path("register/", include("register.urls")),
    path("meets/", include("meets.urls")),
    path("admin/", admin.site.urls),
    # The check-in app's API (meets/gate_api.py): per-device tokens, writes, no caching.
    path("api/checkin/v1/", gate_api.urls),
    # The public API (config/api.py): read-only JSON, its schema and its docs.
    path("api/", api.urls),
    # The benchmark's baseline (make bench): the base template with no data. It shows
    # nothing that the home page does not, so it is always mounted.
    path("_baseline/", views.baseline, name="bench_baseline"),
]

if settings.PADDOCK_SERVE_MEDIA:
    # Every stored picture was re-encoded as a JPEG on upload, so serving media from
    # Django is safe; a larger club lets its reverse proxy do it instead.
    urlpatterns += [path("media/<path:path>", views.media, name="media")]
