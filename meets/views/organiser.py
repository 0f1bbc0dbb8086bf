"""The organiser's area of a meet: edit, publish, cancel, attendees, CSV, messages, helpers.

Every page goes through `get_meet_for_organiser`: 404 for anyone who must not know the
meet (including the organiser of another meet), 403 for a check-in helper.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import privacy
from config.lib.csvutil import streaming_csv_response
from meets import services
from meets.access import get_meet_for_organiser, require_meet_creator
from meets.forms import (
    CancelMeetForm,
    CheckinForm,
    CheckinSearchForm,
    HelperForm,
    HelperRemoveForm,
    MeetForm,
    MessageForm,
)
from meets.models import RSVP, Meet, Message
from meets.offer_models import held_places
from meets.questions import Question, answer_rows, format_answer
from meets.views.checkin import search_rsvps
from register.plates import note_gate_cars, plate_for


def _save_meet(form: MeetForm, **kwargs) -> Meet | None:
    """Save through the service; a rule the model enforces lands on the form."""
    meet = form.save(commit=False)
    try:
        return services.meet_save(meet=meet, **kwargs)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return None
    except services.RSVPError as exc:  # the meet's lock waited on too long
        form.add_error(None, str(exc))
        return None
    except IntegrityError:
        # The same form sent twice at once: the other submit took the meet's address.
        form.add_error(
            None,
            _(
                "This meet was saved a moment ago, perhaps because the form was sent twice. "
                "Find it among your drafts on the meets page."
            ),
        )
        return None


def _moved_up(count: int) -> str:
    return ngettext(
        "%(count)d car moved up from the waiting list; we e-mailed their owners.",
        "%(count)d cars moved up from the waiting list; we e-mailed their owners.",
        count,
    ) % {"count": count}


def _offered(count: int) -> str:
    return ngettext(
        "%(count)d car on the waiting list was offered a place; we e-mailed their owner.",
        "%(count)d cars on the waiting list were offered a place; we e-mailed their owners.",
        count,
    ) % {"count": count}


@login_required
@require_http_methods(["GET", "POST"])
def meet_create(request):
    require_meet_creator(request)
    form = MeetForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        form.instance.status = Meet.Status.DRAFT
        meet = _save_meet(form, organiser=request.user)
        if meet is not None:
            messages.success(
                request,
                _(
                    "Your meet is saved as a draft: only you and the club's staff can see it. "
                    "Publish it when it is ready."
                ),
            )
            return redirect(meet)
    return render(request, "meets/organiser/meet_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def meet_edit(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    old_capacity = meet.capacity  # read now: validating the form changes the instance
    form = MeetForm(request.POST or None, request.FILES or None, instance=meet)
    if request.method == "POST" and form.is_valid():
        waiting_before = RSVP.objects.filter(meet=meet).waitlisted().count()
        saved = _save_meet(form, old_capacity=old_capacity)
        if saved is not None:
            promoted = waiting_before - RSVP.objects.filter(meet=saved).waitlisted().count()
            messages.success(request, _("The meet is saved."))
            if promoted > 0:
                messages.info(request, _moved_up(promoted))
            return redirect(saved)
    return render(request, "meets/organiser/meet_form.html", {"form": form, "meet": meet})


@login_required
@require_POST
def meet_publish(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    try:
        services.meet_publish(meet=meet)
    except services.RSVPError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The meet is published: members can see it and RSVP."))
    return redirect(meet)


@login_required
@require_http_methods(["GET", "POST"])
def meet_cancel(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    form = CancelMeetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meet_cancel(meet=meet, reason=form.cleaned_data["reason"])
        except services.RSVPError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("The meet is cancelled. We e-mailed everyone going or waiting.")
            )
        return redirect(meet)
    counts = RSVP.objects.filter(meet=meet).aggregate(
        going=Count("pk", filter=Q(status=RSVP.Status.GOING)),
        waitlisted=Count("pk", filter=Q(status=RSVP.Status.WAITLISTED)),
    )
    return render(
        request, "meets/organiser/meet_cancel.html", {"meet": meet, "form": form, **counts}
    )


@login_required
@require_POST
def promote(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    try:
        promoted = services.waitlist_promote(meet=meet)
    except services.RSVPError as exc:
        messages.error(request, str(exc))
    else:
        if promoted and meet.promotion == Meet.Promotion.OFFER:
            messages.success(request, _offered(len(promoted)))
        elif promoted:
            messages.success(request, _moved_up(len(promoted)))
        else:
            messages.info(
                request,
                _(
                    "Nobody moved up: the meet is full, the waiting list is empty, "
                    "or the meet is not open (a draft, cancelled or already started)."
                ),
            )
    return redirect("meets:attendees", slug=meet.slug)


def _rsvp_counts(meet: Meet) -> dict[str, int]:
    counts = RSVP.objects.filter(meet=meet).aggregate(
        going=Count("pk", filter=Q(status=RSVP.Status.GOING), distinct=True),
        waitlisted=Count("pk", filter=Q(status=RSVP.Status.WAITLISTED), distinct=True),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False), distinct=True),
        guests=Count("pk", filter=Q(status=RSVP.Status.GOING, guests__gt=0), distinct=True),
        # Places held by open waiting-list offers (meets/offers.py).
        held=held_places(),
    )
    # Going but never checked in (a checked-in RSVP is going: it can no longer be cancelled).
    counts["no_shows"] = counts["going"] - counts["checked_in"]
    return counts


@login_required
@require_GET
def attendees(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    form = CheckinSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    counts = _rsvp_counts(meet)
    # Positions count the whole waiting list, also when a search shows only part of it;
    # the same query names every car at the gate, whose plates the organiser sees.
    live = (
        RSVP.objects.filter(meet=meet)
        .live()
        .order_by("created_at", "id")
        .values_list("pk", "status", "car_id")
    )
    live = list(live)
    note_gate_cars(meet, (car_id for _pk, _status, car_id in live))
    waiting_ids = [pk for pk, status, _car in live if status == RSVP.Status.WAITLISTED]
    positions = {pk: n for n, pk in enumerate(waiting_ids, start=1)}
    rsvps = search_rsvps(
        RSVP.objects.filter(meet=meet).live().for_list(),
        query,
        viewer=request.user,
        as_=privacy.Viewer.ORGANISER,
        gate_of=meet,
    )
    going, waiting = [], []
    asked = list(Question.objects.filter(meet=meet))
    for rsvp in rsvps:
        rsvp.plate = plate_for(rsvp.car, request.user, gate_of=meet)
        rsvp.answer_rows = answer_rows(asked, rsvp.answers)
        if rsvp.status == RSVP.Status.GOING:
            going.append(rsvp)
        else:
            rsvp.position = positions.get(rsvp.pk)
            waiting.append(rsvp)
    waiting.sort(key=lambda r: r.position or 0)
    context = {
        "meet": meet,
        "form": form,
        "query": query,
        "going": going,
        "waiting": waiting,
        "counts": counts,
        "places_left": max(meet.capacity - counts["going"] - counts["held"], 0),
        "checkin_form": CheckinForm(initial={"back": "attendees"}),
    }
    return render(request, "meets/organiser/attendees.html", context)


# --- CSV ------------------------------------------------------------------------------

CSV_COLUMNS = [
    "status",
    "waitlist_position",
    "member_name",
    "email",
    "membership_number",
    "car_vin",
    "plaque_number",
    "model_line",
    "colour",
    "paint_code",
    "build_month",
    "country",
    "registration_plate",
    "guests",
]
CSV_TAIL = ["rsvp_at", "checked_in_at"]


def _question_columns(questions: Iterable[Question]) -> list[tuple[str, str]]:
    """(stage, label) of each question, the RSVP's first, once each: several meets that ask
    the same question share its column."""
    columns: list[tuple[str, str]] = []
    for stage in (Question.Stage.RSVP, Question.Stage.CHECKIN):
        for q in questions:
            if q.asked_at == stage and (stage, q.label) not in columns:
                columns.append((stage, q.label))
    return columns


def _column_header(stage: str, label: str) -> str:
    if stage == Question.Stage.CHECKIN:
        return _("%(question)s (at check-in)") % {"question": label}
    return label


def attendee_table(meets: Iterable[Meet], *, viewer) -> tuple[list[str], list[list[Any]]]:
    """Every live RSVP of `meets` as CSV header and rows, in a fixed number of queries.

    One meet: the columns of CSV_COLUMNS, one per question, then the times. Several
    meets (the admin's action): a leading `meet` column and the questions of all of them.
    Members are shown as accounts/privacy.py lets `viewer`, an organiser, see them: a
    hidden name is the membership number, and the e-mail column is filled for staff only.
    A car's registration plate is there as register/plates.py lets the meet's gate see it.
    """
    organiser = privacy.Viewer.ORGANISER
    meets = list(meets)
    rsvps = list(
        RSVP.objects.filter(meet__in=meets)
        .live()
        .select_related("meet", "member", "car", "car__model_line", "car__colour")
        .order_by("meet__starts_at", "meet_id", "status", "created_at", "id")
    )
    asked = list(Question.objects.filter(meet__in=meets).order_by("meet__starts_at", "position"))
    columns = _question_columns(asked)
    by_meet: dict[int, dict[tuple[str, str], Question]] = {}
    for q in asked:
        by_meet.setdefault(q.meet_id, {}).setdefault((q.asked_at, q.label), q)
    positions: dict[int, int] = {}
    for meet in meets:
        mine = [r for r in rsvps if r.meet_id == meet.pk]
        waiting = [r for r in mine if r.status == RSVP.Status.WAITLISTED]
        positions.update({r.pk: n for n, r in enumerate(waiting, start=1)})
    by_id = {meet.pk: meet for meet in meets}
    for meet in meets:
        # Every live RSVP of each meet is here: the cars at its gate, whose plates show.
        note_gate_cars(meet, (r.car_id for r in rsvps if r.meet_id == meet.pk))
    several = len(meets) > 1
    header = (
        (["meet"] if several else [])
        + CSV_COLUMNS
        + [_column_header(*column) for column in columns]
        + CSV_TAIL
    )

    def answer(r: RSVP, column: tuple[str, str]) -> str:
        q = by_meet.get(r.meet_id, {}).get(column)
        return format_answer(q, (r.answers or {}).get(q.key), for_csv=True) if q else ""

    def local(value, meet: Meet):
        return timezone.localtime(value, meet.tz) if value else None

    rows = []
    for r in rsvps:
        car, member = r.car, r.member
        row = [
            r.status,
            positions.get(r.pk),
            privacy.name_for(member, viewer, as_=organiser) if member else "",
            privacy.email_for(member, viewer, as_=organiser) if member else "",
            (privacy.number_for(member, viewer, as_=organiser) or "") if member else "",
            car.vin,
            car.plaque_number,
            car.model_line.name,
            car.colour.name if car.colour else "",
            car.colour.paint_code if car.colour else "",
            car.build_date.strftime("%Y-%m") if car.build_date else "",
            car.country.code if car.country else "",
            plate_for(car, viewer, gate_of=by_id[r.meet_id]),
            r.guests,
            *[answer(r, column) for column in columns],
            local(r.created_at, r.meet),
            local(r.checked_in_at, r.meet),
        ]
        rows.append(([r.meet.title] if several else []) + row)
    return header, rows


def attendees_csv_response(meets: Iterable[Meet], *, filename: str, viewer):
    header, rows = attendee_table(meets, viewer=viewer)
    return streaming_csv_response(filename=filename, header=header, rows=rows)


@login_required
@require_GET
def attendees_csv(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    return attendees_csv_response(
        [meet],
        filename=f"{slugify(meet.slug)}-attendees-{timezone.localdate():%Y-%m-%d}.csv",
        viewer=request.user,
    )


# --- Messages and helpers ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def message(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    form = MessageForm(request.POST or None, initial={"audience": Message.Audience.GOING})
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.message_send(
                meet=meet,
                audience=form.cleaned_data["audience"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                by=request.user,
            )
        except services.RSVPError as exc:
            form.add_error(None, str(exc))
            return _message_page(request, meet, form)
        n = sent.recipients
        if n:
            messages.success(
                request,
                ngettext(
                    "Your message is on its way to %(count)d member.",
                    "Your message is on its way to %(count)d members.",
                    n,
                )
                % {"count": n},
            )
        else:
            messages.warning(request, _("Nobody is in that group yet, so nobody got the message."))
        return redirect("meets:message", slug=meet.slug)
    return _message_page(request, meet, form)


def _message_page(request, meet: Meet, form: MessageForm):
    history = Message.objects.filter(meet=meet).select_related("sent_by")
    context = {"meet": meet, "form": form, "history": history, "counts": _rsvp_counts(meet)}
    return render(request, "meets/organiser/message.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def helpers(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    add_form = HelperForm()
    if request.method == "POST" and "helper" in request.POST:
        remove_form = HelperRemoveForm(request.POST, meet=meet)
        if remove_form.is_valid():
            helper = remove_form.cleaned_data["helper"]
            services.meet_helper_remove(meet=meet, member=helper)
            messages.success(
                request,
                _("%(member)s can no longer check cars in at this meet.")
                % {"member": privacy.name_for(helper, request.user)},
            )
        else:
            messages.error(request, _("That person is not a check-in helper of this meet."))
        return redirect("meets:helpers", slug=meet.slug)
    if request.method == "POST":
        add_form = HelperForm(request.POST)
        if add_form.is_valid():
            member = add_form.cleaned_data["member"]
            if meet.organisers.filter(pk=member.pk).exists():
                add_form.add_error(
                    "member",
                    _("%(member)s organises this meet already.")
                    % {"member": privacy.name_for(member, request.user)},
                )
            else:
                try:
                    added = services.meet_helper_add(meet=meet, member=member)
                except services.RSVPError as exc:
                    add_form.add_error("member", str(exc))
                else:
                    if added:
                        messages.success(
                            request,
                            _("%(member)s can now check cars in at this meet.")
                            % {"member": privacy.name_for(member, request.user)},
                        )
                    else:
                        messages.info(
                            request,
                            _("%(member)s is a check-in helper already.")
                            % {"member": privacy.name_for(member, request.user)},
                        )
                    return redirect("meets:helpers", slug=meet.slug)
    context = {
        "meet": meet,
        "form": add_form,
        "helpers": meet.checkin_helpers.order_by("display_name", "email"),
        "organisers": meet.organisers.order_by("display_name", "email"),
    }
    return render(request, "meets/organiser/helpers.html", context)
