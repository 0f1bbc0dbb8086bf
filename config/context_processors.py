from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def club_tagline() -> str:
    """The club's line in the page's language, or in English when it has none."""
    language = translation.get_language() or ""
    taglines = settings.PADDOCK_CLUB_TAGLINES
    return (
        taglines.get(language)
        or taglines.get(language.split("-")[0])
        or settings.PADDOCK_CLUB_TAGLINE
    )


def club(request):
    """The club's name and the main sections that are installed, for every template."""
    return {
        "club_name": settings.PADDOCK_CLUB_NAME,
        "club_short_name": settings.PADDOCK_CLUB_SHORT_NAME,
        "club_tagline": club_tagline(),
        "nav_register_url": _url_or_none("register:list"),
        "nav_meets_url": _url_or_none("meets:list"),
    }
