"""Forms of the sightings: the public report, and the registrar's decision."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout
from django import forms
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from config.lib.forms import ImageUploadField, LongTextField
from register.forms import REASON_MAX_LENGTH
from register.sighting_models import EARLIEST_SIGHTING, Sighting
from register.sightings import PLATE_MAX_LENGTH, normalise_plate
from register.validators import normalise_vin, validate_vin

NOTE_MAX_LENGTH = 1000
_LAST7 = re.compile(r"^[A-HJ-NPR-Z0-9]{7}$")
# A town, not an address: no house numbers or postcodes.
_DIGIT = re.compile(r"\d")


def clean_identifier(kind: str, raw: str) -> str:
    """The identifier as stored and matched, or ValidationError in the reporter's words."""
    raw = (raw or "").strip()
    if kind == Sighting.Identifier.PLAQUE:
        number = raw.lstrip("#").removeprefix("No.").strip()
        if not number.isdecimal() or not 0 < int(number) < 10_000_000:
            raise forms.ValidationError(gettext("A plaque number is a whole number, e.g. 417."))
        return str(int(number))
    if kind == Sighting.Identifier.VIN:
        vin = normalise_vin(raw)
        validate_vin(vin)
        return vin
    if kind == Sighting.Identifier.LAST7:
        tail = normalise_vin(raw)
        if not _LAST7.match(tail):
            raise forms.ValidationError(
                gettext(
                    "The last 7 characters of a VIN are letters and digits (never I, O or Q), "
                    "e.g. E123456."
                )
            )
        return tail
    if kind == Sighting.Identifier.PLATE:
        plate = normalise_plate(raw)
        if not plate or len(plate) > PLATE_MAX_LENGTH or not plate.isalnum():
            raise forms.ValidationError(
                gettext("A registration plate has letters and digits only, e.g. M-AB 1234.")
            )
        return plate
    raise forms.ValidationError(gettext("Please choose how you identify the car."))


def clean_town(value: str) -> str:
    value = " ".join((value or "").split())
    if _DIGIT.search(value):
        raise forms.ValidationError(
            gettext("Please give the town only, not an address or a postcode.")
        )
    return value


class SightingForm(forms.Form):
    identifier_kind = forms.ChoiceField(
        label=_("How do you know the car?"),
        choices=Sighting.Identifier.choices,
        initial=Sighting.Identifier.PLAQUE,
        widget=forms.RadioSelect,
    )
    identifier = forms.CharField(
        label=_("Plaque number, VIN or registration plate"),
        max_length=40,
        help_text=_("As you read it; spaces and hyphens do not matter."),
    )
    town = forms.CharField(
        label=_("Town or nearest town"),
        max_length=80,
        help_text=_("Only the town, never an address: the car's page shows no more."),
    )
    country = CountryField(blank=False).formfield(label=_("Country"))
    seen_on = forms.DateField(label=_("Date seen"), widget=forms.DateInput(attrs={"type": "date"}))
    photo = ImageUploadField(label=_("Photo (optional)"), required=False)
    note = LongTextField(
        label=_("Anything else (optional)"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the registrar only."),
    )
    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=120, required=False)
    reporter_email = forms.EmailField(
        label=_("Your e-mail address"),
        required=False,
        help_text=_("For the registrar only, if they have a question; never shown to anyone."),
    )
    # A field people never see: a robot that fills in every field fills in this one too.
    website = forms.CharField(label=_("Leave this empty"), required=False, max_length=200)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        anonymous = not getattr(user, "is_authenticated", False)
        if anonymous:
            self.fields["reporter_email"].required = True
        else:
            del self.fields["reporter_name"]
            del self.fields["reporter_email"]
        limit = settings.PADDOCK_MAX_UPLOAD_BYTES / (1024 * 1024)
        self.fields["photo"].help_text = gettext(
            "JPEG, PNG, WebP or GIF, up to %(limit)s MB. "
            "Where it was taken is removed from the file."
        ) % {"limit": floatformat(limit, -2)}
        self.fields["seen_on"].widget.attrs.update(
            {"min": EARLIEST_SIGHTING.isoformat(), "max": timezone.localdate().isoformat()}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        about_you = ["reporter_name", "reporter_email"] if anonymous else []
        self.helper.layout = Layout(
            Fieldset(_("The car"), "identifier_kind", "identifier"),
            Fieldset(
                _("Where and when"),
                Div(
                    Div("town", css_class="col-md-6"),
                    Div("country", css_class="col-md-6"),
                    css_class="row",
                ),
                "seen_on",
                "photo",
                "note",
            ),
            *([Fieldset(_("About you"), *about_you)] if about_you else []),
            Div(
                Field("website", autocomplete="off", tabindex="-1"),
                css_class="visually-hidden",
                aria_hidden="true",
            ),
        )

    def clean_town(self):
        return clean_town(self.cleaned_data["town"])

    def clean_seen_on(self):
        value = self.cleaned_data["seen_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(gettext("The date cannot be in the future."))
        if value < EARLIEST_SIGHTING:
            raise forms.ValidationError(gettext("Please give a date from 1990 on."))
        return value

    def clean(self):
        data = super().clean()
        kind = data.get("identifier_kind")
        if kind and "identifier" in data:
            try:
                data["identifier"] = clean_identifier(kind, data["identifier"])
            except forms.ValidationError as exc:
                self.add_error("identifier", exc)
        return data

    @property
    def is_robot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class SightingDecisionForm(forms.Form):
    """The registrar's decision on one sighting: accept, reject with a reason, or link."""

    decision = forms.ChoiceField(
        choices=[
            ("accept", _("Accept")),
            ("reject", _("Reject")),
            ("link", _("Link to a car and accept")),
        ]
    )
    car = forms.CharField(label=_("The car's plaque number or VIN"), max_length=40, required=False)
    add_photo = forms.BooleanField(label=_("Add the photo to the car's photos"), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        from register.sightings import find_car

        data = super().clean()
        decision = data.get("decision")
        if decision == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", gettext("Please give a reason to reject the sighting."))
        if decision == "link":
            car = find_car(data.get("car") or "")
            if car is None:
                self.add_error(
                    "car",
                    gettext("No single car on the register has that plaque number or VIN."),
                )
            data["car"] = car
        else:
            data["car"] = None
        return data
