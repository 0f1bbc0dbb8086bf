from django.conf import settings
from django.urls import NoReverseMatch, reverse


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def club(request):
    """The club's name and the main sections that are installed, for every template."""
    return {
        "club_name": settings.PADDOCK_CLUB_NAME,
        "club_short_name": settings.PADDOCK_CLUB_SHORT_NAME,
        "club_tagline": settings.PADDOCK_CLUB_TAGLINE,
        "nav_register_url": _url_or_none("register:list"),
        "nav_meets_url": _url_or_none("meets:list"),
    }
