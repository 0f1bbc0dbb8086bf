from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Members")

    def ready(self) -> None:
        # The site's own system checks (its public address, its sender) and keeping allauth's
        # Site in step with PADDOCK_SITE_URL after every migrate.
        from django.db.models.signals import post_migrate

        import config.checks  # noqa: F401 - registers the checks
        from accounts.site import sync_site

        post_migrate.connect(sync_site, sender=self, dispatch_uid="accounts-sync-site")

    def health_checks(self) -> dict:
        """/healthz's report on the outbox (config/health.py): mail waiting, overdue, failed."""
        from accounts.outbox import check_outbox

        return {"mail": check_outbox}

    def inbox_items(self) -> list[dict]:
        """The staff inbox (membership/inbox.py): members to approve, e-mails that failed."""
        from allauth.account.models import EmailAddress
        from django.db.models import Exists, OuterRef
        from django.urls import reverse

        from accounts.models import OutgoingMail, User

        verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
        return [
            {
                "key": "members_to_approve",
                "label": _("Members to approve"),
                "count": User.objects.filter(
                    Exists(verified), membership_status=User.Status.PENDING, is_active=True
                ),
                "url": reverse("admin:accounts_user_changelist")
                + "?membership_status__exact=pending",
                "help": _(
                    "Signed up and confirmed their e-mail address: approve them in the admin "
                    "(select, then “Approve”)."
                ),
            },
            {
                "key": "failed_emails",
                "label": _("Failed e-mails"),
                "count": OutgoingMail.objects.filter(status=OutgoingMail.Status.FAILED),
                "url": reverse("admin:accounts_outgoingmail_changelist") + "?status__exact=failed",
                "help": _(
                    "E-mails the mail server kept refusing: send them again once it is back."
                ),
            },
        ]
