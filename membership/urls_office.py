"""The club office for staff: /office/… (inbox, members due, invoices, SEPA, statements)."""

from membership.views import documents, inbox, office, sepa, statements

app_name = "office"

urlpatterns = [
    *inbox.office_urls,
    *office.office_urls,
    *documents.office_urls,
    *sepa.office_urls,
    *statements.office_urls,
]
