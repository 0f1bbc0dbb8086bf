import posixpath

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.static import serve


def home(request):
    return render(request, "home.html")


def baseline(request):
    """The site's base template and nothing else: the benchmark's yardstick (make bench)."""
    return render(request, "bench_baseline.html")


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
