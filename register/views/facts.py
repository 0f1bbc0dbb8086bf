"""Every fact with its source: adding evidence, and the registrar settling disputes.

The owner (and staff) add a piece of evidence for one factory fact of a car; staff see the
cars whose sources disagree and settle each disputed fact with a reason. Anonymous
visitors are sent to log in; who may see a car but not change it gets 403; a car they may
not see, or a fact that does not exist, answers 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_countries import countries

from register import fact_services
from register.access import get_car_for_owner, require_staff
from register.facts import (
    FACT_NAMES,
    CarFact,
    FactSettlement,
    car_key,
    disputed_list,
    fact_label,
    fact_rows,
    facts_of,
    shown_value,
)
from register.forms import OPTIONS_MAX_LENGTH, REASON_MAX_LENGTH, MonthField
from register.models import Car, Colour, ModelLine

DISPUTED_PAGE_SIZE = 50


def _value_field(car: Car, name: str) -> forms.Field:
    label = fact_label(name)
    if name == "model_line":
        return forms.ModelChoiceField(ModelLine.objects.all(), label=label)
    if name == "colour":
        return forms.ModelChoiceField(
            Colour.objects.filter(model_line=car.model_line_id), label=label
        )
    if name == "paint_code":
        return forms.CharField(max_length=20, label=label)
    if name == "build_date":
        return MonthField(label=label)
    if name == "market":
        return forms.ChoiceField(choices=[("", "—"), *countries], label=label)
    if name == "options":
        return forms.CharField(
            max_length=OPTIONS_MAX_LENGTH,
            label=label,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=gettext_lazy("One option per line."),
        )
    choices = Car.Transmission.choices if name == "transmission" else Car.Steering.choices
    return forms.ChoiceField(choices=choices, label=label)


class FactForm(forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("Source"))
    source_note = forms.CharField(
        label=gettext_lazy("About the source"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("e.g. “BMW Classic certificate 2019”"),
    )
    confidence = forms.ChoiceField(
        label=gettext_lazy("How sure is the source?"),
        choices=CarFact.Confidence.choices,
        initial=CarFact.Confidence.LIKELY,
    )

    def __init__(self, *args, car: Car, name: str, staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"value": _value_field(car, name), **self.fields}
        sources = CarFact.Source.choices
        if not staff:
            sources = [(v, label) for v, label in sources if v in CarFact.OWNER_SOURCES]
        self.fields["source"].choices = sources


class SettleForm(forms.Form):
    value = forms.ChoiceField(label=gettext_lazy("The value that wins"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=gettext_lazy("Reason (kept in the car's history)"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = choices


def _fact_name(field: str) -> str:
    if field not in FACT_NAMES:
        raise Http404(_("No such factory fact."))
    return field


@login_required
@require_http_methods(["GET", "POST"])
def fact_add(request, pk: int, field: str):
    """The owner or staff record what one source says about one fact of the car."""
    car = get_car_for_owner(request, pk)
    name = _fact_name(field)
    staff = request.user.is_staff
    form = FactForm(request.POST or None, car=car, name=name, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            fact_services.car_fact_add(
                car=car,
                field=name,
                value=data["value"],
                source=data["source"],
                confidence=data["confidence"],
                note=data["source_note"],
                user=request.user,
            )
        except fact_services.FactError as exc:
            messages.error(request, str(exc))
            return redirect(car)
        car.refresh_from_db(fields=["disputed_fields"])
        if name in disputed_list(car):
            messages.success(
                request,
                _(
                    "Recorded. It differs from the register's value, so the registrar will "
                    "compare the sources and settle it."
                ),
            )
        else:
            messages.success(request, _("Recorded, with its source."))
        return redirect(f"{car.get_absolute_url()}#facts-title")
    return render(
        request,
        "register/facts/add.html",
        {"form": form, "car": car, "label": fact_label(name), "staff_view": staff},
    )


@login_required
@require_http_methods(["GET", "POST"])
def fact_settle(request, pk: int, field: str):
    """The registrar picks the value of a disputed fact that wins, with a reason."""
    require_staff(request)
    car = get_object_or_404(Car.objects.select_related("model_line", "colour"), pk=pk)
    name = _fact_name(field)
    row = next((r for r in fact_rows(car, facts_of(car)) if r.name == name), None)
    claims = [row.settled, *row.rivals] if row is not None else []
    choices = [(claim.key, claim.shown) for claim in claims]
    if not any(key == car_key(car, name) for key, _shown in choices):
        choices.insert(0, (car_key(car, name), shown_value(name, car_key(car, name))))
    form = SettleForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            fact_services.car_fact_settle(
                car=car,
                field=name,
                key=form.cleaned_data["value"],
                staff=request.user,
                reason=form.cleaned_data["reason"],
            )
        except fact_services.FactError as exc:
            messages.error(request, str(exc))
            return redirect(car)
        messages.success(
            request,
            _("Settled for %(car)s: %(fact)s, with your reason, on the register now.")
            % {"fact": fact_label(name), "car": car},
        )
        return redirect("register:facts_disputed")
    return render(
        request,
        "register/facts/settle.html",
        {
            "car": car,
            "row": row,
            "label": fact_label(name),
            "form": form,
            "disputed": name in disputed_list(car),
            "settlements": FactSettlement.objects.filter(car=car, field=name).select_related(
                "settled_by"
            )[:20],
        },
    )


@login_required
def facts_disputed(request):
    """The cars whose sources disagree on a factory fact, in the order they were added."""
    require_staff(request)
    cars = (
        Car.objects.filter(disputed_fields__gt="")
        .select_related("model_line", "colour")
        .order_by("id")
    )
    page = Paginator(cars, DISPUTED_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (car, [(name, fact_label(name)) for name in disputed_list(car)]) for car in page.object_list
    ]
    return render(request, "register/facts/disputed.html", {"page": page, "rows": rows})
