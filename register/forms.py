import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.lib.forms import ImageUploadField, model_text_field
from register.models import Car, Colour, MileageReading, ModelLine, TimelineEntry
from register.validators import normalise_vin, validate_vin

MILES_TO_KM = 1.609344

# Longest free texts a member may type (characters), checked by the forms: the database's
# text columns have no limit of their own. README "Limits" lists them all.
STORY_MAX_LENGTH = 5000
OPTIONS_MAX_LENGTH = 3000
OPTIONS_MAX_LINES = 60  # options, one a line
OPTION_MAX_LENGTH = 150
TIMELINE_BODY_MAX_LENGTH = 2000
EVIDENCE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 1000


class MonthField(forms.DateField):
    """A month picker: "2011-06" becomes 1 June 2011."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%m/%Y", "%Y-%m-%d"]

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


def _no_future(value: datetime.date | None, message: str) -> None:
    """Refuse a date after today with `message`, e.g. "The date cannot be in the future."."""
    if value and value > timezone.localdate():
        raise forms.ValidationError(message)


class CarForm(forms.ModelForm):
    """The spec of a car, for registering a new car and for the owner's edits."""

    build_date = MonthField(label=_("Build month"), required=False)
    options = model_text_field(
        Car,
        "options",
        max_length=OPTIONS_MAX_LENGTH,
        max_lines=OPTIONS_MAX_LINES,
        max_line_length=OPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    story = model_text_field(
        Car, "story", max_length=STORY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5})
    )

    class Meta:
        model = Car
        fields = [
            "vin",
            "model_line",
            "colour",
            "build_date",
            "market",
            "country",
            "transmission",
            "steering",
            "options",
            "status",
            "story",
            "vin_visibility",
            "registration_plate",
            "plate_visibility",
        ]
        widgets = {"vin_visibility": forms.RadioSelect, "plate_visibility": forms.RadioSelect}
        # The first mention of the VIN in a form: in German "FIN (VIN)", then "FIN".
        labels = {"vin": pgettext_lazy("form label", "VIN")}
        help_texts = {
            "vin": _("17 characters, on the windscreen base or the registration document."),
            "vin_visibility": _("Staff always see the full VIN; you choose what the public sees."),
            "plate_visibility": _(
                "You and the club's staff always see the plate, and so do the organisers and "
                "check-in helpers of a meet you are going to with this car, to find it at the "
                "gate. Choose who else may see it on the car's page."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["colour"].queryset = Colour.objects.select_related("model_line")
        self.fields["model_line"].queryset = ModelLine.objects.all()
        if self.instance.pk:
            # The VIN identifies the car; only staff correct it, in the admin.
            self.fields["vin"].disabled = True
        else:
            # People type VINs with spaces and dashes: clean_vin drops them, then checks
            # the 17 characters. The model's max_length must not refuse them first.
            vin = self.fields["vin"]
            vin.max_length = 40
            vin.validators = [v for v in vin.validators if not isinstance(v, MaxLengthValidator)]
            vin.widget.attrs["maxlength"] = "40"
        self.fields["plate_visibility"].required = False
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("The car"),
                "vin",
                Div(
                    Div("model_line", css_class="col-md-6"),
                    Div("colour", css_class="col-md-6"),
                    css_class="row",
                ),
                Div(
                    Div("build_date", css_class="col-md-4"),
                    Div("market", css_class="col-md-4"),
                    Div("country", css_class="col-md-4"),
                    css_class="row",
                ),
                Div(
                    Div("transmission", css_class="col-md-4"),
                    Div("steering", css_class="col-md-4"),
                    Div("status", css_class="col-md-4"),
                    css_class="row",
                ),
                "options",
                "story",
            ),
            Fieldset(_("Privacy"), "vin_visibility", "registration_plate", "plate_visibility"),
        )

    def clean_vin(self):
        if self.instance.pk:
            return self.instance.vin
        vin = normalise_vin(self.cleaned_data.get("vin", ""))
        validate_vin(vin)
        existing = Car.objects.filter(vin=vin).first()
        if existing is not None and not existing.is_public:
            raise forms.ValidationError(
                _(
                    "This VIN is already waiting for the registrar. If the car is yours and you "
                    "did not register it, please contact the club's staff."
                ),
                code="duplicate_vin",
            )
        if existing is not None:
            claim_url = reverse("register:claim", args=[existing.pk])
            raise forms.ValidationError(
                format_html(
                    gettext(
                        "This car is already on the register. If it is yours, "
                        '<a href="{url}">claim it</a> instead.'
                    ),
                    url=claim_url,
                ),
                code="duplicate_vin",
            )
        return vin

    def clean_build_date(self):
        value = self.cleaned_data.get("build_date")
        _no_future(value, gettext("The build month cannot be in the future."))
        return value

    def clean_registration_plate(self):
        from register.sightings import PLATE_MAX_LENGTH, normalise_plate

        plate = normalise_plate(self.cleaned_data.get("registration_plate", ""))
        if plate and (len(plate) > PLATE_MAX_LENGTH or not plate.isalnum()):
            raise forms.ValidationError(
                gettext("A registration plate has letters and digits only, e.g. M-AB 1234.")
            )
        return plate

    def clean_plate_visibility(self):
        # A form posted without the choice (an older page) keeps what the car had.
        return self.cleaned_data.get("plate_visibility") or self.instance.plate_visibility

    def clean(self):
        data = super().clean()
        colour, line = data.get("colour"), data.get("model_line")
        if colour and line and colour.model_line_id != line.pk:
            self.add_error(
                "colour",
                gettext("%(colour)s is not a colour of the %(line)s.")
                % {"colour": colour.name, "line": line.name},
            )
        return data


