from django.conf import settings
from django.shortcuts import render
from django.views.static import serve


def home(request):
    return render(request, "home.html")


def media(request, path: str):
    """Uploaded pictures (all re-encoded as JPEG on upload), from MEDIA_ROOT as it is now."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
