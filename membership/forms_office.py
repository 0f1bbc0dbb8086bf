"""The office's forms: filters of its lists, and what staff record against an invoice.

Amounts are typed as people write them ("60", "60.00", "60,00") and become integer cents
(money.parse_amount). A form checks what it can alone; what depends on the invoice as it
is in the database (the balance, what was paid) the view checks again under the
invoice's lock, and hands back to the form as an error.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membership import methods
from membership.models import Invoice
from membership.money import cents_to_decimal, parse_amount

AMOUNT_MAX_LENGTH = 20
NOTE_MAX_LENGTH = 200
REASON_MAX_LENGTH = 200
SEARCH_MAX_LENGTH = 100
# No payment is recorded for a date this far from today: a typo (2062 for 2026).
DATE_WINDOW_DAYS = 366


class AmountField(forms.CharField):
    """An amount of money typed by a person, as integer cents (None when left empty)."""

    default_error_messages = {
        "invalid": _("Please type an amount such as 60, 60.00 or 60,00."),
        "not_positive": _("The amount must be more than zero."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", AMOUNT_MAX_LENGTH)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def clean(self, value):
        # The text is checked as text (required, its length), then read as money.
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            cents = parse_amount(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if cents <= 0:
            raise forms.ValidationError(self.error_messages["not_positive"], code="not_positive")
        return cents


def amount_initial(cents: int) -> str:
    """Cents as the text a form shows: 6000 → "60.00" (never float)."""
    return str(cents_to_decimal(max(cents, 0)))


class DateNearTodayField(forms.DateField):
    # A browser's date picker reads and sends ISO dates, whatever the page's language.
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def validate(self, value):
        super().validate(value)
        if value and abs((value - timezone.localdate()).days) > DATE_WINDOW_DAYS:
            raise forms.ValidationError(
                _("Please check the date: it is more than a year from today."), code="far"
            )


class PaymentForm(forms.Form):
    """Money staff received: cash or card at the gate, a transfer seen in the bank, …"""

    method = forms.ChoiceField(label=_("Paid by"), choices=())
    amount = AmountField(label=_("Amount"))
    received_on = DateNearTodayField(label=_("Received on"))
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX_LENGTH, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = methods.staff_choices()
        self.fields["received_on"].initial = timezone.localdate


class CreditNoteForm(forms.Form):
    """Cancel an invoice (empty amount: all that is left) or credit part of it."""

    amount = AmountField(
        label=_("Amount to credit"),
        required=False,
        help_text=_("Leave empty to credit all that is left (this cancels an open invoice)."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("Printed on the credit note."),
    )


class RefundForm(forms.Form):
    """Money given back to the member; at most what they paid."""

    method = forms.ChoiceField(label=_("Paid back by"), choices=())
    amount = AmountField(label=_("Amount"))
    received_on = DateNearTodayField(label=_("Paid back on"))
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX_LENGTH, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = methods.staff_choices()
        self.fields["received_on"].initial = timezone.localdate


def _year_choices():
    this_year = timezone.localdate().year
    return [("", _("Any year"))] + [(str(y), str(y)) for y in range(this_year + 1, 1999, -1)]


class InvoiceFilterForm(forms.Form):
    """The invoice list's filters (GET): a bad value is ignored, never an error page."""

    q = forms.CharField(label=_("Number or name"), max_length=SEARCH_MAX_LENGTH, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Invoice.Status.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("Invoices and credit notes")), *Invoice.Kind.choices],
        required=False,
    )
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, empty_value=None, required=False)
    overdue = forms.BooleanField(label=_("Only overdue (arrears)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices()

    def filters(self) -> dict:
        """The valid filters only: a tampered one is dropped, the others kept."""
        self.is_valid()
        return {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if name not in self.errors and value not in (None, "", False)
        }


class DigestForm(forms.Form):
    """The daily digest on or off (the button sends the new state: sent twice, still that)."""

    staff_digest = forms.BooleanField(required=False)


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2999, required=False)

    def chosen_year(self) -> int:
        if self.is_valid() and self.cleaned_data["year"]:
            return self.cleaned_data["year"]
        return timezone.localdate().year
