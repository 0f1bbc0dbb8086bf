"""The club's office in the admin: levels are kept here; money is read, never edited.

Invoices, payments, debits and statement lines are records of money: the admin shows
them but neither edits nor deletes them. Staff act through the office's pages (record a
payment, issue a credit note, export a collection, import a statement), which go through
membership/services.py.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.lib.admin import BoundedSearchMixin, SafeAutocompleteMixin
from membership.models import (
    Collection,
    CollectionItem,
    Invoice,
    Level,
    Mandate,
    Membership,
    Payment,
    Seat,
    Statement,
    StatementLine,
)
from membership.money import format_cents


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "fee",
        "period",
        "seats",
        "allows_rsvp",
        "allows_cars",
        "allows_directory",
        "open_to_applicants",
        "is_default",
    )
    list_editable = ()
    prepopulated_fields = {"slug": ("name",)}
    fields = (
        ("name", "slug"),
        "description",
        ("fee_cents", "period"),
        "seats",
        ("allows_rsvp", "allows_cars", "allows_directory"),
        ("open_to_applicants", "is_default"),
        "position",
    )

    @admin.display(description=_("fee"), ordering="fee_cents")
    def fee(self, obj):
        return format_cents(obj.fee_cents)

    def has_delete_permission(self, request, obj=None):
        # A level with memberships stays (PROTECT); an unused one may go.
        return obj is None or not obj.memberships.exists()


class SeatFormSet(BaseInlineFormSet):
    """No more accounts than the level allows, and exactly one who pays."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        level = getattr(self.instance, "level", None)
        if level is not None and len(kept) > level.seats:
            raise ValidationError(
                ngettext(
                    "The level %(level)s has room for %(count)d account.",
                    "The level %(level)s has room for %(count)d accounts.",
                    level.seats,
                )
                % {"level": level.name, "count": level.seats}
            )
        if kept and sum(1 for data in kept if data.get("is_payer")) != 1:
            raise ValidationError(_("Tick “pays” for exactly one account."))


class SeatInline(SafeAutocompleteMixin, admin.TabularInline):
    """Accounts in the membership. To make a household, add the applicant here before
    approving them: approval then gives them no membership or invoice of their own."""

    model = Seat
    formset = SeatFormSet
    extra = 0
    autocomplete_fields = ("member",)


@admin.register(Membership)
class MembershipAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ("__str__", "level", "started_on", "valid_until", "lapsed_on")
    list_filter = ("level",)
    search_fields = ("seats__member__email", "seats__member__display_name")
    list_select_related = ("level",)
    inlines = [SeatInline]
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("seats__member")


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ("received_on", "kind", "method", "amount_cents", "note", "recorded_by")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(BoundedSearchMixin, ReadOnlyAdmin):
    list_display = ("number", "kind", "billed_name", "total", "issued_on", "due_on", "status")
    list_filter = ("status", "kind", "year")
    search_fields = ("number", "reference", "billed_name", "billed_email")
    inlines = [PaymentInline]

    @admin.display(description=_("total"), ordering="total_cents")
    def total(self, obj):
        return format_cents(obj.total_cents, obj.currency)


@admin.register(Payment)
class PaymentAdmin(BoundedSearchMixin, ReadOnlyAdmin):
    list_display = ("invoice", "received_on", "kind", "method", "amount", "recorded_by")
    list_filter = ("kind", "method")
    search_fields = ("invoice__number", "note")
    list_select_related = ("invoice", "recorded_by")

    @admin.display(description=_("amount"), ordering="amount_cents")
    def amount(self, obj):
        return format_cents(obj.amount_cents)


@admin.register(Mandate)
class MandateAdmin(BoundedSearchMixin, ReadOnlyAdmin):
    list_display = ("reference", "member", "account_holder", "signed_on", "status")
    list_filter = ("status",)
    search_fields = ("reference", "account_holder", "member__email")
    list_select_related = ("member",)


class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    extra = 0
    can_delete = False
    readonly_fields = (
        "invoice",
        "mandate",
        "amount_cents",
        "sequence_type",
        "end_to_end_id",
        "status",
        "returned_on",
        "return_reason",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Collection)
class CollectionAdmin(ReadOnlyAdmin):
    list_display = ("collection_date", "message_id", "total_cents", "created_at")
    exclude = ("xml",)
    inlines = [CollectionItemInline]


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    extra = 0
    can_delete = False
    fields = ("booked_on", "amount_cents", "counterparty_name", "remittance", "status", "invoice")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("filename", "format", "account", "uploaded_at", "uploaded_by")
    inlines = [StatementLineInline]
