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

        if not membership_reinstate(member=member):
            membership_start(member=member)

    def personal_data(self, member) -> dict:
        from membership.services import membership_personal_data

        return membership_personal_data(member=member)

    def member_refusal(self, user, right: str) -> str | None:
        """accounts' question (accounts/access.py): why `user` may not use `right`."""
        from membership import rights

        return rights.refusal(user, right)

    def directory_exclude_q(self) -> Q:
        """accounts' directory leaves out members whose level does not include it."""
        return Q(seat__membership__level__allows_directory=False)
