from django import forms
from django.contrib import admin, messages
from django.db import models
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from config.lib.admin import BoundedSearchMixin, SafeAutocompleteMixin
from register import services
from register.models import (
    Car,
    CarPhoto,
    Claim,
    Colour,
    Listing,
    MileageReading,
    ModelLine,
    Ownership,
    ProductionFigure,
    Sighting,
    TimelineEntry,
    Transfer,
    overlap_message,
    periods_overlap,
)


class ProductionFigureInline(admin.TabularInline):
    model = ProductionFigure
    extra = 0
    # A source typed without its scheme is a web address: https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ColourInline(admin.TabularInline):
    model = Colour
    extra = 0


@admin.register(ModelLine)
class ModelLineAdmin(admin.ModelAdmin):
    list_display = ("name", "marque", "production_years")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ProductionFigureInline, ColourInline]

    @admin.display(description=_("production years"))
    def production_years(self, obj):
        return obj.production_years


@admin.register(Colour)
class ColourAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ("name", "paint_code", "model_line", "kind", "reported_production", "source")
    list_filter = ("model_line", "kind")
    search_fields = ("name", "paint_code")


class OwnershipInlineFormSet(forms.BaseInlineFormSet):
    """A car's owners as one list: two of its rows may not overlap either.

    Each row's clean() compares it with the saved periods; two rows added or moved in one
    save are compared here, or PostgreSQL's exclusion constraint would refuse the second
    with a server error.
    """

    def clean(self):
        super().clean()
        kept = [
            form.instance
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if form.is_valid() and not self._should_delete_form(form)
        ]
        for index, one in enumerate(kept):
            for other in kept[index + 1 :]:
                if periods_overlap(one, other):
                    raise forms.ValidationError(overlap_message(other))


class OwnershipInline(SafeAutocompleteMixin, admin.TabularInline):
    model = Ownership
    formset = OwnershipInlineFormSet
    extra = 0
    autocomplete_fields = ("member",)
    fields = (
        "member",
        "owner_name",
        "name_visibility",
        "country",
        "started_on",
        "ended_on",
        "note",
    )


class PhotoInline(admin.TabularInline):
    model = CarPhoto
    extra = 0
    fields = ("preview", "caption", "is_cover", "uploaded_by", "created_at")
    readonly_fields = ("preview", "uploaded_by", "created_at")

    @admin.display(description=_("Photo"))
    def preview(self, obj):
        if not obj.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" style="height:60px">', obj.thumbnail.url)


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ("happened_on", "kind", "title", "shown_as", "author")
    readonly_fields = ("shown_as",)
    raw_id_fields = ("author",)

    @admin.display(description=_("shown as"))
    def shown_as(self, obj):
        return obj.display_title


class MileageInline(admin.TabularInline):
    model = MileageReading
    extra = 0
    fields = ("read_on", "kilometres", "flagged", "recorded_by")
    raw_id_fields = ("recorded_by",)


class ReasonForm(forms.Form):
    _selected_action = forms.CharField(widget=forms.MultipleHiddenInput)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )


# What the rejecting action says, for cars and for claims: its page's title and its result.
REJECT_TITLES = {"cars": _("Reject cars"), "claims": _("Reject claims")}


def _rejected_message(what: str, count: int) -> str:
    if what == "cars":
        text = ngettext("%(count)s car rejected.", "%(count)s cars rejected.", count)
    else:
        text = ngettext("%(count)s claim rejected.", "%(count)s claims rejected.", count)
    return text % {"count": count}


