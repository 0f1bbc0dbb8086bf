"""A person as the viewer may see them, by the rule in accounts/privacy.py.

    {% load privacy %}
    {% name_of rsvp.member request.user as_="helper" %}
    {% number_of rsvp.member request.user as_="organiser" as number %}

In an e-mail the viewer is its recipient: `{% name_of transfer.to_member transfer.from_member %}`.
"""

from django import template

from accounts import privacy

register = template.Library()


def _role(as_: str | None) -> privacy.Viewer | None:
    return privacy.Viewer(as_) if as_ else None


@register.simple_tag
def name_of(member, viewer, as_: str | None = None) -> str:
    if member is None:
        return ""
    return privacy.name_for(member, viewer, as_=_role(as_))


@register.simple_tag
def number_of(member, viewer, as_: str | None = None):
    if member is None:
        return None
    return privacy.number_for(member, viewer, as_=_role(as_))


@register.simple_tag
def email_of(member, viewer, as_: str | None = None) -> str:
    if member is None:
        return ""
    return privacy.email_for(member, viewer, as_=_role(as_))
