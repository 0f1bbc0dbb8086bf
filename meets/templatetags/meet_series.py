"""{% meet_series_box meet %}: "Part of the series …" and its next dates, on a meet's page."""

from django import template

register = template.Library()


@register.inclusion_tag("meets/series/_meet_series.html")
def meet_series_box(meet):
    """Nothing (and no query) for a meet outside a series."""
    if not meet.series_id:
        return {"series": None}
    from meets.series import describe, next_dates

    series = meet.series
    return {
        "series": series,
        "rule_text": describe(series.rule),
        "next_dates": next_dates(series, exclude=meet),
    }
