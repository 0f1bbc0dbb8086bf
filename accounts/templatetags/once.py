"""`{% form_once %}`: a one-time token in a form, so that a second submit of it is caught.

Every rendering of a form gets a new token; `OnceOnlyFormMiddleware` lets the first POST
carrying a token through and answers any later one with where the first one went. Loaded
as a template builtin (settings.TEMPLATES), next to `{% csrf_token %}` in each form.
"""

import secrets

from django import template
from django.utils.html import format_html

register = template.Library()

FIELD = "form_once"


@register.simple_tag
def form_once() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, secrets.token_hex(16))
