"""Forms of series and clones: "Clone this meet", "Repeat this meet", "Edit the series"."""

from crispy_forms.helper import FormHelper
from dateutil.relativedelta import relativedelta
from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from config.lib.forms import model_text_field
from meets.forms import DESCRIPTION_MAX_LENGTH, MeetForm
from meets.models import Meet, MeetSeries
from meets.series import MAX_DATES, MAX_YEARS, pattern_choices

SHIFTS = {"month": relativedelta(months=1), "year": relativedelta(years=1)}
COPIED = [
    "title",
    "description",
    "venue_name",
    "venue_address",
    "venue_country",
    "latitude",
    "longitude",
    "map_url",
    "time_zone",
    "capacity",
    "members_only",
    "attendee_visibility",
    "promotion",
    "offer_hours",
]


def clone_initial(source: Meet, shift: str) -> dict:
    """The clone form's values: `source`'s, a month or a year later on the venue's clock."""
    delta = SHIFTS.get(shift, SHIFTS["year"])
    initial = {name: getattr(source, name) for name in COPIED}
    for name in ("starts_at", "ends_at", "rsvp_opens_at", "rsvp_closes_at"):
        value = getattr(source, name)
        if value is not None:
            initial[name] = value.astimezone(source.tz).replace(tzinfo=None) + delta
    old_year, new_year = str(source.local_start.year), str(initial["starts_at"].year)
    if old_year != new_year and old_year in source.title:
        initial["title"] = source.title.replace(old_year, new_year)  # "… 2027" → "… 2028"
    return initial


class CloneForm(MeetForm):
    """The meet form, filled in from the meet it copies. The questions come along as
    they are (meets.series._copy_questions; changed afterwards on the new draft); the
    cover image too, unless a new one is chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cover_image"].help_text = _("Leave it empty to keep the meet's cover image.")


class RepeatForm(forms.Form):
    """The picker: how the meet repeats, and until when."""

    ENDS = [("count", _("After a number of dates")), ("until", _("On a day"))]

    pattern = forms.ChoiceField(label=_("Repeat"), widget=forms.RadioSelect)
    ends = forms.ChoiceField(
        label=_("Ends"), choices=ENDS, initial="count", widget=forms.RadioSelect
    )
    count = forms.IntegerField(
        label=_("Number of dates, this one included"),
        min_value=2,
        max_value=MAX_DATES,
        initial=6,
        required=False,
    )
    until = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    publish_dates = forms.BooleanField(
        label=_("Publish the new dates straight away"),
        required=False,
        initial=True,
        help_text=_("Untick it to have them made as drafts you publish one by one."),
    )

    def __init__(self, *args, meet: Meet, **kwargs):
        super().__init__(*args, **kwargs)
        self.first = meet.local_start.date()
        self.fields["pattern"].choices = pattern_choices(self.first)
        self.fields["pattern"].initial = self.fields["pattern"].choices[0][0]
        self.fields["count"].help_text = _("At most %(most)d.") % {"most": MAX_DATES}
        self.fields["until"].help_text = _(
            "At most %(years)d years ahead; the series stops after %(most)d dates."
        ) % {"years": MAX_YEARS, "most": MAX_DATES}
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        if data.get("ends") == "until":
            until = data.get("until")
            if until is None:
                self.add_error("until", _("Give the last day, or end after a number of dates."))
            elif until <= self.first:
                self.add_error("until", _("The last day must be after the meet's day."))
            elif until > self.first + relativedelta(years=MAX_YEARS):
                self.add_error(
                    "until",
                    _("A series runs for %(years)d years at most: choose an earlier day.")
                    % {"years": MAX_YEARS},
                )
            data["count"] = None
        elif data.get("ends") == "count":
            if data.get("count") is None and "count" not in self.errors:
                self.add_error("count", _("Give the number of dates."))
            data["until"] = None
        return data


class SeriesForm(forms.ModelForm):
    description = model_text_field(
        MeetSeries,
        "description",
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    apply_to_future = forms.BooleanField(
        label=_("Also change the dates to come"),
        required=False,
        initial=True,
        help_text=_(
            "Dates that have started stay as they were. A date never gets fewer places "
            "than it has cars going; more places move cars up from its waiting list."
        ),
    )

    class Meta:
        model = MeetSeries
        fields = ["title", "description", "venue_name", "venue_address", "capacity"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capacity"].widget.attrs.update(min=1, max=10000)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity < 1 or capacity > 10000:
            raise forms.ValidationError(
                _("Capacity is between 1 and %(most)s cars."),
                params={"most": number_format(10000, force_grouping=True)},
            )
        return capacity
