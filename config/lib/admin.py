"""Admin plumbing shared by the apps. Imports no app."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import smart_split

MAX_SEARCH_WORDS = 10


class BoundedSearchMixin:
    """The admin's search, on the first MAX_SEARCH_WORDS words of what was typed.

    The admin adds one condition per word: a pasted page of text becomes thousands of
    them, which SQLite refuses ("Expression tree is too large", a server error) and
    PostgreSQL grinds through.
    """

    def get_search_results(self, request, queryset, search_term):
        words = list(smart_split(search_term))[:MAX_SEARCH_WORDS]
        return super().get_search_results(request, queryset, " ".join(words))


# What a 64-bit integer key can hold. SQLite cannot even compare a larger number with one
# (OverflowError, a server error); PostgreSQL compares it and finds nothing.
_KEY_RANGE = range(-(2**63), 2**63)


def _holds(key: models.Field, value) -> bool:
    """Whether `value` is something the key column `key` can hold."""
    try:
        prepared = key.get_prep_value(key.to_python(value))
    except (TypeError, ValueError, ValidationError):
        return False
    return not isinstance(prepared, int) or prepared in _KEY_RANGE


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A many-to-many choice that says "Select a valid choice" for an id out of range.

    Django looks the chosen ids up with one `IN (...)`: a number past 2**63 in it is a
    server error on SQLite (found by the crawling fuzzer in the admin's group permissions).
    """

    def _check_values(self, value):
        opts = self.queryset.model._meta
        key = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
        for one in value:
            if not isinstance(one, (list, tuple)) and not _holds(key, one):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": one},
                )
        return super()._check_values(value)


class BoundedManyToManyMixin:
    """The admin's many-to-many fields as BoundedModelMultipleChoiceField."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class _ValidValuesOnly:
    """Looks up, to label them, only the chosen values the related key can hold.

    Django's autocomplete widgets query the chosen values to show their names; a value
    the key cannot hold (a hand-made POST with "abc" for an id) makes that query raise
    ValueError, and the form that should come back with "Select a valid choice" is a 500.
    The form's validation still reports the value; the widget just does not look it up.
    """

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        key = opts.get_field(getattr(remote, "field_name", opts.pk.attname))

        return super().optgroups(name, [one for one in value if _holds(key, one)], attr)


class SafeAutocompleteSelect(_ValidValuesOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ValidValuesOnly, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin(BoundedManyToManyMixin):
    """`autocomplete_fields` whose widgets survive values that are no id (see above)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
