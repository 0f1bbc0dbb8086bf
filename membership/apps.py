from django.apps import AppConfig
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

    def profile_panel(self, request) -> str | None:
        """accounts' profile page: the member's level, term, dues and card (HTML), if any."""
        from membership.views.member import profile_panel

        return profile_panel(request)
