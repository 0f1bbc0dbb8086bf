"""A member's own membership: /membership/… (the staff's office is membership/urls_office.py)."""

from membership.views import card, documents, member, sepa

app_name = "membership"

urlpatterns = [*member.member_urls, *documents.member_urls, *card.member_urls, *sepa.member_urls]
