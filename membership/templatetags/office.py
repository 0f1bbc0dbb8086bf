"""The office's template filters: money in cents as people read it.

{% load office %}
{{ invoice.total_cents|cents }}        → "60.00 EUR" ("60,00 EUR" in German)
{{ invoice.total_cents|cents:"" }}     → "60.00" (a table whose header names the currency)
"""

from django import template
from django.utils.formats import number_format

from membership.money import cents_to_decimal, format_cents

register = template.Library()


@register.filter
def cents(value, currency=None):
    if value is None or value == "":
        return ""
    if currency == "":
        return number_format(cents_to_decimal(int(value)), 2, use_l10n=True)
    return format_cents(int(value), currency)
