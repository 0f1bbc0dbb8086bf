from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries.filters import CountryFilter
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import OutgoingMail, Sequence, User
from accounts.outbox import outgoing_mail_cancel, outgoing_mail_retry
from accounts.services import member_approve, member_set_status
from config.lib.admin import BoundedManyToManyMixin, BoundedSearchMixin


class MemberCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class MemberChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"  # noqa: DJ007 - the admin's change form shows every field by design


class EmailAddressInline(admin.TabularInline):
    model = EmailAddress
    extra = 0
    fields = ("email", "verified", "primary")


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BoundedManyToManyMixin, BaseGroupAdmin):
    """Django's groups, whose permissions refuse an id out of range with a message."""


@admin.register(User)
class MemberAdmin(BoundedManyToManyMixin, BoundedSearchMixin, SimpleHistoryAdmin, BaseUserAdmin):
    add_form = MemberCreationForm
    form = MemberChangeForm
    ordering = ("-date_joined",)
    # What a club administrator scans, fitting 1280 px without a sideways scroll; country,
    # staff and the rest are filters and on each member's page.
    list_display = (
        "email",
        "display_name",
        "membership_number",
        "membership_status",
        "renewal_date",
    )
    list_filter = (
        "membership_status",
        "is_staff",
        "is_active",
        "groups",
        ("country", CountryFilter),
    )
    search_fields = ("email", "display_name", "membership_number")
    readonly_fields = ("membership_number", "member_since", "last_login", "date_joined")
    actions = ["approve_members", "lapse_members", "resign_members"]
    inlines = [EmailAddressInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Membership"),
            {
                "fields": (
                    "membership_number",
                    "membership_status",
                    "member_since",
                    "renewal_date",
                )
            },
        ),
        (_("Profile"), {"fields": ("display_name", "country", "city", "bio", "avatar")}),
        (_("Privacy"), {"fields": ("name_visibility", "directory_listed", "show_location")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        # Approval goes through the service, which hands out the membership number.
        approving = (
            change
            and "membership_status" in form.changed_data
            and obj.membership_status == User.Status.ACTIVE
        )
        if approving:
            obj.membership_status = form.initial["membership_status"]
        super().save_model(request, obj, form, change)
        if approving:
            member_approve(member=obj, approved_by=request.user)
            obj.refresh_from_db()

    def get_search_results(self, request, queryset, search_term):
        # A plain number finds the member with that membership number exactly.
        term = search_term.strip().lstrip("#")
        if term.isdecimal():  # not isdigit(): int("²") fails
            return queryset.filter(membership_number=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description=_("Approve selected members (give membership numbers)"))
    def approve_members(self, request, queryset):
        count = 0
        for member in queryset.exclude(membership_status=User.Status.ACTIVE):
            member_approve(member=member, approved_by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%d member approved.", "%d members approved.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected members as lapsed"))
    def lapse_members(self, request, queryset):
        count = 0
        for member in queryset.filter(membership_status=User.Status.ACTIVE):
            member_set_status(member=member, status=User.Status.LAPSED)
            count += 1
        self.message_user(
            request,
            ngettext("%d member marked as lapsed.", "%d members marked as lapsed.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected members as resigned"))
    def resign_members(self, request, queryset):
        count = 0
        for member in queryset.exclude(membership_number__isnull=True).exclude(
            membership_status=User.Status.RESIGNED
        ):
            member_set_status(member=member, status=User.Status.RESIGNED)
            count += 1
        self.message_user(
            request,
            ngettext("%d member marked as resigned.", "%d members marked as resigned.", count)
            % count,
            messages.SUCCESS,
        )


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    """The counters behind membership and plaque numbers: plumbing, so not on the index
    (config/admin_site.py); a superuser still finds it at its address."""

    list_display = ("name", "last_value")

    def get_model_perms(self, request):
        return {}

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingMail)
class OutgoingMailAdmin(BoundedSearchMixin, admin.ModelAdmin):
    """The outbox (accounts/outbox.py): what waits, what went out, what failed and why.

    Read-only: a mail is sent as it was written. Staff send a failed one again, or give up
    on one, with the actions.
    """

    list_display = (
        "created_at",
        "status",
        "recipients",
        "subject",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    )
    list_filter = ("status", "created_at")
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    actions = ["retry_now", "cancel"]
    fields = (
        "status",
        "from_email",
        "to",
        "cc",
        "bcc",
        "reply_to",
        "subject",
        "body",
        "attachment_list",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("accounts.change_outgoingmail")

    @admin.display(description=_("to"))
    def recipients(self, mail):
        return ", ".join(mail.to)

    @admin.display(description=_("last error"))
    def short_error(self, mail):
        return mail.last_error[:80]

    @admin.display(description=_("attachments"))
    def attachment_list(self, mail):
        # Names and sizes, not the (base64) contents.
        return (
            ", ".join(
                f"{item['filename'] or item['mimetype']} "
                f"({filesizeformat(len(item['content']) * 3 // 4)})"
                for item in mail.attachments
            )
            or "-"
        )

    @admin.action(description=_("Send selected e-mails again now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        count = outgoing_mail_retry(mails=queryset)
        self.message_user(
            request,
            ngettext(
                "%d e-mail queued to be sent again.", "%d e-mails queued to be sent again.", count
            )
            % count,
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Cancel selected e-mails (do not send them)"), permissions=["retry"]
    )
    def cancel(self, request, queryset):
        count = outgoing_mail_cancel(mails=queryset)
        self.message_user(
            request,
            ngettext("%d e-mail cancelled.", "%d e-mails cancelled.", count) % count,
            messages.SUCCESS,
        )
