"""A member's own membership page (/membership/): where they stand, what they owe, renewing."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.privacy import name_for
from membership.methods import all_methods, label_of
from membership.models import Invoice, Level, Mandate, Payment
from membership.money import format_cents
from membership.paying import club_account, payment_context
from membership.services import membership_renew
from membership.standing import has_card, member_standing

# --- Renewing --------------------------------------------------------------------------


def _fee_text(level: Level) -> str:
    """ "60.00 EUR a year", "500.00 EUR once", "No fee"."""
    if level.fee_cents == 0:
        return _("No fee")
    fee = format_cents(level.fee_cents)
    if level.period == Level.Period.LIFE:
        return _("%(fee)s once") % {"fee": fee}
    return _("%(fee)s a year") % {"fee": fee}


class LevelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, level: Level) -> str:
        return f"{level.name} — {_fee_text(level)}"


class RenewForm(forms.Form):
    """Renew for the next term, at the member's level or another one open to members."""

    level = LevelChoiceField(
        label=gettext_lazy("Level for the next term"),
        queryset=Level.objects.none(),
        required=False,
        empty_label=None,
    )

    def __init__(self, *args, current: Level, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["level"]
        field.queryset = Level.objects.filter(
            Q(open_to_applicants=True) | Q(pk=current.pk)
        ).order_by("position", "name")
        field.initial = current.pk
        if not self.is_bound:
            # The options read once: the select and its "is the first one empty?" check
            # would each run the query again.
            field.choices = [(lv.pk, field.label_from_instance(lv)) for lv in field.queryset]


@login_required
@require_POST
def renew(request):
    standing = member_standing(request.user)
    home = reverse("membership:home")
    if standing.seat is None:
        raise PermissionDenied(_("You have no membership to renew yet."))
    if not standing.may_renew:
        if standing.dues is not None and standing.is_payer:
            messages.info(
                request,
                _("Your invoice %(number)s is open: pay it to renew.")
                % {"number": standing.dues.number},
            )
        elif not standing.is_payer:
            messages.info(request, _("The member who pays for your household renews it."))
        else:
            messages.info(request, _("Your membership is not due for renewal yet."))
        return redirect(home)
    form = RenewForm(request.POST, current=standing.level)
    if not form.is_valid():
        messages.error(request, _("Please choose one of the levels offered."))
        return redirect(home)
    invoice = membership_renew(
        membership=standing.membership, level=form.cleaned_data["level"] or None
    )
    if invoice is None:
        messages.info(
            request,
            _("Your level has no fee: there is nothing to pay. The club's staff renew it."),
        )
        return redirect(home)
    messages.success(
        request,
        _("Invoice %(number)s for %(amount)s is ready: pay it by %(date)s.")
        % {
            "number": invoice.number,
            "amount": format_cents(invoice.total_cents, invoice.currency),
            "date": date_format(invoice.due_on, "DATE_FORMAT"),
        },
    )
    return redirect(f"{home}#invoice-{invoice.number}")


# --- The page --------------------------------------------------------------------------


@login_required
def home(request):
    member = request.user
    standing = member_standing(member)
    context = {"standing": standing, "member": member, "has_card": has_card(member)}
    if standing.seat is None:
        return render(request, "membership/home.html", context)

    # Everything billed to this member (invoices and credit notes), with what was paid.
    invoices = list(
        Invoice.objects.filter(member=member)
        .select_related("credit_for")
        .annotate(paid_cents=Coalesce(Sum("payments__amount_cents"), 0))
        .order_by("-issued_on", "-year", "-serial")
    )
    open_invoices = [
        invoice
        for invoice in invoices
        if invoice.kind == Invoice.Kind.INVOICE and invoice.status == Invoice.Status.OPEN
    ]
    mandate = Mandate.objects.filter(member=member, status=Mandate.Status.ACTIVE).first()
    account = club_account()
    to_pay = [
        payment_context(
            invoice,
            balance_cents=invoice.total_cents - invoice.paid_cents,
            mandate=mandate,
            account=account,
        )
        for invoice in reversed(open_invoices)  # the oldest first
    ]
    receipts = list(
        Payment.objects.filter(invoice__member=member)
        .select_related("invoice")
        .order_by("-received_on", "-pk")
    )
    for payment in receipts:
        payment.method_label = label_of(payment.method)
        payment.amount_display = format_cents(payment.amount_cents, payment.invoice.currency)
    for invoice in invoices:
        invoice.total_display = format_cents(invoice.total_cents, invoice.currency)
    # The accounts that share the membership, named as this member may see them.
    seats = list(standing.membership.seats.select_related("member").order_by("pk"))
    household = [name_for(seat.member, member) for seat in seats if seat.member_id != member.pk]
    payer = next((name_for(s.member, member) for s in seats if s.is_payer), None)
    context.update(
        {
            "invoices": invoices,
            "to_pay": to_pay,
            "methods": [m for m in all_methods() if m.instructions_template],
            "receipts": receipts,
            "household": household,
            "payer": payer,
            "renew_form": RenewForm(current=standing.level) if standing.may_renew else None,
            "level_fee": _fee_text(standing.level),
        }
    )
    return render(request, "membership/home.html", context)


def profile_panel(request) -> str | None:
    """The profile's panel (MembershipConfig.profile_panel): none before approval."""
    member = request.user
    standing = member_standing(member)
    if standing.seat is None:
        return None
    dues = standing.dues if standing.dues and standing.dues.member_id == member.pk else None
    context = {
        "standing": standing,
        "dues": dues,
        "dues_amount": format_cents(dues.total_cents, dues.currency) if dues else "",
        "member": member,
        "has_card": has_card(member),
    }
    return render_to_string("membership/includes/_profile_panel.html", context, request=request)


member_urls: list = [
    path("", home, name="home"),
    path("renew/", renew, name="renew"),
]