class NewCarForm(CarForm):
    started_on = forms.DateField(
        label=_("You have owned it since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout.append(Fieldset(_("Your ownership"), "started_on"))

    def clean_started_on(self):
        value = self.cleaned_data.get("started_on")
        _no_future(value, gettext("The date you bought it cannot be in the future."))
        return value


class ClaimForm(forms.Form):
    evidence = forms.CharField(
        label=_("Your evidence"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=EVIDENCE_MAX_LENGTH,
        help_text=_("When and from whom you bought it, and what documents you hold."),
    )
    evidence_photo = ImageUploadField(
        label=_("A photo of the registration document (hide your address)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class FindCarForm(forms.Form):
    vin = forms.CharField(label=pgettext_lazy("form label", "VIN"), max_length=40)

    def clean_vin(self):
        vin = normalise_vin(self.cleaned_data["vin"])
        validate_vin(vin)
        return vin


class TimelineEntryForm(forms.ModelForm):
    body = model_text_field(
        TimelineEntry,
        "body",
        max_length=TIMELINE_BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = TimelineEntry
        fields = ["kind", "happened_on", "title", "body"]
        widgets = {"happened_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.fields["title"].required = True
        if self.instance.system_text:
            # Staff correcting an entry the site wrote: it becomes their words.
            self.initial["title"] = self.instance.display_title

    def save(self, commit=True):
        entry = self.instance
        if entry.system_text:
            if self.cleaned_data["title"] == self.initial.get("title"):
                entry.title = ""  # The site's words stay the site's, in every language.
            else:
                entry.system_text, entry.params = "", {}
        return super().save(commit)

    def clean_happened_on(self):
        value = self.cleaned_data["happened_on"]
        _no_future(value, gettext("The date cannot be in the future."))
        if value.year < 1900:
            raise forms.ValidationError(gettext("Please check the year."))
        return value


class MileageForm(forms.ModelForm):
    """A reading of the odometer. One that goes backwards is kept only when confirmed."""

    UNITS = [("km", "km"), ("mi", _("miles"))]
    distance = forms.IntegerField(label=_("Odometer reading"), min_value=0, max_value=3_000_000)
    unit = forms.ChoiceField(label=_("Unit"), choices=UNITS, initial="km")
    # Shown (as a checkbox) only once a reading goes backwards: see clean().
    confirm_lower = forms.BooleanField(
        label=_("Yes, the odometer really shows this reading"),
        required=False,
        widget=forms.HiddenInput,
    )

    class Meta:
        model = MileageReading
        fields = ["read_on"]
        widgets = {"read_on": forms.DateInput(attrs={"type": "date"})}
        labels = {"read_on": _("Read on")}

    def __init__(self, *args, car: Car, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.car = car
        self.fields["read_on"].initial = timezone.localdate
        if self.instance.pk:
            self.fields["distance"].initial = self.instance.kilometres
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_read_on(self):
        value = self.cleaned_data["read_on"]
        _no_future(value, gettext("The reading date cannot be in the future."))
        return value

    def clean(self):
        data = super().clean()
        if "distance" not in data or "unit" not in data or "read_on" not in data:
            return data
        distance, unit = data["distance"], data["unit"]
        reading = self.instance
        reading.read_on = data["read_on"]
        reading.kilometres = round(distance * MILES_TO_KM) if unit == "mi" else distance
        other = reading.goes_back_from()
        reading.flagged = other is not None
        if other is not None and not data.get("confirm_lower"):
            self.fields["confirm_lower"].widget = forms.CheckboxInput()
            self.add_error(
                "confirm_lower",
                gettext(
                    "This reading goes backwards: the car had %(km)s km on %(date)s. If the "
                    "odometer really shows it (a replaced instrument cluster, say), tick the "
                    "box and save again; the reading will be marked as checked."
                )
                % {
                    "km": number_format(other.kilometres, force_grouping=True),
                    "date": date_format(other.read_on),
                },
            )
        return data

    def kilometres(self) -> int:
        """The reading in kilometres (clean() converts miles)."""
        return self.instance.kilometres


class PhotoForm(forms.Form):
    image = ImageUploadField(label=_("Photo"))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)
    make_cover = forms.BooleanField(label=_("Use as the cover photo"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit is configurable (PADDOCK_MAX_UPLOAD_MB): say the one that applies.
        limit = settings.PADDOCK_MAX_UPLOAD_BYTES / (1024 * 1024)
        self.fields["image"].help_text = gettext("JPEG, PNG, WebP or GIF, up to %(limit)s MB.") % {
            "limit": floatformat(limit, -2)
        }
        self.helper = FormHelper()
        self.helper.form_tag = False


class TransferForm(forms.Form):
    buyer = forms.CharField(
        label=_("The buyer's e-mail address or membership number"),
        max_length=254,
        help_text=_("The buyer must be a member of the club; they accept the transfer themselves."),
    )
    transfer_date = forms.DateField(
        label=_("Date of sale"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, seller: User, **kwargs):
        self.seller = seller
        super().__init__(*args, **kwargs)
        self.fields["transfer_date"].initial = timezone.localdate
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_buyer(self):
        raw = self.cleaned_data["buyer"].strip()
        number = raw.lstrip("#").removeprefix("No.").strip()
        lookup = Q(membership_number=int(number)) if number.isdecimal() else Q(email__iexact=raw)
        buyer = User.objects.filter(lookup, is_active=True).first()
        if buyer is None or buyer.membership_number is None:
            raise forms.ValidationError(
                gettext("We found no member with that e-mail address or number.")
            )
        if buyer.pk == self.seller.pk:
            raise forms.ValidationError(gettext("You cannot transfer a car to yourself."))
        return buyer

    def clean_transfer_date(self):
        value = self.cleaned_data["transfer_date"]
        _no_future(value, gettext("The date of sale cannot be in the future."))
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the member)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX_LENGTH,
    )


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, delete it"))


class TransferResponseForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline")), ("cancel", _("Cancel"))]
    )
