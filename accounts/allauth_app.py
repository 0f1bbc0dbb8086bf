"""allauth's `account` app, as the admin names it (INSTALLED_APPS).

In a module of its own: a second AppConfig in accounts/apps.py would leave Django unable
to tell which is the accounts app's, and it would start that app with a bare AppConfig,
none of its signals or hooks connected.
"""

from allauth.account.apps import AccountConfig
from django.utils.translation import gettext_lazy as _


class AllauthAccountConfig(AccountConfig):
    """allauth's `account` app (its e-mail addresses) as the admin names it.

    The admin's index shows its e-mail addresses among the members (config/admin_site.py);
    its own pages' breadcrumbs say "Home › Members › E-mail addresses" to match, not
    allauth's "Accounts" and "Email addresses".
    """

    verbose_name = _("Members")

    def ready(self) -> None:
        super().ready()
        from allauth.account.models import EmailAddress

        # The site writes "e-mail". Set on the model's options as read, not on the model's
        # Meta (its original_attrs), so that no migration in allauth's app follows.
        EmailAddress._meta.verbose_name = _("e-mail address")
        EmailAddress._meta.verbose_name_plural = _("e-mail addresses")
