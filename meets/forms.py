import datetime
import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.lib.forms import model_text_field
from config.lib.images import clean_image
from meets import questions
from meets.models import RSVP, Meet, Message
from meets.services import ODOMETER_MAX_KM
from register.models import Car

LOCAL_DT = "%Y-%m-%dT%H:%M"

# Longest free texts an organiser or member may type (characters), checked by the forms:
# the database's text columns have no limit of their own. README "Limits" lists them all.
DESCRIPTION_MAX_LENGTH = 5000
MESSAGE_BODY_MAX_LENGTH = 5000
CANCEL_REASON_MAX_LENGTH = 1000
OFFER_HOURS_MAX = 168  # a week to accept a waiting-list offer


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the venue's zone (made aware in the form's clean)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_DT)
    input_formats = [LOCAL_DT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def to_python(self, value):
        # Parse as a naive wall-clock time; the form attaches the venue's zone.
        value = forms.Field.to_python(self, value)
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.replace(tzinfo=None)
        for fmt in self.input_formats:
            try:
                return datetime.datetime.strptime(value.strip(), fmt)
            except (ValueError, TypeError):
                continue
        raise forms.ValidationError(_("Enter a date and time, e.g. 2027-05-14 09:00."))


class MeetForm(forms.ModelForm):
    starts_at = LocalDateTimeField(label=_("Starts (venue's local time)"))
    ends_at = LocalDateTimeField(label=_("Ends (venue's local time)"))
    rsvp_opens_at = LocalDateTimeField(label=_("RSVPs open"), required=False)
    rsvp_closes_at = LocalDateTimeField(
        label=_("RSVPs close"), required=False, help_text=_("Empty: when the meet starts.")
    )
    map_url = forms.URLField(
        label=_("Link to an online map"),
        required=False,
        assume_scheme="https",
        max_length=Meet._meta.get_field("map_url").max_length,
    )
    description = model_text_field(
        Meet,
        "description",
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    class Meta:
        model = Meet
        fields = [
            "title",
            "description",
            "cover_image",
            "venue_name",
            "venue_address",
            "venue_country",
            "latitude",
            "longitude",
            "map_url",
            "time_zone",
            "starts_at",
            "ends_at",
            "capacity",
            "rsvp_opens_at",
            "rsvp_closes_at",
            "members_only",
            "attendee_visibility",
            "promotion",
            "offer_hours",
        ]
        widgets = {"promotion": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capacity"].min_value = 1
        self.fields["capacity"].widget.attrs.update(min=1, max=10000)
        self.fields["offer_hours"].widget.attrs.update(min=1, max=OFFER_HOURS_MAX)
        # Left out of a form sent from before these fields existed: the meet keeps its own.
        self.fields["promotion"].required = False
        self.fields["offer_hours"].required = False
        meet = self.instance
        if meet.pk:
            for name in ("starts_at", "ends_at", "rsvp_opens_at", "rsvp_closes_at"):
                value = getattr(meet, name)
                if value:
                    self.initial[name] = timezone.localtime(value, meet.tz).replace(tzinfo=None)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("The meet"), "title", "description", "cover_image"),
            Fieldset(
                _("Where"),
                "venue_name",
                "venue_address",
                Div(
                    Div("venue_country", css_class="col-md-4"),
                    Div("latitude", css_class="col-md-4"),
                    Div("longitude", css_class="col-md-4"),
                    css_class="row",
                ),
                "map_url",
            ),
            Fieldset(
                _("When"),
                "time_zone",
                Div(
                    Div("starts_at", css_class="col-md-6"),
                    Div("ends_at", css_class="col-md-6"),
                    css_class="row",
                ),
                Div(
                    Div("rsvp_opens_at", css_class="col-md-6"),
                    Div("rsvp_closes_at", css_class="col-md-6"),
                    css_class="row",
                ),
            ),
            Fieldset(_("Who"), "capacity", "members_only", "attendee_visibility"),
            Fieldset(_("The waiting list"), "promotion", "offer_hours"),
        )

    def clean_cover_image(self):
        image = self.cleaned_data.get("cover_image")
        if isinstance(image, UploadedFile):
            return clean_image(image, max_side=1600)
        return image

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity < 1 or capacity > 10000:
            raise forms.ValidationError(
                _("Capacity is between 1 and %(most)s cars."),
                params={"most": number_format(10000, force_grouping=True)},
            )
        return capacity

    def clean_promotion(self):
        return self.cleaned_data["promotion"] or self.instance.promotion

    def clean_offer_hours(self):
        hours = self.cleaned_data["offer_hours"]
        if hours is None:
            return self.instance.offer_hours
        if not 1 <= hours <= OFFER_HOURS_MAX:
            raise forms.ValidationError(
                _("An offer lasts between 1 and %(most)s hours."), params={"most": OFFER_HOURS_MAX}
            )
        return hours

    def clean(self):
        data = super().clean()
        zone = self.instance.tz
        if data.get("time_zone"):
            zone = zoneinfo.ZoneInfo(data["time_zone"])
        for name in ("starts_at", "ends_at", "rsvp_opens_at", "rsvp_closes_at"):
            value = data.get(name)
            if value is not None:
                data[name] = value.replace(tzinfo=zone)
                try:
                    # Stored in UTC: 9999-12-31 23:59 in UTC-12 would be the year 10000.
                    data[name].astimezone(datetime.UTC)
                except OverflowError:
                    self.add_error(name, _("Enter a date and time between the years 1 and 9999."))
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The meet must end after it starts."))
        opens, closes = data.get("rsvp_opens_at"), data.get("rsvp_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("rsvp_closes_at", _("RSVPs must close after they open."))
        if closes and ends and closes > ends:
            self.add_error("rsvp_closes_at", _("RSVPs cannot close after the meet has ended."))
        return data

    def save(self, commit=True):
        meet = super().save(commit=False)
        if not meet.slug:
            base = slugify(f"{meet.title}-{meet.starts_at:%Y-%m-%d}")[:120] or "meet"
            slug, n = base, 2
            while Meet.objects.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            meet.slug = slug
        if commit:
            meet.save()
        return meet


def _car_choice_label(car) -> str:
    """A car in the RSVP form's list: colour, model, plaque number and the VIN's end."""
    label = f"{car.colour.name if car.colour else gettext('Car')} {car.model_line.name}"
    if car.plaque_number:
        label += " · " + gettext("No. %(number)s") % {"number": car.plaque_number}
    return f"{label} · …{car.vin_short}"


class OwnedCarField(forms.ModelChoiceField):
    """The member's cars, with their model and colour for the labels.

    Checking a sent choice needs none of that: it looks the car up on its own, which
    keeps an RSVP sent in a burst to one light query.
    """

    def to_python(self, value):
        queryset = self.queryset
        self.queryset = queryset.select_related(None)
        try:
            return super().to_python(value)
        finally:
            self.queryset = queryset


def meets_for_rsvp():
    """Meets with `asks_at_rsvp` (whether they ask any question at RSVP) in the same query:
    RSVPForm then looks the questions up only for a meet that has some."""
    asked = questions.Question.objects.filter(
        meet=OuterRef("pk"), asked_at=questions.Question.Stage.RSVP
    )
    return Meet.objects.annotate(asks_at_rsvp=Exists(asked))


class RSVPForm(forms.Form):
    car = OwnedCarField(queryset=Car.objects.none(), label=_("The car you'll bring"))
    guests = forms.IntegerField(
        label=_("Guests (passengers and friends)"),
        min_value=0,
        max_value=RSVP.MAX_GUESTS,
        initial=0,
    )

    def __init__(self, *args, meet: Meet, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.meet = meet
        cars = Car.objects.owned_by(member).select_related("model_line", "colour")
        self.fields["car"].queryset = cars
        self.fields["car"].label_from_instance = _car_choice_label
        if not self.is_bound:
            only = list(cars[:2])
            if len(only) == 1:
                self.fields["car"].initial = only[0]
        # A meet from meets_for_rsvp() says whether it asks anything: most ask nothing.
        asks = getattr(meet, "asks_at_rsvp", True)
        self.questions = questions.rsvp_questions(meet) if asks else []
        questions.add_question_fields(self, self.questions)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def answers(self) -> dict:
        """The answers to the meet's questions, keyed and typed as RSVP.answers keeps them."""
        return questions.cleaned_answers(self, self.questions)


class CheckinSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, plate, VIN or plaque number"), max_length=80, required=False)


class MessageForm(forms.ModelForm):
    body = model_text_field(
        Message,
        "body",
        max_length=MESSAGE_BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    class Meta:
        model = Message
        fields = ["audience", "subject", "body"]
        widgets = {"audience": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = Message.Audience.choices  # no "---------" radio
        self.helper = FormHelper()
        self.helper.form_tag = False


class HelperForm(forms.Form):
    member = forms.CharField(
        label=_("Member's e-mail address or membership number"), max_length=254
    )

    def clean_member(self):
        from accounts.models import User

        raw = self.cleaned_data["member"].strip().lstrip("#")
        lookup = {"membership_number": int(raw)} if raw.isdecimal() else {"email__iexact": raw}
        member = User.objects.filter(is_active=True, **lookup).first()
        if member is None:
            raise forms.ValidationError(_("We found no member with that e-mail address or number."))
        return member


class CancelMeetForm(forms.Form):
    reason = forms.CharField(
        label=_("Message to everyone going or waiting"),
        required=False,
        max_length=CANCEL_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CheckinForm(forms.Form):
    """The gate's Check in button. `back` names the page to return to afterwards."""

    back = forms.ChoiceField(
        choices=[("checkin", _("Check-in list")), ("attendees", _("Attendee list"))],
        required=False,
    )
    # Optional: the odometer as the car arrives becomes a dated mileage reading of the car.
    odometer_km = forms.IntegerField(
        label=_("Odometer (km)"),
        required=False,
        min_value=0,
        max_value=ODOMETER_MAX_KM,
        error_messages={"invalid": _("The odometer reading must be a whole number of kilometres.")},
    )


class CheckinAnswersForm(CheckinForm):
    """A check-in code's Check in button, with the meet's questions asked at check-in,
    filled in with what the RSVP answered already."""

    def __init__(self, *args, asked: list, rsvp: RSVP, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = asked
        questions.add_question_fields(self, asked)
        for question in asked:
            if question.key in (rsvp.answers or {}):
                self.initial[questions.field_name(question)] = questions.to_form_data(
                    question, rsvp.answers[question.key]
                )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(*[questions.field_name(q) for q in asked])

    def answers(self) -> dict:
        return questions.cleaned_answers(self, self.questions)


class HelperRemoveForm(forms.Form):
    helper = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)

    def __init__(self, *args, meet: Meet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].queryset = meet.checkin_helpers.all()


class GateDeviceForm(forms.Form):
    """A new device for the check-in app: its name, to tell devices apart."""

    name = forms.CharField(
        label=_("Device name"),
        max_length=60,
        help_text=_("E.g. “Gate A” or “Anna's phone”: shown with each check-in it makes."),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the device a name."))
        return name
