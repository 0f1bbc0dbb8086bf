"""Form fields shared by the apps. Imports no app."""

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.lib.images import open_image


class ImageUploadField(forms.FileField):
    """A file field that accepts only a real, complete, reasonably sized picture.

    Unlike Django's ImageField it checks the size limit before decoding anything and
    gives our own messages (too large, not a picture, damaged, too many pixels).
    """

    widget = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if isinstance(upload, UploadedFile):
            open_image(upload)
        return upload


class LongTextField(forms.CharField):
    """Free text typed in a textarea, always with a length limit (`max_length` is required).

    Browsers count a line break as one character against the textarea's `maxlength` but
    send it as two (\\r\\n): line breaks become \\n before the length is checked, so a text
    the browser let through is not refused for its line breaks.

    For a list typed one item a line (a car's options, a meet's questions), `max_lines`
    caps the number of non-blank lines and `max_line_length` each line's length; blank
    lines and the spaces around each line are dropped.
    """

    widget = forms.Textarea
    default_error_messages = {
        "max_lines": _("Please keep to %(max)s lines (this has %(count)s)."),
        "max_line_length": _(
            "Line %(line)s has %(length)s characters; please keep each line to %(max)s."
        ),
    }

    def __init__(
        self,
        *,
        max_length: int,
        max_lines: int | None = None,
        max_line_length: int | None = None,
        **kwargs,
    ):
        if not max_length:
            raise TypeError("LongTextField needs a max_length")
        self.max_lines = max_lines
        self.max_line_length = max_line_length
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        if self.max_lines or self.max_line_length:
            value = "\n".join(line.strip() for line in value.split("\n") if line.strip())
        return value

    def validate(self, value):
        super().validate(value)
        lines = value.split("\n") if value else []
        if self.max_lines and len(lines) > self.max_lines:
            raise forms.ValidationError(
                self.error_messages["max_lines"],
                code="max_lines",
                params={"max": self.max_lines, "count": len(lines)},
            )
        if self.max_line_length:
            for number, line in enumerate(lines, start=1):
                if len(line) > self.max_line_length:
                    raise forms.ValidationError(
                        self.error_messages["max_line_length"],
                        code="max_line_length",
                        params={"line": number, "length": len(line), "max": self.max_line_length},
                    )


def model_text_field(model: type[models.Model], name: str, **kwargs) -> LongTextField:
    """A model's TextField as a LongTextField for a ModelForm, keeping its label and help.

    A TextField has no max_length, so the form field Django makes for it takes any length:
    declare it on the form with this instead, e.g.
    `story = model_text_field(Car, "story", max_length=5000)`.
    """
    return model._meta.get_field(name).formfield(form_class=LongTextField, **kwargs)
