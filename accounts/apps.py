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
