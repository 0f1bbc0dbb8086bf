"""Admin plumbing shared by the apps. Imports no app."""

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
