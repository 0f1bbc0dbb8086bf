"""The registrar's pages: the review queue of new cars and claims, and the import.

Anonymous visitors are sent to log in; members who are not staff get 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from config.lib.csvutil import streaming_csv_response
from register import importer, services
from register.access import require_staff
from register.forms import ReasonForm
from register.models import Car, CarChangeRequest, Claim, Ownership, attach_diffs
from register.services import RegisterError


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))]
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (CSV or Excel)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,text/csv,.xlsx,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    skip_rejected = forms.BooleanField(
        label=gettext_lazy("Import the valid rows and skip the rejected ones"),
        required=False,
        help_text=gettext_lazy("Without this, a file with any rejected row imports nothing."),
    )
    check_only = forms.BooleanField(
        label=gettext_lazy("Only check the file; import nothing"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limits, with the thousands separator of the page's language.
        self.fields["file"].help_text = _(
            "An Excel workbook (.xlsx, its first sheet) or a CSV file (UTF-8, comma- or "
            "semicolon-separated), with a header row; up to %(size)s MB and %(rows)s rows."
        ) % {
            "size": importer.MAX_BYTES // 1024 // 1024,
            "rows": number_format(importer.MAX_ROWS, force_grouping=True),
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importer.MAX_BYTES:
            raise forms.ValidationError(importer.too_large_message(upload.size))
        upload.seek(0)
        self.report = importer.check_file(upload.read(), upload.name or "")
        return upload


def _review_url(fragment: str = "") -> str:
    return reverse("register:review") + (f"#{fragment}" if fragment else "")


@login_required
def review_queue(request):
    require_staff(request)
    current_owner = Prefetch(
        "ownerships",
        queryset=Ownership.objects.current().select_related("member"),
        to_attr="current_ownerships",
    )
    cars = (
        Car.objects.filter(review_status=Car.Review.PENDING)
        .select_related("model_line", "colour")
        .prefetch_related(current_owner)
        .order_by("created_at", "id")
    )
    claims = (
        Claim.objects.filter(state=Claim.State.PENDING)
        .select_related("car__model_line", "car__colour", "claimant")
        .prefetch_related(
            Prefetch(
                "car__ownerships",
                queryset=Ownership.objects.current().select_related("member"),
                to_attr="current_ownerships",
            )
        )
        .order_by("created_at", "id")
    )
    changes = list(
        CarChangeRequest.objects.filter(state=CarChangeRequest.State.PENDING)
        .select_related("car__model_line", "car__colour", "proposed_by")
        .order_by("created_at", "id")
    )
    attach_diffs(changes)
    return render(
        request,
        "register/staff/review.html",
        {
            "cars": list(cars),
            "claims": list(claims),
            "changes": changes,
            "reason_form": ReasonForm(),
        },
    )


def _decide(request, *, approve, reject) -> None:
    """Run the chosen decision; every refusal becomes a message, never an error page."""
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose Approve or Reject."))
        return
    try:
        if form.cleaned_data["decision"] == "approve":
            approve()
            return
        reason_form = ReasonForm(request.POST)
        if not reason_form.is_valid():
            messages.error(request, _("Please give a reason: it is sent to the member."))
            return
        reject(reason_form.cleaned_data["reason"])
    except (RegisterError, IntegrityError) as exc:
        messages.error(
            request,
            str(exc) if isinstance(exc, RegisterError) else _("That was already done."),
        )


@login_required
@require_POST
def review_car(request, pk: int):
    require_staff(request)
    car = get_object_or_404(Car, pk=pk)

    def approve():
        with transaction.atomic():
            locked = Car.objects.select_for_update().get(pk=car.pk)
            if locked.review_status != Car.Review.PENDING:
                raise RegisterError(_already(locked))
            done = services.car_approve(car=locked, staff=request.user)
        messages.success(
            request,
            _("Verified %(car)s: plaque No. %(plaque)s.")
            % {"car": done, "plaque": done.plaque_number},
        )

    def reject(reason: str):
        with transaction.atomic():
            locked = Car.objects.select_for_update().get(pk=car.pk)
            if locked.review_status != Car.Review.PENDING:
                raise RegisterError(_already(locked))
            done = services.car_reject(car=locked, staff=request.user, reason=reason)
        messages.success(
            request, _("Rejected %(car)s; the owner has been told why.") % {"car": done}
        )

    _decide(request, approve=approve, reject=reject)
    return redirect(_review_url("cars"))


def _already(car: Car) -> str:
    return _("%(car)s has already been decided: it is now “%(status)s”.") % {
        "car": car,
        "status": car.get_review_status_display(),
    }


@login_required
@require_POST
def review_claim(request, pk: int):
    require_staff(request)
    claim = get_object_or_404(Claim.objects.select_related("car"), pk=pk)

    def approve():
        services.claim_approve(claim=claim, staff=request.user)
        messages.success(
            request, _("Claim approved: %(car)s has a new owner.") % {"car": claim.car}
        )

    def reject(reason: str):
        services.claim_reject(claim=claim, staff=request.user, reason=reason)
        messages.success(request, _("Claim rejected; the member has been told why."))

    _decide(request, approve=approve, reject=reject)
    return redirect(_review_url("claims"))


@login_required
@require_POST
def review_change(request, pk: int):
    require_staff(request)
    change = get_object_or_404(CarChangeRequest.objects.select_related("car"), pk=pk)

    def approve():
        services.car_change_accept(change=change, staff=request.user)
        messages.success(
            request,
            _("Change accepted: %(car)s shows it now and stays verified.") % {"car": change.car},
        )

    def reject(reason: str):
        services.car_change_reject(change=change, staff=request.user, reason=reason)
        messages.success(request, _("Change rejected; the owner has been told why."))

    _decide(request, approve=approve, reject=reject)
    return redirect(_review_url("changes"))


@login_required
@require_http_methods(["GET", "POST"])
def import_cars(request):
    require_staff(request)
    if request.method == "GET" and request.GET.get("template"):
        return streaming_csv_response(
            filename="register-import-template.csv",
            header=importer.COLUMNS,
            rows=importer.template_rows(),
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    imported = 0
    if request.method == "POST" and form.is_valid():
        report = form.report
        if form.cleaned_data["check_only"]:
            pass
        elif report.rejected and not form.cleaned_data["skip_rejected"]:
            count = len(report.rejected)
            text = ngettext(
                "Nothing was imported: %(count)s row rejected. Correct the file, or tick "
                "“Import the valid rows and skip the rejected ones”.",
                "Nothing was imported: %(count)s rows rejected. Correct the file, or tick "
                "“Import the valid rows and skip the rejected ones”.",
                count,
            )
            messages.error(request, text % {"count": number_format(count, force_grouping=True)})
        elif report.valid:
            try:
                imported = len(importer.import_rows(rows=report.valid, staff=request.user))
            except IntegrityError:
                messages.error(
                    request,
                    _(
                        "Nothing was imported: a car in the file was added to the register "
                        "while the file was being checked. Please upload it again."
                    ),
                )
            else:
                text = ngettext("Imported %(count)s car.", "Imported %(count)s cars.", imported)
                count = number_format(imported, force_grouping=True)
                messages.success(request, text % {"count": count})
        else:
            messages.error(request, _("The file has no valid rows to import."))
    return render(
        request,
        "register/staff/import.html",
        {
            "form": form,
            "report": report,
            "imported": imported,
            "columns": importer.COLUMNS,
            "max_rows": importer.MAX_ROWS,
        },
    )


@login_required
def claim_evidence(request, pk: int):
    """A claim's evidence photo (a registration document): staff only, never public media."""
    require_staff(request)
    claim = get_object_or_404(Claim, pk=pk)
    return private_photo(claim.evidence_photo, missing=_("This claim has no photo."))


def private_photo(photo, *, missing: str) -> FileResponse:
    """A photo only staff may see, never cached; 404 when there is none or its file is gone."""
    if not photo:
        raise Http404(missing)
    try:
        opened = photo.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(missing) from None
    response = FileResponse(opened, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response