def _reject_with_reason(modeladmin, request, queryset, reject, what):
    """An admin action with a confirmation page that asks staff for the reason."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    reject(obj, request.user, form.cleaned_data["reason"])
                    done += 1
                except services.RegisterError as exc:
                    modeladmin.message_user(
                        request,
                        gettext("%(object)s: %(error)s") % {"object": obj, "error": exc},
                        messages.WARNING,
                    )
            modeladmin.message_user(request, _rejected_message(what, done), messages.SUCCESS)
            return None
    else:
        form = ReasonForm(initial={"_selected_action": request.POST.getlist("_selected_action")})
    return TemplateResponse(
        request,
        "admin/register/reject_reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": REJECT_TITLES[what],
            "objects": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
        },
    )


@admin.register(Car)
class CarAdmin(BoundedSearchMixin, SimpleHistoryAdmin):
    list_display = (
        "plaque_number",
        "vin",
        "model_line",
        "colour",
        "build_date",
        "country",
        "status",
        "review_status",
    )
    list_display_links = ("plaque_number", "vin")
    list_filter = ("review_status", "model_line", "colour", "status", "country", "transmission")
    search_fields = (
        "=plaque_number",
        "vin",
        "ownerships__member__display_name",
        "ownerships__member__email",
        "ownerships__owner_name",
    )
    list_select_related = ("model_line", "colour")
    readonly_fields = ("plaque_number", "verified_at", "created_at", "updated_at")
    inlines = [OwnershipInline, PhotoInline, TimelineInline, MileageInline]
    actions = ["approve_cars", "reject_cars"]
    date_hierarchy = "created_at"
    raw_id_fields = ("registered_by",)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().upper()
        if len(term) == 7 and term.isalnum():
            queryset |= self.model.objects.filter(vin__endswith=term)
        return queryset, True if search_term else may_have_duplicates

    @admin.action(description=_("Verify selected cars (give plaque numbers)"))
    def approve_cars(self, request, queryset):
        cars = list(queryset.exclude(review_status=Car.Review.VERIFIED).order_by("created_at"))
        for car in cars:
            services.car_approve(car=car, staff=request.user)
        text = ngettext("%(count)s car verified.", "%(count)s cars verified.", len(cars))
        self.message_user(request, text % {"count": len(cars)}, messages.SUCCESS)

    @admin.action(description=_("Reject selected cars (asks for a reason)"))
    def reject_cars(self, request, queryset):
        return _reject_with_reason(
            self,
            request,
            queryset,
            lambda car, staff, reason: services.car_reject(car=car, staff=staff, reason=reason),
            "cars",
        )


@admin.register(Claim)
class ClaimAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ("car", "claimant", "state", "created_at", "decided_by")
    list_filter = ("state",)
    search_fields = ("car__vin", "claimant__email", "claimant__display_name")
    list_select_related = ("car", "car__model_line", "claimant", "decided_by")
    raw_id_fields = ("car", "claimant", "decided_by")
    actions = ["approve_claims", "reject_claims"]

    @admin.action(description=_("Approve selected claims"))
    def approve_claims(self, request, queryset):
        done = 0
        for claim in queryset.filter(state=Claim.State.PENDING):
            services.claim_approve(claim=claim, staff=request.user)
            done += 1
        text = ngettext("%(count)s claim approved.", "%(count)s claims approved.", done)
        self.message_user(request, text % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Reject selected claims (asks for a reason)"))
    def reject_claims(self, request, queryset):
        return _reject_with_reason(
            self,
            request,
            queryset,
            lambda claim, staff, reason: services.claim_reject(
                claim=claim, staff=staff, reason=reason
            ),
            "claims",
        )


@admin.register(Transfer)
class TransferAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ("car", "from_member", "to_member", "transfer_date", "state", "created_at")
    list_filter = ("state",)
    search_fields = ("car__vin", "from_member__email", "to_member__email")
    list_select_related = ("car", "car__model_line", "from_member", "to_member")
    raw_id_fields = ("car", "from_member", "to_member")


@admin.register(Ownership)
class OwnershipAdmin(BoundedSearchMixin, SimpleHistoryAdmin):
    list_display = ("car", "member", "owner_name", "started_on", "ended_on")
    search_fields = ("car__vin", "member__email", "member__display_name", "owner_name")
    list_select_related = ("car", "car__model_line", "member")
    raw_id_fields = ("car", "member")


@admin.register(TimelineEntry)
class TimelineEntryAdmin(BoundedSearchMixin, SimpleHistoryAdmin):
    """Owners correct and delete their entries; the history here keeps what they said."""

    list_display = ("car", "happened_on", "kind", "shown_as", "author")
    readonly_fields = ("system_text", "params")

    @admin.display(description=_("title"))
    def shown_as(self, obj):
        return obj.display_title

    list_filter = ("kind",)
    search_fields = ("car__vin", "title")
    list_select_related = ("car", "car__model_line", "author")
    raw_id_fields = ("car", "author")


@admin.register(MileageReading)
class MileageReadingAdmin(BoundedSearchMixin, SimpleHistoryAdmin):
    """Readings that go backwards are flagged; the history keeps corrected values."""

    list_display = ("car", "read_on", "kilometres", "flagged", "recorded_by")
    list_filter = ("flagged",)
    search_fields = ("car__vin",)
    list_select_related = ("car", "car__model_line", "recorded_by")
    raw_id_fields = ("car", "recorded_by")


@admin.register(Sighting)
class SightingAdmin(BoundedSearchMixin, admin.ModelAdmin):
    """Every sighting, decided or not; open ones are decided on the review page."""

    list_display = ("identifier", "car", "town", "country", "seen_on", "state", "created_at")
    list_filter = ("state", "identifier_kind")
    search_fields = ("identifier", "town", "car__vin")
    list_select_related = ("car", "car__model_line")
    raw_id_fields = ("car", "reporter", "decided_by")
    readonly_fields = ("ip_hash", "created_at")


@admin.register(Listing)
class ListingAdmin(BoundedSearchMixin, admin.ModelAdmin):
    """Listings for sale: staff look, and may withdraw one that breaks the club's rules."""

    list_display = ("car", "state", "price_cents", "created_at", "expires_at")
    list_filter = ("state",)
    search_fields = ("car__vin",)
    raw_id_fields = ("car", "seller")
    readonly_fields = ("car", "seller", "state", "sold_to", "created_at", "ended_at")
    actions = ["withdraw"]

    def has_add_permission(self, request):
        return False  # owners list their cars themselves

    @admin.action(description=_("Withdraw selected listings"))
    def withdraw(self, request, queryset):
        from register.sale import listing_withdraw_by_staff

        ended = sum(listing_withdraw_by_staff(listing=listing) for listing in queryset)
        self.message_user(request, gettext("%(count)s listing(s) withdrawn.") % {"count": ended})
