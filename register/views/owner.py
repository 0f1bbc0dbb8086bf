from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from membership import rights
from register import services
from register.access import (
    get_car_for_owner,
    get_car_for_viewer,
    get_entry_for_author,
    is_owner,
)
from register.forms import (
    CarForm,
    ClaimForm,
    DeleteForm,
    FindCarForm,
    MileageForm,
    NewCarForm,
    PhotoForm,
    TimelineEntryForm,
    TransferForm,
    TransferResponseForm,
)
from register.lastseen import note_evidence
from register.models import (
    Car,
    CarChangeRequest,
    CarPhoto,
    Claim,
    MileageReading,
    TimelineEntry,
    Transfer,
    attach_diffs,
)
from register.services import RegisterError


@login_required
def garage(request):
    member = request.user
    cars = Car.objects.owned_by(member).for_list().order_by("plaque_number", "vin")
    context = {
        "cars": cars,
        "claims": Claim.objects.filter(claimant=member).select_related("car", "car__model_line")[
            :20
        ],
        "transfers_in": Transfer.objects.filter(
            to_member=member, state=Transfer.State.PENDING
        ).select_related("car", "car__model_line", "car__colour", "from_member"),
        "transfers_out": Transfer.objects.filter(
            from_member=member, state=Transfer.State.PENDING
        ).select_related("car", "car__model_line", "to_member"),
    }
    return render(request, "register/garage.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def car_add(request):
    rights.require(request.user, rights.CARS)
    form = NewCarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            car = services.car_register(
                member=request.user,
                car=form.save(commit=False),
                started_on=form.cleaned_data.get("started_on"),
            )
        except (IntegrityError, ValidationError):
            # Two submits of the same VIN in the same second: the other one won, and
            # either the service's full_clean() or the database said no.
            form.add_error("vin", _("This car is already on the register."))
        else:
            messages.success(
                request,
                _(
                    "Thank you! Your car is on its way: the registrar will verify it and "
                    "give it a plaque number. You can add photos and its story meanwhile."
                ),
            )
            return redirect(car)
    return render(request, "register/car_form.html", {"form": form, "adding": True})


@login_required
@require_http_methods(["GET", "POST"])
def claim_find(request):
    rights.require(request.user, rights.CARS)
    form = FindCarForm(request.GET or None)
    car = None
    if form.is_bound and form.is_valid():
        car = Car.objects.public().filter(vin=form.cleaned_data["vin"]).first()
        if car is not None:
            return redirect("register:claim", pk=car.pk)
    return render(request, "register/claim_find.html", {"form": form, "searched": form.is_bound})


@login_required
@require_http_methods(["GET", "POST"])
def car_claim(request, pk: int):
    rights.require(request.user, rights.CARS)
    car = get_car_for_viewer(request, pk)
    if is_owner(request.user, car):
        messages.info(request, _("You are already the owner of this car."))
        return redirect(car)
    form = ClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_create(
                car=car,
                member=request.user,
                evidence=form.cleaned_data["evidence"],
                evidence_photo=form.cleaned_data.get("evidence_photo"),
            )
        except (RegisterError, IntegrityError) as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("Your claim is with the registrar. We will e-mail you."))
            return redirect("register:garage")
    return render(request, "register/claim_form.html", {"form": form, "car": car})


def _message(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return _("That was already done — perhaps the form was sent twice.")
    return str(exc)


@login_required
@require_http_methods(["GET", "POST"])
def car_edit(request, pk: int):
    car = get_car_for_owner(request, pk)
    pending = None
    if car.is_verified:
        pending = car.change_requests.filter(state=CarChangeRequest.State.PENDING).first()
    # The owner's own proposal is what the form shows: saving it again keeps it, setting
    # the facts back withdraws it.
    mine = pending is not None and pending.proposed_by_id == request.user.pk
    form = CarForm(request.POST or None, instance=car, initial=_initial(pending) if mine else None)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.fields}
        try:
            change = services.car_update(car=car, editor=request.user, values=values)
        except RegisterError as exc:
            messages.error(request, str(exc))
            return redirect(car)
        if change is not None and change.proposed_by_id == request.user.pk:
            messages.success(
                request,
                _(
                    "Saved. Your change to the car's factory facts is waiting for the "
                    "registrar; the car stays verified, as it was, until they decide. We "
                    "will e-mail you."
                ),
            )
        else:
            messages.success(request, _("The car's details have been saved."))
        return redirect(car)
    if pending is not None:
        attach_diffs([pending])
    return render(
        request, "register/car_form.html", {"form": form, "car": car, "pending_change": pending}
    )


def _initial(change: CarChangeRequest) -> dict:
    """A change request's values as a form's initial data (ids, dates, codes)."""
    by_attname = {Car._meta.get_field(name).attname: name for name in change.changes}
    return {by_attname[a]: v for a, v in change.proposed_values().items()}


