from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from register.cache import cached
from register.models import ModelLine
from register.stats import register_stats


def statistics(request):
    """Produced versus registered, by colour, year, country and status: public."""
    slug = request.GET.get("line", "").strip()
    if "\x00" in slug:  # PostgreSQL refuses a NUL in a query; no slug has one
        raise Http404(_("No such model line."))
    line = get_object_or_404(ModelLine, slug=slug) if slug else None
    body = cached(
        f"stats-html:{line.pk if line else 'all'}",
        lambda: render_to_string(
            "register/includes/_stats_body.html", {"stats": register_stats(line=line)}, request
        ),
        scopes=("tally",),  # the counts; a colour's or a figure's edit bumps the namespace
    )
    return render(request, "register/stats.html", {"body": body})
