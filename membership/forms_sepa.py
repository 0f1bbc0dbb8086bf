"""Forms of the direct debit pages: a member's mandate, staff's collections and returns."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membership import sepa


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MandateForm(forms.Form):
    account_holder = forms.CharField(
        label=_("Account holder"),
        max_length=70,
        help_text=_("The name the account is held in, as the bank knows it."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        # 34 characters at most, and a space after every four.
        max_length=42,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "DE89 3704 …"}
        ),
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=14,
        required=False,
        help_text=_("Optional: found from the IBAN where it can be."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    consent = forms.BooleanField(
        label=_("I give the SEPA direct debit mandate above."),
        error_messages={"required": _("Please tick the box to give the mandate.")},
    )

    def clean_account_holder(self) -> str:
        return " ".join(self.cleaned_data["account_holder"].split())

    def clean_iban(self) -> str:
        try:
            return sepa.iban_parse(self.cleaned_data["iban"]).compact
        except sepa.SepaError as error:
            raise forms.ValidationError(str(error), code="invalid") from None

    def clean_bic(self) -> str:
        try:
            return sepa.bic_parse(self.cleaned_data.get("bic", ""))
        except sepa.SepaError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


class MandateRevokeForm(forms.Form):
    """Names the mandate meant: a page left open does not revoke a newer one."""

    reference = forms.CharField(max_length=35, widget=forms.HiddenInput)


class CollectionForm(forms.Form):
    collection_date = forms.DateField(label=_("Collection date"), widget=_date_input())

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_collection_date(self) -> datetime.date:
        day = self.cleaned_data["collection_date"]
        problem = sepa.collection_date_problem(day, self.today)
        if problem:
            raise forms.ValidationError(problem, code="date")
        return day


class DebitReturnForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason code"), choices=sepa.RETURN_REASONS)
    returned_on = forms.DateField(label=_("Returned on"), widget=_date_input())

    def __init__(self, *args, item=None, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.today = today or timezone.localdate()

    def clean_returned_on(self) -> datetime.date:
        day = self.cleaned_data["returned_on"]
        if day > self.today:
            raise forms.ValidationError(_("A return is recorded once it has happened."))
        if self.item is not None and day < timezone.localdate(self.item.collection.created_at):
            raise forms.ValidationError(
                _("The debit was exported on %(date)s; it cannot have come back before.")
                % {"date": timezone.localdate(self.item.collection.created_at).isoformat()}
            )
        return day
