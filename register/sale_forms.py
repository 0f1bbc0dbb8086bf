"""Forms of the cars-for-sale pages: list a car, end the listing, write to the other party."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.models import User
from config.lib.forms import LongTextField
from membership.money import parse_amount
from register.forms import TransferForm, _no_future
from register.sale import DESCRIPTION_MAX_LENGTH, MESSAGE_MAX_LENGTH

# Twenty million: anything above is a typo, and it fits every database's integer column.
MAX_PRICE_CENTS = 20_000_000_00


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ListingForm(_Form):
    price = forms.CharField(
        label=_("Price"),
        max_length=20,
        required=False,
        help_text=_("Leave empty for “price on request”."),
    )
    description = LongTextField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What a buyer should know. Do not write your address or telephone number: "
            "buyers write to you through the site."
        ),
    )

    def clean_price(self) -> int | None:
        raw = self.cleaned_data["price"].strip()
        if not raw:
            return None
        try:
            cents = parse_amount(raw)
        except ValueError:
            raise forms.ValidationError(
                gettext("Please write the price as a number, e.g. 64500 or 64500.00.")
            ) from None
        if cents <= 0 or cents > MAX_PRICE_CENTS:
            raise forms.ValidationError(gettext("That price is not plausible."))
        return cents


class SoldToMemberForm(TransferForm):
    """Sold to a member: the existing transfer form (buyer by e-mail or number, date)."""


class InviteBuyerForm(_Form):
    email = forms.EmailField(
        label=_("The buyer's e-mail address"),
        help_text=_("We invite them to join the club; once approved, they accept the car."),
    )
    sold_on = forms.DateField(
        label=_("Date of sale"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, seller: User, **kwargs):
        self.seller = seller
        super().__init__(*args, **kwargs)
        self.fields["sold_on"].initial = timezone.localdate

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email == self.seller.email.lower():
            raise forms.ValidationError(gettext("You cannot transfer a car to yourself."))
        return email

    def clean_sold_on(self):
        value = self.cleaned_data["sold_on"]
        _no_future(value, gettext("The date of sale cannot be in the future."))
        return value


class SoldOutsideForm(_Form):
    buyer_name = forms.CharField(
        label=_("The buyer's name"),
        max_length=120,
        help_text=_(
            "Kept for the register's history; shown only to the club's staff and the car's "
            "next verified owner: the buyer was never asked."
        ),
    )
    country = CountryField(blank=True).formfield(label=_("The buyer's country"), required=False)
    sold_on = forms.DateField(
        label=_("Date of sale"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sold_on"].initial = timezone.localdate

    def clean_sold_on(self):
        value = self.cleaned_data["sold_on"]
        _no_future(value, gettext("The date of sale cannot be in the future."))
        return value


class WithdrawForm(_Form):
    confirm = forms.BooleanField(label=_("Yes, take the car off sale"))


class MessageForm(_Form):
    body = LongTextField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The other party reads it on the site; neither of you sees the other's e-mail address."
        ),
    )
