"""The forms of meet albums: adding photos, tagging a car, and the organisers' decision."""

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.lib.images import open_image
from meets.album_models import AlbumPhoto
from meets.albums import car_by_plaque
from meets.models import Meet


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several pictures at once, each checked as ImageUploadField checks one (size first,
    then a full decode); a bad one is named in the message, and the whole set refused."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        files = [f for f in files if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        errors = []
        for upload in files:
            try:
                upload = super().clean(upload, initial)
                if isinstance(upload, UploadedFile):
                    open_image(upload)
            except ValidationError as exc:
                name = getattr(upload, "name", "") or gettext("a file")
                errors += [
                    gettext("%(file)s: %(problem)s") % {"file": name, "problem": message}
                    for message in exc.messages
                ]
        if errors:
            raise ValidationError(errors)
        return files


class PlaqueField(forms.CharField):
    """A plaque number typed as "12", "No. 12" or "#12": the public car that has it."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        car = car_by_plaque(value)
        if car is None:
            raise ValidationError(
                gettext("No car in the register has the plaque “%(plaque)s”.") % {"plaque": value},
                code="no_such_plaque",
            )
        return car


def _plaque_field():
    return PlaqueField(
        label=_("Car in the photo (plaque number)"),
        max_length=20,
        required=False,
        help_text=_("Optional. Its plaque number, e.g. 12: the photo then shows on its page."),
        widget=forms.TextInput(attrs={"list": "album-cars", "inputmode": "numeric"}),
    )


class AlbumUploadForm(forms.Form):
    photos = MultipleImageField(label=_("Photos"))
    caption = forms.CharField(
        label=_("Caption"),
        max_length=200,
        required=False,
        help_text=_("For every photo you add now; you can change it for each photo later."),
    )
    car = _plaque_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.PADDOCK_MAX_UPLOAD_BYTES / (1024 * 1024)
        self.fields["photos"].help_text = gettext(
            "JPEG, PNG, WebP or GIF, up to %(limit)s MB each; at most %(most)s photos per member. "
            "We remove location and camera data."
        ) % {"limit": floatformat(limit, -2), "most": settings.PADDOCK_ALBUM_PER_MEMBER}
        self.helper = FormHelper()
        self.helper.form_tag = False


class AlbumPhotoEditForm(forms.Form):
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)
    car = _plaque_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AlbumDecisionForm(forms.Form):
    """The organisers' choice for photos of one meet (ticked on the review page)."""

    APPROVE = "approve"
    REJECT = "reject"

    photos = forms.ModelMultipleChoiceField(
        queryset=AlbumPhoto.objects.none(),
        error_messages={
            "required": _("Tick at least one photo."),
            "invalid_choice": _("One of the photos is no longer there. Please look again."),
            "invalid_pk_value": _("One of the photos is no longer there. Please look again."),
            "invalid_list": _("Tick at least one photo."),
        },
    )
    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Add to the album")), (REJECT, _("Do not accept"))],
        error_messages={"required": _("Choose whether to add or refuse the photos.")},
    )

    def __init__(self, *args, meet: Meet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].queryset = AlbumPhoto.objects.filter(meet=meet)
