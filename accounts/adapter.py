from contextlib import nullcontext

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # A new member keeps the language they signed up in, for their e-mails too.
        language = translation.get_language()
        if language in dict(settings.LANGUAGES):
            user.language = language
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix, email, context):
        """Confirmations and password resets in the member's own language, not the page's.

        A mail to an address that has no account (a reset asked for an unknown address)
        is in the language of the page it was asked from.
        """
        language = getattr(context.get("user"), "language", "")
        with translation.override(language) if language else nullcontext():
            super().send_mail(template_prefix, email, context)
