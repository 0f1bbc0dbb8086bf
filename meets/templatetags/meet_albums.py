"""`{% album_teaser %}`: a few photos of a meet's album and a link to it, on the meet page.

Rendered once per meet and kind of viewer and kept in the meets' cache, which every
change to an album photo bumps (meets/apps.py and meets/albums.py).
"""

from django import template
from django.template.loader import render_to_string

from meets import albums
from meets.cache import meets_cache

register = template.Library()


@register.simple_tag(takes_context=True)
def album_teaser(context) -> str:
    meet = context["meet"]
    if not meet.has_started:
        return ""  # an album opens when the meet starts
    request = context["request"]
    organiser = bool(context.get("organiser_view"))
    if not albums.may_see_album(request.user, meet, organiser=organiser):
        return ""
    mine = context.get("mine")
    may_add = organiser or bool(mine and mine.status == "going")

    def build() -> str:
        photos = albums.album_of(meet)
        return render_to_string(
            "meets/albums/_teaser_body.html",
            {"meet": meet, "photos": list(photos[: albums.TEASER_SHOWN]), "count": photos.count()},
        )

    body = meets_cache.cached(f"meet:{meet.pk}:album-teaser", build, scopes=(f"meet:{meet.pk}",))
    return render_to_string(
        "meets/albums/_teaser.html",
        {
            "meet": meet,
            "body": body,
            "may_add": may_add and albums.why_closed(meet) is None,
        },
        request,
    )
