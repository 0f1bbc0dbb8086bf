from contextlib import nullcontext
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import translation

from config.lib.site import absolute_url, site_domain
from config.lib.urls import is_local_path


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # A new member keeps the language they signed up in, for their e-mails too.
        language = translation.get_language()
        if language in dict(settings.LANGUAGES):
            user.language = language
        return super().save_user(request, user, form, commit=commit)

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
