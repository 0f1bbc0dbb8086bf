from django.apps import AppConfig
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("Club office")

    def member_approved(self, member, *, first_time: bool) -> None:
        """accounts' approval hook: a new member gets a membership and their first invoice;
        a lapsed member whom staff approve again is reinstated for a new term."""
        from membership.services import membership_reinstate, membership_start

        # Only a member approved before may be reinstated: a newcomer whom staff put in a
        # household must not cancel the household's open dues.
        if first_time or not membership_reinstate(member=member):
            membership_start(member=member)

    def personal_data(self, member) -> dict:
        from membership.services import membership_personal_data

        return membership_personal_data(member=member)

    def profile_panel(self, request) -> str | None:
        """accounts' profile page: the member's level, term, dues and card (HTML), if any."""
        from membership.views.member import profile_panel

        return profile_panel(request)

    def inbox_items(self) -> list[dict]:
        """The staff inbox's money items: bank lines to match, returned debits, members
        in grace and members due (normal business, so not counted in the total)."""
        from django.utils import timezone

        from membership import selectors
        from membership.inbox import first_url, url_or_none
        from membership.models import CollectionItem, Invoice, StatementLine

        today = timezone.localdate()
        members = url_or_none("office:members")
        return [
            {
                "key": "unmatched_payments",
                "label": _("Unmatched payments"),
                "count": StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED),
                "url": first_url(("office:unmatched", ""), ("office:statements", "")),
                "help": _(
                    "Money on an imported bank statement that matched no invoice by its "
                    "reference and amount: match it by hand, or set it aside."
                ),
            },
            {
                "key": "returned_debits",
                "label": _("Returned direct debits"),
                "count": CollectionItem.objects.filter(
                    status=CollectionItem.Status.RETURNED,
                    invoice__status=Invoice.Status.OPEN,
                ),
                "url": first_url(("office:collections", ""), ("office:invoices", "status=open")),
                "help": _(
                    "Direct debits the member's bank sent back, whose invoice is still open: "
                    "collect again, or ask the member to pay another way."
                ),
            },
            {
                "key": "members_in_grace",
                "label": _("Members in grace"),
                "count": selectors.members_in_grace(today),
                "url": members and f"{members}?state=grace",
                "help": _(
                    "Their dues are past due: they lapse at the end of the grace period "
                    "unless they pay."
                ),
            },
            {
                "key": "members_due",
                "label": _("Members due"),
                "count": selectors.members_due(today),
                "url": members and f"{members}?state=due",
                "help": _("Their renewal invoice is out and not yet due."),
                "action": False,
            },
        ]

    def member_refusal(self, user, right: str) -> str | None:
        """accounts' question (accounts/access.py): why `user` may not use `right`."""
        from membership import rights

        return rights.refusal(user, right)

    def directory_exclude_q(self) -> Q:
        """accounts' directory leaves out members whose level does not include it."""
        return Q(seat__membership__level__allows_directory=False)
