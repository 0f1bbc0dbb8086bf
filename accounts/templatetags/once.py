"""`{% form_once %}`: a one-time token in a form, so that a second submit of it is caught.

Every rendering of a form gets a new token; `OnceOnlyFormMiddleware` lets the first POST
carrying a token through and answers any later one with where the first one went. Loaded
as a template builtin (settings.TEMPLATES), next to `{% csrf_token %}` in each form.

The server issues the token and binds it to the visitor's session and to the form: it is
a random nonce and an HMAC (keyed with SECRET_KEY) of the nonce, the session's key and
the path the form is sent to. A token made up by the client, copied from another
member's page, or taken from one form and sent with another, does not verify
(`is_issued`), and the middleware refuses it. Nothing is stored until the form is sent.

A form sent to the page that shows it takes `{% form_once %}`; a form with an `action`
names the same URL as the action does: `{% form_once 'register:photo_cover' photo.pk %}`.
"""

import re
import secrets

from django import template
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.html import format_html

register = template.Library()

FIELD = "form_once"
SALT = "accounts.form_once"
NONCE_LENGTH = 32  # hex characters
TOKEN = re.compile(r"[0-9a-f]{64}")  # the nonce and 128 bits of its HMAC


def _mac(nonce: str, session_key: str, path: str) -> str:
    value = f"{nonce}|{session_key}|{path}"
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()[:NONCE_LENGTH]


def issue(request, path: str) -> str:
    """A new token for a form on this visitor's page that is sent to `path`."""
    session = request.session
    if not session.session_key:
        session.cycle_key()  # a visitor without a session gets one, to bind the token to
    nonce = secrets.token_hex(NONCE_LENGTH // 2)
    return nonce + _mac(nonce, session.session_key, path)


def is_issued(token: str, request) -> bool:
    """Whether this server issued `token` to this session for a form sent to this path."""
    session_key = request.session.session_key
    if not session_key or not TOKEN.fullmatch(token):
        return False
    nonce, mac = token[:NONCE_LENGTH], token[NONCE_LENGTH:]
    return constant_time_compare(mac, _mac(nonce, session_key, request.path))


@register.simple_tag(takes_context=True)
def form_once(context, viewname: str | None = None, *args) -> str:
    request = context.get("request")
    if request is None or not hasattr(request, "session"):
        return ""  # not a page (an e-mail): no form to protect
    path = reverse(viewname, args=args) if viewname else request.path
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, issue(request, path))
