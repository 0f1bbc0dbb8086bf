from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from config.lib.admin import BoundedSearchMixin, SafeAutocompleteMixin
from meets import services
from meets.counts import meet_recount
from meets.models import RSVP, Meet, Message, Question
from meets.question_forms import QuestionForm
from meets.views.organiser import attendees_csv_response


class RSVPInline(admin.TabularInline):
    model = RSVP
    extra = 0
    fields = ("member", "car", "status", "guests", "created_at", "checked_in_at", "checkin_code")
    readonly_fields = ("created_at", "checkin_code")
    raw_id_fields = ("member", "car")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member", "car", "car__model_line")


class QuestionInline(admin.StackedInline):
    """The meet's typed questions, with the organisers' form and its rules (an answered
    question keeps its kind and choices)."""

    model = Question
    form = QuestionForm
    extra = 0


@admin.register(Meet)
class MeetAdmin(BoundedSearchMixin, SafeAutocompleteMixin, admin.ModelAdmin):
    list_display = ("title", "starts_at", "venue_name", "status", "capacity", "going")
    list_filter = ("status", "members_only", "venue_country")
    search_fields = ("title", "venue_name", "venue_address")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("organisers", "checkin_helpers")
    date_hierarchy = "starts_at"
    readonly_fields = ("created_at",)
    inlines = [QuestionInline, RSVPInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["promote_from_waitlist", "export_attendees"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The RSVPs inline may have changed a status: the counters follow.
        meet_recount(form.instance.pk)

    @admin.display(description=_("Going"), ordering="going_count")
    def going(self, obj):
        return obj.going_count

    @admin.action(description=_("Promote from the waiting list"))
    def promote_from_waitlist(self, request, queryset):
        total = 0
        for meet in queryset:
            total += len(services.waitlist_promote(meet=meet))
        self.message_user(
            request,
            ngettext(
                "%(count)d RSVP moved up from the waiting list.",
                "%(count)d RSVPs moved up from the waiting list.",
                total,
            )
            % {"count": total},
            messages.SUCCESS if total else messages.INFO,
        )

    @admin.action(description=_("Export attendees as CSV"))
    def export_attendees(self, request, queryset):
        meets = list(queryset.order_by("starts_at"))
        name = meets[0].slug if len(meets) == 1 else "meets"
        return attendees_csv_response(
            meets,
            filename=f"{name}-attendees-{timezone.localdate():%Y-%m-%d}.csv",
            viewer=request.user,
        )


@admin.register(RSVP)
class RSVPAdmin(BoundedSearchMixin, SimpleHistoryAdmin):
    list_display = ("meet", "member", "car", "status", "guests", "created_at", "checked_in_at")
    list_filter = ("status", ("checked_in_at", admin.EmptyFieldListFilter), "meet")
    search_fields = ("member__email", "member__display_name", "car__vin", "meet__title")
    list_select_related = ("meet", "member", "car", "car__model_line")
    raw_id_fields = ("meet", "member", "car", "checked_in_by")
    readonly_fields = ("checkin_code", "created_at")
    date_hierarchy = "created_at"

    # A status edited here bypasses the services: the meets' counters follow (meets/counts.py).
    def save_model(self, request, obj, form, change):
        before = RSVP.objects.filter(pk=obj.pk).values_list("meet_id", flat=True).first()
        super().save_model(request, obj, form, change)
        for meet_id in {before, obj.meet_id} - {None}:
            meet_recount(meet_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        meet_recount(obj.meet_id)

    def delete_queryset(self, request, queryset):
        meet_ids = set(queryset.values_list("meet_id", flat=True))
        super().delete_queryset(request, queryset)
        for meet_id in meet_ids:
            meet_recount(meet_id)


@admin.register(Message)
class MessageAdmin(BoundedSearchMixin, admin.ModelAdmin):
    """The record of what organisers sent; sending happens on the meet's message page."""

    list_display = ("subject", "meet", "audience", "recipients", "sent_by", "sent_at")
    list_filter = ("audience",)
    search_fields = ("subject", "body", "meet__title")
    list_select_related = ("meet", "sent_by")
    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
