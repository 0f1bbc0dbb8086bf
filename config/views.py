import posixpath

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve


def home(request):
    return render(request, "home.html")


def baseline(request):
    """The site's base template and nothing else: the benchmark's yardstick (make bench)."""
    return render(request, "bench_baseline.html")


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """/favicon.ico, which browsers ask for on pages without an icon link (the admin's,
    a PDF, an error page): the site's icon. A temporary redirect, as the static file's name
    carries its hash and changes with it."""
    return redirect(static("img/favicon.svg"))


# Folders under MEDIA_ROOT that hold private documents, served only by their own views.
# Meet album photos (albums/) go through meets:album_photo: pending ones are private.
# docs/deploy.md refuses the same folders in nginx and leaves them out of a public bucket.
PRIVATE_MEDIA = ("claims/", "sightings/", "albums/")


def media(request, path: str):
    """Uploaded pictures (all re-encoded as JPEG on upload), from MEDIA_ROOT as it is now."""
    # Check the path as `serve` reads it: "./claims/x", "a/../claims/x" and "/claims/x"
    # are all claims/x (and Claims/ is claims/ on a case-insensitive disk).
    clean = posixpath.normpath(path).lstrip("/")
    if f"{clean}/".casefold().startswith(PRIVATE_MEDIA):
        raise Http404("Not found.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)
