"""Form fields shared by the apps. Imports no app."""

from django import forms
from django.core.files.uploadedfile import UploadedFile

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
