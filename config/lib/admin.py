"""Admin plumbing shared by the apps. Imports no app."""

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
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

        def holds(one) -> bool:
            try:
                key.get_prep_value(key.to_python(one))
            except (TypeError, ValueError, ValidationError):
                return False
            return True

        return super().optgroups(name, [one for one in value if holds(one)], attr)


class SafeAutocompleteSelect(_ValidValuesOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ValidValuesOnly, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin:
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