@login_required
@require_http_methods(["GET", "POST"])
def timeline_add(request, pk: int):
    car = get_car_for_owner(request, pk)
    form = TimelineEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.timeline_entry_add(car=car, author=request.user, **form.cleaned_data)
        except RegisterError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Added to the car's timeline."))
            return redirect(car)
    return render(
        request, "register/car_subform.html", {"form": form, "car": car, "what": "timeline"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def timeline_edit(request, pk: int):
    entry = get_entry_for_author(request, TimelineEntry, pk)
    return _edit_entry(
        request,
        entry,
        TimelineEntryForm(request.POST or None, instance=entry),
        what="timeline",
        done=_("The timeline entry has been corrected."),
    )


@login_required
@require_POST
def timeline_delete(request, pk: int):
    entry = get_entry_for_author(request, TimelineEntry, pk)
    return _delete_entry(request, entry, done=_("The timeline entry has been deleted."))


@login_required
@require_http_methods(["GET", "POST"])
def mileage_add(request, pk: int):
    car = get_car_for_owner(request, pk)
    form = MileageForm(request.POST or None, car=car)
    if request.method == "POST" and form.is_valid():
        try:
            reading = services.mileage_reading_add(
                car=car,
                member=request.user,
                read_on=form.cleaned_data["read_on"],
                kilometres=form.kilometres(),
                flagged=form.instance.flagged,
            )
        except RegisterError as exc:
            form.add_error(None, str(exc))
        else:
            km = number_format(reading.kilometres, force_grouping=True)
            messages.success(request, _("Mileage recorded: %(km)s km.") % {"km": km})
            return redirect(car)
    return render(
        request, "register/car_subform.html", {"form": form, "car": car, "what": "mileage"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def mileage_edit(request, pk: int):
    reading = get_entry_for_author(request, MileageReading, pk)
    return _edit_entry(
        request,
        reading,
        MileageForm(request.POST or None, instance=reading, car=reading.car),
        what="mileage",
        done=_("The mileage reading has been corrected."),
    )


@login_required
@require_POST
def mileage_delete(request, pk: int):
    reading = get_entry_for_author(request, MileageReading, pk)
    return _delete_entry(request, reading, done=_("The mileage reading has been deleted."))


def _edit_entry(request, entry, form, *, what: str, done: str):
    """The correction form of the owner's own timeline entry or reading; the history keeps
    what it said before."""
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            # A date corrected to a later day is later evidence (register/lastseen.py).
            if isinstance(saved, TimelineEntry):
                note_evidence(saved.car_id, saved.happened_on, Car.Evidence.TIMELINE)
            else:
                note_evidence(saved.car_id, saved.read_on, Car.Evidence.MILEAGE)
        messages.success(request, done)
        return redirect(entry.car)
    return render(
        request,
        "register/car_subform.html",
        {
            "form": form,
            "car": entry.car,
            "what": what,
            "delete_url": reverse(f"register:{what}_delete", args=[entry.pk]),
            "delete_form": DeleteForm(),
        },
    )


def _delete_entry(request, entry, *, done: str):
    """Delete a timeline entry or a reading once the box is ticked; the history keeps it."""
    car = entry.car
    if not DeleteForm(request.POST).is_valid():
        messages.error(request, _("Please tick the box to confirm the deletion."))
        name = "timeline_edit" if isinstance(entry, TimelineEntry) else "mileage_edit"
        return redirect(f"register:{name}", pk=entry.pk)
    with transaction.atomic():
        entry.delete()
    messages.success(request, done)
    return redirect(car)


@login_required
@require_http_methods(["GET", "POST"])
def photo_add(request, pk: int):
    car = get_car_for_owner(request, pk)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.photo_add(
                car=car,
                upload=form.cleaned_data["image"],
                member=request.user,
                caption=form.cleaned_data["caption"],
                make_cover=form.cleaned_data["make_cover"],
            )
        except RegisterError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Photo added. We removed its location and camera data."))
            return redirect(car)
    return render(
        request,
        "register/car_subform.html",
        {"form": form, "car": car, "what": "photo", "multipart": True},
    )


def _photo_for_owner(request, pk: int) -> CarPhoto:
    photo = get_object_or_404(CarPhoto.objects.select_related("car"), pk=pk)
    get_car_for_owner(request, photo.car_id)
    return photo


@login_required
@require_POST
def photo_cover(request, pk: int):
    photo = _photo_for_owner(request, pk)
    services.photo_make_cover(photo=photo)
    messages.success(request, _("Cover photo changed."))
    return redirect(photo.car)


@login_required
@require_POST
def photo_delete(request, pk: int):
    photo = _photo_for_owner(request, pk)
    car = photo.car
    services.photo_delete(photo=photo)
    messages.success(request, _("Photo deleted."))
    return redirect(car)


@login_required
@require_http_methods(["GET", "POST"])
def transfer_start(request, pk: int):
    car = get_car_for_owner(request, pk)
    form = TransferForm(request.POST or None, seller=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_start(
                car=car,
                from_member=request.user,
                to_member=form.cleaned_data["buyer"],
                on=form.cleaned_data["transfer_date"],
                note=form.cleaned_data["note"],
            )
        except (RegisterError, IntegrityError) as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(
                request, _("Transfer started. The buyer accepts it from their garage.")
            )
            return redirect("register:garage")
    return render(
        request, "register/car_subform.html", {"form": form, "car": car, "what": "transfer"}
    )


@login_required
@require_POST
def transfer_respond(request, pk: int):
    # Someone else's transfer does not exist, as far as this member can tell.
    transfer = get_object_or_404(
        Transfer.objects.filter(Q(from_member=request.user) | Q(to_member=request.user)), pk=pk
    )
    form = TransferResponseForm(request.POST)
    action = form.cleaned_data["action"] if form.is_valid() else None
    try:
        if action == "accept":
            services.transfer_accept(transfer=transfer, member=request.user)
            messages.success(request, _("The car is now in your garage. Welcome to its story!"))
        elif action in ("decline", "cancel"):
            services.transfer_close(transfer=transfer, member=request.user)
            messages.success(request, _("The transfer has been closed."))
        else:
            messages.error(request, _("Please choose to accept or decline."))
    except RegisterError as exc:
        messages.error(request, str(exc))
    return redirect("register:garage")
