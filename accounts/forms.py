from allauth.account.fields import PasswordField
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.lib.forms import ImageUploadField
from config.lib.images import clean_image

AVATAR_SIDE = 512
# Longest password the delete form checks: longer than any real one, short enough that
# no one can make the server hash a megabyte.
PASSWORD_MAX_LENGTH = 1024


class LoginForm(AllauthLoginForm):
    """allauth's log-in, in the site's words ("Keep me logged in", not "Remember Me"), with
    a password as long as anywhere else on the site: a megabyte's would be hashed."""

    password = PasswordField(
        show_reset_help=True,
        label=_("Password"),
        autocomplete="current-password",
        max_length=PASSWORD_MAX_LENGTH,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me logged in")


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, taking as long for a registered address as for a new one.

    For an address that has an account, allauth (ACCOUNT_PREVENT_ENUMERATION) sends that
    account an e-mail and shows the same page as for a new one, but skips the new account's
    password hash: by far the slowest step, so the answer came a second sooner and told
    whether the address was registered. Here the password is hashed either way, with the
    same hasher as set_password, and thrown away.
    """

    def try_save(self, request):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


class ProfileForm(forms.ModelForm):
    avatar = ImageUploadField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF, up to 10 MB. We remove location and camera data."),
    )

    class Meta:
        model = User
        fields = [
            "display_name",
            "country",
            "city",
            "bio",
            "avatar",
            "name_visibility",
            "directory_listed",
            "show_location",
            "language",
        ]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 4}),
            "name_visibility": forms.RadioSelect,
        }
        help_texts = {
            "name_visibility": _(
                "Who may see your name next to your cars and RSVPs. In its place, other "
                "members see your membership number and the public sees “A member”."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("About you"), "display_name", "country", "city", "bio", "avatar"),
            Fieldset(_("Privacy"), "name_visibility", "directory_listed", "show_location"),
            Fieldset(_("Language"), "language"),
        )

    def clean_display_name(self):
        return " ".join(self.cleaned_data["display_name"].split())

    def clean_city(self):
        return " ".join(self.cleaned_data["city"].split())

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if isinstance(avatar, UploadedFile):
            return clean_image(avatar, max_side=AVATAR_SIDE)
        return avatar


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and personal data will be deleted for good."),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Delete my account"), css_class="btn-danger"))

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="wrong_password")
        return password


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
