from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.static import serve


def home(request):
    return render(request, "home.html")


# Folders under MEDIA_ROOT that hold private documents, served only by their own views.
PRIVATE_MEDIA = ("claims/",)


def media(request, path: str):
    """Uploaded pictures (all re-encoded as JPEG on upload), from MEDIA_ROOT as it is now."""
    if path.startswith(PRIVATE_MEDIA):
        raise Http404("Not found.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)
