"""The staff inbox in every staff page: the navigation bar's count, the admin index's items.

Only for staff, and lazy: nothing is counted until a template asks, the total comes from
the cache (membership/inbox.py), and the items (the admin index) cost one query.
"""

from functools import cached_property

from membership import inbox


class OfficeInbox:
    """`{{ office_inbox.total }}`, `{% for item in office_inbox.items %}`, `office_inbox.url`."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def items(self) -> list[inbox.InboxItem]:
        # The inbox page counted them already for itself.
        counted = getattr(self.request, "office_inbox_items", None)
        return counted if counted is not None else inbox.inbox_items()

    @cached_property
    def total(self) -> int:
        if "items" in self.__dict__ or hasattr(self.request, "office_inbox_items"):
            return inbox.inbox_total(self.items)
        return inbox.cached_total()

    @cached_property
    def url(self) -> str | None:
        return inbox.url_or_none("office:inbox")


def office(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}
    return {"office_inbox": OfficeInbox(request)}
