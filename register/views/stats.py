from django.shortcuts import get_object_or_404, render

from register.cache import cached
from register.models import ModelLine
from register.stats import register_stats


def statistics(request):
    """Produced versus registered, by colour, year, country and status: public."""
    slug = request.GET.get("line", "").strip()
    line = get_object_or_404(ModelLine, slug=slug) if slug else None
    stats = cached(f"stats:{line.pk if line else 'all'}", lambda: register_stats(line=line))
    return render(request, "register/stats.html", {"stats": stats})
