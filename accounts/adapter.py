from contextlib import nullcontext
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from config.lib.site import absolute_url, site_domain
from config.lib.urls import is_local_path

# Failed log-ins of one account from every client together (settings: ACCOUNT_RATE_LIMITS).
LOGIN_FAILED_ACCOUNT = "login_failed_account"


class AccountAdapter(DefaultAccountAdapter):
    # allauth's messages in the site's words ("e-mail", "log in"), so its German is ours too:
    # formal, and "Einloggen" where allauth's catalogue says "Anmelden" and "du".
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("This account is not active."),
        "cannot_remove_primary_email": _("You cannot remove your main e-mail address."),
        "duplicate_email": _("This e-mail address already belongs to your account."),
        "email_password_mismatch": _("The e-mail address or the password is not right."),
        "email_taken": _("This e-mail address already belongs to an account."),
        "enter_current_password": _("Please give your current password."),
        "incorrect_code": _("That code is not right."),
        "incorrect_password": _("That password is not right."),
        "invalid_or_expired_key": _("This link has expired or is not valid."),
        "invalid_login": _("That did not log you in."),
        "invalid_password_reset": _("This link to reset your password is not valid."),
        "max_email_addresses": _("You cannot add more than %d e-mail addresses."),
        "too_many_login_attempts": _("Too many failed attempts to log in. Try again later."),
        "unknown_email": _("No account uses this e-mail address."),
        "unverified_primary_email": _("Your main e-mail address must be confirmed first."),
        "same_as_current": _("The new value must be different from the current one."),
        "rate_limited": _("Too many requests at once: please wait a moment and try again."),
    }

    def save_user(self, request, user, form, commit=True):
        # A new member keeps the language they signed up in, for their e-mails too.
        language = translation.get_language()
        if language in dict(settings.LANGUAGES):
            user.language = language
        return super().save_user(request, user, form, commit=commit)

    # --- Failed log-ins: limited per client and account, so strangers cannot lock anyone out.
    #
    # allauth counts "login_failed" per client address ("ip") and per "key", which it makes
    # of the e-mail address alone: five wrong passwords from anywhere locked the member out
    # everywhere. Here the key is the address and the client together, and the account as
    # a whole gets a separate, much higher ceiling ("login_failed_account") that one client
    # cannot reach on its own (docs/deploy.md, "Log-in limits").

    def _account_key(self, request, **credentials) -> str:
        return super()._get_login_attempts_cache_key(request, **credentials)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        return f"{self._account_key(request, **credentials)}:{ratelimit.get_ip(request)}"

    def pre_authenticate(self, request, **credentials) -> None:
        super().pre_authenticate(request, **credentials)
        self._login_failed_account_usage = ratelimit.consume(
            request,
            app="allauth.account",
            action=LOGIN_FAILED_ACCOUNT,
            key=self._account_key(request, **credentials),
        )
        if not self._login_failed_account_usage:
            # This attempt is refused: it must not count against the client either.
            super()._rollback_login_failed_rl_usage()
            raise self.validation_error("too_many_login_attempts")

    def _rollback_login_failed_rl_usage(self) -> None:
        """A log-in that succeeds takes its attempt back from every count."""
        super()._rollback_login_failed_rl_usage()
        usage = getattr(self, "_login_failed_account_usage", None)
        if usage:
            usage.rollback()

    def _delete_login_attempts_cached_email(self, request, **credentials) -> None:
        """After a password reset the account starts afresh, from every client."""
        super()._delete_login_attempts_cached_email(request, **credentials)
        ratelimit.clear(
            request,
            app="allauth.account",
            action=LOGIN_FAILED_ACCOUNT,
            key=self._account_key(request, **credentials),
        )

    def is_safe_url(self, url):
        """A `next` is followed only if it is a path on this site (config/lib/urls.py).

        allauth's own check lets through a bare word ("account_logout"), which log-out
        looks up as a URL name, an address on any allowed host, and a leading space.
        """
        return is_local_path(url)

    def send_mail(self, template_prefix, email, context):
        """Confirmations and password resets in the member's own language, not the page's.

        A mail to an address that has no account (a reset asked for an unknown address)
        is in the language of the page it was asked from. Its links (to confirm an address,
        reset a password, sign up) lead to PADDOCK_SITE_URL, whatever host the request
        that caused it came in on.
        """
        context = {
            key: absolute_url(value) if key.endswith("_url") and _is_absolute(value) else value
            for key, value in context.items()
        }
        # The club's name and address in the greeting and the footer, from the settings.
        context.setdefault(
            "current_site",
            SimpleNamespace(name=settings.PADDOCK_CLUB_NAME, domain=site_domain()),
        )
        language = getattr(context.get("user"), "language", "")
        with translation.override(language) if language else nullcontext():
            super().send_mail(template_prefix, email, context)


def _is_absolute(value) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)
