"""Series of meets and clones: "Clone this meet", "Repeat this meet", the series' pages.

The organiser's pages go through `get_meet_for_organiser` / `get_series_for_organiser`
(404 to outsiders, 403 to a check-in helper); a series' page is public once one of its
dates is published, like a meet's.
"""

import hashlib
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from meets.access import get_meet_for_organiser, require_meet_creator
from meets.cache import meets_cache
from meets.ics import CONTENT_TYPE, calendar_for
from meets.models import Meet
from meets.series import (
    AHEAD_MONTHS,
    SeriesError,
    describe,
    get_series_for_organiser,
    get_series_for_viewer,
    is_series_organiser,
    meet_clone,
    series_create,
    series_update,
)
from meets.series_forms import SHIFTS, CloneForm, RepeatForm, SeriesForm, clone_initial
from meets.services import RSVPError

PAST_DATES_SHOWN = 24


@login_required
@require_http_methods(["GET", "POST"])
def clone(request, slug: str):
    source = get_meet_for_organiser(request, slug)
    # A copy is a new meet: only the club's organisers make meets, not every co-organiser.
    require_meet_creator(request)
    shift = request.GET.get("shift") if request.GET.get("shift") in SHIFTS else "year"
    form = CloneForm(
        request.POST or None, request.FILES or None, initial=clone_initial(source, shift)
    )
    if request.method == "POST" and form.is_valid():
        try:
            copy = meet_clone(source=source, meet=form.save(commit=False), by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except IntegrityError:
            form.add_error(
                None,
                _(
                    "This copy was saved a moment ago, perhaps because the form was sent "
                    "twice. Find it among your drafts on the meets page."
                ),
            )
        else:
            messages.success(
                request,
                _(
                    "The copy is saved as a draft, with the same organisers, helpers and "
                    "questions and no RSVPs. Publish it when it is ready."
                ),
            )
            return redirect(copy)
    context = {"meet": source, "form": form, "shift": shift}
    return render(request, "meets/series/clone_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def repeat(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    require_meet_creator(request)  # a series makes new meets: the club's organisers only
    if meet.series_id is not None:
        messages.info(request, _("This meet is part of a series already."))
        return redirect(meet.series)
    form = RepeatForm(request.POST or None, meet=meet)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            series, made = series_create(
                meet=meet,
                pattern=data["pattern"],
                count=data["count"],
                until=data["until"],
                publish_dates=data["publish_dates"],
            )
        except (SeriesError, RSVPError) as exc:
            messages.error(request, str(exc))
            return redirect(meet)
        messages.success(
            request,
            ngettext(
                "The series is set up: %(count)d more date is made, and the next ones "
                "follow as they come nearer.",
                "The series is set up: %(count)d more dates are made, and the next ones "
                "follow as they come nearer.",
                len(made),
            )
            % {"count": len(made)},
        )
        return redirect(series)
    context = {"meet": meet, "form": form, "ahead_months": AHEAD_MONTHS}
    return render(request, "meets/series/repeat_form.html", context)


def series_detail(request, slug: str):
    series = get_series_for_viewer(request, slug)

    def dates() -> str:
        upcoming = list(Meet.objects.upcoming().filter(series=series).with_counts())
        past = list(Meet.objects.past().filter(series=series).with_counts()[:PAST_DATES_SHOWN])
        for meet in upcoming:
            meet.places_left = max(meet.capacity - meet.going_count - meet.held_count, 0)
        context = {"series": series, "upcoming": upcoming, "past": past}
        return render_to_string("meets/series/_dates.html", context, request)

    # The same for everyone: its meets' changes bump "list"; a date moves from upcoming
    # to past as time passes, so the key changes every minute (as the meets list's).
    minute = int(time.time() // 60)
    # Its rows compare each date's title and venue with the series': both in the key.
    named = hashlib.sha256(f"{series.title}\x00{series.venue_name}".encode()).hexdigest()[:12]
    key = f"series:{series.pk}:{named}:{minute}"
    context = {
        "series": series,
        "rule_text": describe(series.rule),
        "dates": meets_cache.cached(key, dates, scopes=("list",)),
        "organiser_view": is_series_organiser(request.user, series),
    }
    return render(request, "meets/series/series_detail.html", context)


@require_GET
def series_ics(request, slug: str):
    series = get_series_for_viewer(request, slug)
    dates = Meet.objects.published().filter(series=series).order_by("starts_at")
    response = HttpResponse(calendar_for(dates, name=series.title), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{series.slug}.ics"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def series_edit(request, slug: str):
    series = get_series_for_organiser(request, slug)
    form = SeriesForm(request.POST or None, instance=series)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed, held = series_update(
                series=series, changes=data, apply_to_future=data["apply_to_future"]
            )
        except RSVPError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "The series is saved, and %(count)d date to come with it.",
                    "The series is saved, and %(count)d dates to come with it.",
                    changed,
                )
                % {"count": changed}
                if data["apply_to_future"]
                else _("The series is saved. Its dates stay as they were."),
            )
            for meet in held:
                messages.warning(
                    request,
                    _("%(date)s keeps %(capacity)d places: that many cars are going already.")
                    % {
                        "date": date_format(meet.local_start, "DATE_FORMAT"),
                        "capacity": meet.capacity,
                    },
                )
            return redirect(series)
    return render(request, "meets/series/series_form.html", {"series": series, "form": form})
