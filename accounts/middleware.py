import time

from django.contrib import messages
from django.db import IntegrityError, router, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.models import FormSubmission
from accounts.templatetags.once import FIELD as FORM_ONCE_FIELD
from accounts.templatetags.once import is_issued


class MemberLanguageMiddleware:
    """Show a logged-in member the site in the language kept on their profile.

    LocaleMiddleware, before this one, has chosen from the language cookie or the
    browser's Accept-Language; a member's saved choice wins over both, on every device.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class OnceOnlyFormMiddleware:
    """A form sent twice (a double click, a reload after posting) is handled once.

    Each rendering of one of our forms carries a fresh `{% form_once %}` token. The first
    POST with a token claims it in the database (a unique row, so the claim holds across
    threads, processes and app servers) and goes on to the view. A second POST with the
    same token is not handled again: it is sent where the first one led, with a word that
    the form was already sent. A first send that did not succeed (the form came back with
    errors, or the server failed) gives its claim back, so the same form can be sent again.

    Only a token the server issued to this session for this form counts (see
    templatetags/once.py): any other (made up, another member's, another form's) is
    refused before the view runs, and the visitor is sent back to the page with a word
    that the form had expired. A form without a token is handled as any other POST.
    """

    WAIT_FOR_FIRST = 5.0  # seconds a second send waits for the first one to finish
    POLL = 0.05

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = self._token(request)
        if token is None:
            return self.get_response(request)
        if not is_issued(token, request):
            return self._refuse(request)
        claim = self._claim(token, request.path)
        if claim is None:
            claim = self._wait_for_first(token, request)
            if isinstance(claim, HttpResponse):
                return claim
        response = self.get_response(request)
        if response.status_code in (301, 302, 303) and response.has_header("Location"):
            FormSubmission.objects.filter(pk=claim.pk).update(
                outcome_url=response["Location"][:500]
            )
        else:
            FormSubmission.objects.filter(pk=claim.pk).delete()
        return response

    @staticmethod
    def _token(request) -> str | None:
        if request.method != "POST" or request.content_type not in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            return None
        return request.POST.get(FORM_ONCE_FIELD) or None

    @staticmethod
    def _refuse(request) -> HttpResponse:
        """Back to the page the form was on (or the address it was sent to), with a word."""
        messages.warning(
            request,
            _(
                "This form had expired or was not meant for this page, so it was not sent. "
                "Please fill it in and send it again."
            ),
        )
        back = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = request.get_full_path()
        return HttpResponseRedirect(back)

    @staticmethod
    def _claim(token: str, path: str) -> FormSubmission | None:
        # One INSERT, which autocommit makes its own transaction: a request pays no
        # BEGIN and COMMIT round trips for it. Inside a transaction (a test's, or
        # ATOMIC_REQUESTS) a savepoint keeps a refused claim from spoiling the rest.
        connection = transaction.get_connection(router.db_for_write(FormSubmission))
        try:
            if connection.in_atomic_block:
                with transaction.atomic(using=connection.alias):
                    return FormSubmission.objects.create(token=token, path=path[:300])
            return FormSubmission.objects.create(token=token, path=path[:300])
        except IntegrityError:
            return None

    def _wait_for_first(self, token: str, request) -> FormSubmission | HttpResponse:
        deadline = time.monotonic() + self.WAIT_FOR_FIRST
        while True:
            first = FormSubmission.objects.filter(token=token).values("outcome_url").first()
            if first is None:
                # The first send gave its claim back (it failed): this one is handled.
                claim = self._claim(token, request.path)
                if claim is not None:
                    return claim
            elif first["outcome_url"]:
                messages.info(request, _("You sent this form twice; it was handled once."))
                return HttpResponseRedirect(first["outcome_url"])
            if time.monotonic() > deadline:
                messages.warning(
                    request,
                    _(
                        "This form is still being handled. "
                        "Please check the page before sending it again."
                    ),
                )
                return HttpResponseRedirect(request.get_full_path())
            time.sleep(self.POLL)
