"""What the logged-in member may do, asked from a template: the same answer as the views get.

{% load membership_rights %}
{% may_do "cars" as can_register %}
{% refusal_of "rsvp" as refusal %}
{% if refusal %}{% include "membership/includes/_refusal.html" %}{% endif %}
"""

from django import template
from django.contrib.auth.models import AnonymousUser

from membership import rights

register = template.Library()


def _user(context):
    request = context.get("request")
    if request is not None and hasattr(request, "user"):
        return request.user
    return context.get("user") or AnonymousUser()


@register.simple_tag(takes_context=True)
def may_do(context, right: str) -> bool:
    return rights.may(_user(context), right)


@register.simple_tag(takes_context=True)
def refusal_of(context, right: str) -> rights.Refusal | None:
    """None if the member may; else `.reason`, and `.action` with `.url` where a link helps."""
    return rights.explain(_user(context), right)
