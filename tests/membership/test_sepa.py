"""SEPA direct debit: a member's mandate, the pain.008 export, pre-notifications, returns.

The export test checks the file against the official pain.008.001.02 schema (the XSD that
sepaxml ships) with xmlschema. The concurrency test runs on both databases:

    .venv/bin/pytest -q tests/membership/test_sepa.py
    tests/with_postgres.sh .venv/bin/pytest -q tests/membership/test_sepa.py
"""

import datetime
import functools
import re
import threading
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from defusedxml import ElementTree as ET
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override

from accounts.models import User
from accounts.services import member_set_status
from membership import sepa
from membership.models import Collection, CollectionItem, Invoice, Mandate, Payment, Seat
from tests.factories import MemberFactory, PendingMemberFactory
from tests.membership.sepa_factories import (
    IBANS,
    collection_day,
    dues_level,
    mandate_for,
    next_term_invoice,
    open_invoice,
)
from tests.test_accessibility_markup import audit

MANDATE_URL = reverse("membership:mandate")
REVOKE_URL = reverse("membership:mandate_revoke")
COLLECTIONS_URL = reverse("office:collections")
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


@functools.cache
def pain008_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture(autouse=True)
def _club_collects_by_direct_debit(settings):
    """The test settings run without a bank account; a club that collects has one."""
    settings.PADDOCK_BANK_ACCOUNT_HOLDER = "1M Register e.V."
    settings.PADDOCK_BANK_IBAN = "DE02120300000000202051"
    settings.PADDOCK_BANK_BIC = ""  # found from the IBAN
    settings.PADDOCK_SEPA_CREDITOR_ID = "DE98ZZZ09999999999"


@pytest.fixture(autouse=True)
def _level(db):
    return dues_level()


@pytest.fixture
def payer(db):
    """An active member with an open dues invoice of 60.00 and no mandate yet."""
    return MemberFactory(display_name="Paula Payer")


@pytest.fixture
def staff(db):
    return MemberFactory(display_name="Stella Staff", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def form_token(response) -> str:
    return re.search(r'name="form_once" value="([0-9a-f]{64})"', response.content.decode())[1]


def mandate_data(**overrides) -> dict:
    return {
        "account_holder": "Paula Payer",
        "iban": IBANS["DE"],
        "bic": "",
        "consent": "on",
        **overrides,
    }


def export(day=None, by=None) -> Collection:
    return sepa.collection_export(collection_date=day or collection_day(), created_by=by)


def parse(collection: Collection):
    return ET.fromstring(collection.xml.encode())


def sequence_types(collection: Collection) -> list[str]:
    return [e.text for e in parse(collection).iterfind(".//p:PmtTpInf/p:SeqTp", NS)]


# --- IBANs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["DE", "NL", "FR"])
def test_it_accepts_a_good_iban_of_a_sepa_country(country):
    assert sepa.iban_parse(IBANS[country]).compact == IBANS[country]


def test_it_normalises_spaces_and_lower_case_in_an_iban():
    assert sepa.iban_parse(" de89 3704 0044 0532 0130 00 ").compact == IBANS["DE"]


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("DE88370400440532013000", "check digits of this IBAN do not match"),
        ("XX89370400440532013000", "known country code"),
        ("DE8937040044053201300", "too short or too long"),
        ("BR1800360305000010009795493C1", "only from an account in the SEPA area"),
    ],
)
def test_it_refuses_a_wrong_iban_with_a_clear_field_error(client, payer, iban, message):
    client.force_login(payer)

    response = client.post(MANDATE_URL, mandate_data(iban=iban))

    assert response.status_code == 200
    assert message in str(response.context["form"].errors["iban"])
    assert not Mandate.objects.exists()


def test_it_finds_the_bic_from_the_iban_and_checks_one_that_is_given(client, payer):
    client.force_login(payer)

    bad = client.post(MANDATE_URL, mandate_data(bic="NOT A BIC"))
    assert "not a valid BIC" in str(bad.context["form"].errors["bic"])

    client.post(MANDATE_URL, mandate_data(iban="de89 3704 0044 0532 0130 00"))
    mandate = Mandate.objects.get()
    assert (mandate.iban, mandate.bic) == (IBANS["DE"], "COBADEFFXXX")


def test_it_checks_a_creditor_id_by_its_check_digits():
    assert sepa.creditor_id_is_valid("DE98ZZZ09999999999")
    assert not sepa.creditor_id_is_valid("DE97ZZZ09999999999")
    assert not sepa.creditor_id_is_valid("nonsense")


# --- The mandate page ------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(MANDATE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_shows_a_payer_the_mandate_text_and_the_form(client, payer, settings):
    client.force_login(payer)

    response = client.get(MANDATE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"] is not None
    assert "By signing this mandate form, you authorise (A) " in html
    assert settings.PADDOCK_BANK_ACCOUNT_HOLDER in html
    assert settings.PADDOCK_SEPA_CREDITOR_ID in html
    assert f"PDK-{payer.membership_number:06d}-1" in html
    assert "within 8 weeks" in html
    assert 'name="consent"' in html


def test_it_explains_to_an_applicant_why_there_is_no_form(client, db):
    applicant = PendingMemberFactory()
    client.force_login(applicant)

    response = client.get(MANDATE_URL)

    assert response.status_code == 200
    assert response.context["form"] is None
    assert "waiting for approval" in response.content.decode()
    assert 'name="iban"' not in response.content.decode()


def test_it_refuses_a_mandate_posted_by_an_applicant(client, db):
    applicant = PendingMemberFactory()
    client.force_login(applicant)

    response = client.post(MANDATE_URL, mandate_data())

    assert response.status_code == 403
    assert not Mandate.objects.exists()


def test_it_tells_a_household_member_who_pays_and_offers_no_form(client, payer):
    partner = MemberFactory(display_name="Hans Household")
    Seat.objects.filter(member=partner).update(membership=payer.seat.membership, is_payer=False)
    client.force_login(partner)

    response = client.get(MANDATE_URL)
    refused = client.post(MANDATE_URL, mandate_data())

    assert response.context["form"] is None
    assert "paid by Paula Payer" in response.content.decode()
    assert refused.status_code == 403
    assert not Mandate.objects.exists()


def test_it_lets_a_lapsed_member_give_a_mandate_to_pay(client, payer):
    member_set_status(member=payer, status=User.Status.LAPSED)
    client.force_login(payer)

    response = client.post(MANDATE_URL, mandate_data(), follow=True)

    assert Mandate.objects.get().member == payer
    assert "is in place" in response.content.decode()


def test_it_tells_a_resigned_member_direct_debit_has_ended(client, payer):
    member_set_status(member=payer, status=User.Status.RESIGNED)
    client.force_login(payer)

    response = client.get(MANDATE_URL)

    assert response.context["form"] is None
    assert "your membership has ended" in response.content.decode()


def test_it_gives_one_mandate_for_a_form_posted_twice(client, payer):
    client.force_login(payer)
    token = form_token(client.get(MANDATE_URL))

    first = client.post(MANDATE_URL, {**mandate_data(), "form_once": token})
    second = client.post(MANDATE_URL, {**mandate_data(), "form_once": token})

    assert first.status_code == second.status_code == 302
    mandate = Mandate.objects.get()
    assert mandate.status == Mandate.Status.ACTIVE
    assert mandate.reference == f"PDK-{payer.membership_number:06d}-1"
    assert mandate.signed_on == timezone.localdate()
    assert mandate.last_collected_on is None


def test_a_second_mandate_revokes_the_first_and_starts_as_a_first_debit(client, payer):
    client.force_login(payer)
    client.post(MANDATE_URL, mandate_data())
    first = Mandate.objects.get()
    first.last_collected_on = timezone.localdate()
    first.save()

    client.post(MANDATE_URL, mandate_data(iban=IBANS["NL"]))

    first.refresh_from_db()
    second = Mandate.objects.get(status=Mandate.Status.ACTIVE)
    assert first.status == Mandate.Status.REVOKED
    assert first.revoked_on == timezone.localdate()
    assert second.iban == IBANS["NL"]
    assert second.reference.endswith("-2")
    assert second.last_collected_on is None


def test_the_member_sees_their_whole_iban_on_their_own_mandate_page(client, payer):
    mandate_for(payer)
    client.force_login(payer)

    html = client.get(MANDATE_URL).content.decode()

    assert "DE89 3704 0044 0532 0130 00" in html
    assert "Revoke this mandate" in html


def test_the_member_revokes_their_mandate(client, payer):
    mandate = mandate_for(payer)
    client.force_login(payer)

    response = client.post(REVOKE_URL, {"reference": mandate.reference}, follow=True)

    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED
    assert "is revoked" in response.content.decode()
    assert response.context["form"] is not None  # and may give a new one


def test_a_revoke_from_a_stale_page_leaves_the_newer_mandate(client, payer):
    old = mandate_for(payer)
    new = mandate_for(payer, country="NL")
    client.force_login(payer)

    response = client.post(REVOKE_URL, {"reference": old.reference}, follow=True)

    new.refresh_from_db()
    assert new.status == Mandate.Status.ACTIVE
    assert "no longer active" in response.content.decode()


def test_nobody_revokes_another_members_mandate(client, payer, other_member):
    mandate = mandate_for(payer)
    client.force_login(other_member)

    client.post(REVOKE_URL, {"reference": mandate.reference})

    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE


# --- Collection dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2000, (4, 23)), (2024, (3, 31)), (2025, (4, 20)), (2026, (4, 5)), (2038, (4, 25))],
)
def test_it_knows_easter(year, easter):
    assert sepa.easter_sunday(year) == datetime.date(year, *easter)


def test_target2_holidays_are_no_business_days():
    assert not sepa.is_business_day(datetime.date(2026, 4, 3))  # Good Friday
    assert not sepa.is_business_day(datetime.date(2026, 4, 6))  # Easter Monday
    assert not sepa.is_business_day(datetime.date(2026, 12, 25))
    assert sepa.is_business_day(datetime.date(2026, 4, 7))


def _next(weekday_check, start):
    day = start
    while not weekday_check(day):
        day += datetime.timedelta(days=1)
    return day


@pytest.mark.parametrize("case", ["too soon", "weekend", "holiday"])
def test_it_refuses_a_collection_date_with_a_message(staff_client, payer, case, settings):
    mandate_for(payer)
    today = timezone.localdate()
    earliest = today + datetime.timedelta(days=settings.PADDOCK_SEPA_PRENOTIFICATION_DAYS)
    day, message = {
        "too soon": (today + datetime.timedelta(days=3), "at least 14 days ahead"),
        "weekend": (_next(lambda d: d.weekday() == 5, earliest), "Saturday or a Sunday"),
        "holiday": (
            _next(lambda d: d.weekday() < 5 and (d.month, d.day) == (12, 25), earliest),
            "bank holiday",
        ),
    }[case]

    response = staff_client.post(COLLECTIONS_URL, {"collection_date": day.isoformat()})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Collection.objects.exists()
    assert open_invoice(payer)


def test_it_says_so_when_nothing_is_due_and_makes_no_file(staff_client, payer):
    response = staff_client.post(COLLECTIONS_URL, {"collection_date": collection_day()})

    assert response.status_code == 200
    assert "Nothing is due for direct debit" in response.content.decode()
    assert not Collection.objects.exists()


def test_it_says_what_the_settings_lack_instead_of_failing(staff_client, payer, settings):
    mandate_for(payer)
    settings.PADDOCK_SEPA_CREDITOR_ID = ""

    page = staff_client.get(COLLECTIONS_URL)
    posted = staff_client.post(COLLECTIONS_URL, {"collection_date": collection_day()})

    assert page.status_code == posted.status_code == 200
    assert "PADDOCK_SEPA_CREDITOR_ID" in page.content.decode()
    assert not Collection.objects.exists()
    with pytest.raises(sepa.SepaError, match="PADDOCK_SEPA_CREDITOR_ID"):
        export()


def test_the_page_previews_the_debits_and_their_total(staff_client, payer, other_member):
    mandate_for(payer)
    mandate_for(other_member)

    response = staff_client.get(COLLECTIONS_URL, {"collection_date": collection_day()})

    assert response.context["preview"]["count"] == 2
    assert "120.00 EUR" in response.content.decode()
    assert "Export the file" in response.content.decode()
    assert not Collection.objects.exists()


# --- The export --------------------------------------------------------------------------


def test_the_exported_file_validates_against_the_official_schema(
    staff_client, payer, other_member, settings, django_capture_on_commit_callbacks
):
    mandate_for(payer)
    mandate_for(other_member, country="FR")
    day = collection_day()

    response = staff_client.post(COLLECTIONS_URL, {"collection_date": day.isoformat()})

    collection = Collection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("office:collection", args=[collection.pk])
    pain008_schema().validate(collection.xml)  # raises on any error
    root = parse(collection)
    header = root.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    assert header.find("p:MsgId", NS).text == collection.message_id
    assert header.find("p:NbOfTxs", NS).text == "2"
    assert header.find("p:CtrlSum", NS).text == "120.00"
    assert collection.total_cents == 12000
    amounts = [e.text for e in root.iterfind(".//p:DrctDbtTxInf/p:InstdAmt", NS)]
    assert amounts == ["60.00", "60.00"]
    assert (
        root.find(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", NS).text
        == settings.PADDOCK_SEPA_CREDITOR_ID
    )
    assert root.find(".//p:PmtInf/p:ReqdColltnDt", NS).text == day.isoformat()
    assert sequence_types(collection) == ["FRST"]
    ids = [e.text for e in root.iterfind(".//p:EndToEndId", NS)]
    assert sorted(ids) == sorted(collection.items.values_list("end_to_end_id", flat=True))
    mandate_ids = {e.text for e in root.iterfind(".//p:MndtId", NS)}
    assert mandate_ids == set(Mandate.objects.values_list("reference", flat=True))


def test_names_in_the_file_keep_to_the_characters_banks_take(payer):
    mandate_for(payer, holder="Jürgen Müller & Söhne")

    root = parse(export())

    assert root.find(".//p:Dbtr/p:Nm", NS).text == "Jurgen Muller Sohne"
    assert root.find(".//p:Cdtr/p:Nm", NS).text == "1M Register e.V."


def test_a_new_mandate_is_debited_first_and_then_recurrently(payer):
    mandate = mandate_for(payer)
    first = export()
    mandate.refresh_from_db()
    assert mandate.last_collected_on == first.collection_date
    next_term_invoice(payer)

    second = export(collection_day(after=first.collection_date))

    assert sequence_types(first) == ["FRST"]
    assert sequence_types(second) == ["RCUR"]
    assert list(CollectionItem.objects.order_by("pk").values_list("sequence_type", flat=True)) == [
        "FRST",
        "RCUR",
    ]
    pain008_schema().validate(second.xml)


def test_the_debit_pays_the_invoice_and_renews_a_lapsed_membership(payer):
    mandate_for(payer)
    export()  # the first term
    member_set_status(member=payer, status=User.Status.LAPSED)
    renewal = next_term_invoice(payer)

    collection = export(collection_day(after=Collection.objects.get().collection_date))

    renewal.refresh_from_db()
    payer.refresh_from_db()
    assert renewal.status == Invoice.Status.PAID
    payment = renewal.payments.get()
    assert (payment.method, payment.amount_cents) == ("sepa_dd", 6000)
    assert payment.received_on == collection.collection_date
    assert payment.collection_item.collection == collection
    assert payer.membership_status == User.Status.ACTIVE
    assert payer.seat.membership.valid_until == renewal.period_end


def test_each_debtor_gets_the_pre_notification_in_their_language(
    payer, other_member, django_capture_on_commit_callbacks
):
    other_member.language = "de"
    other_member.save()
    mandate_for(payer)
    mandate_for(other_member, country="NL")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        collection = export()

    notices = {m.to[0]: m for m in mail.outbox if "Direct debit" in m.subject or "60" in m.subject}
    english, german = notices[payer.email], notices[other_member.email]
    day = collection.collection_date
    assert "60.00 EUR" in english.body and "60.00 EUR" in english.subject
    assert "60,00 EUR" in german.body
    assert localised_date(day, "en-gb") in english.body
    assert localised_date(day, "de") in german.body
    assert localised_date(day, "de") != localised_date(day, "en-gb")
    for message, mandate in [
        (english, payer.mandates.get()),
        (german, other_member.mandates.get()),
    ]:
        assert mandate.reference in message.body
        assert "DE98ZZZ09999999999" in message.body
        assert mandate.iban[-4:] in message.body
        assert mandate.iban not in message.body  # the last four only
        assert open_invoice_number(mandate.member) in message.body


def localised_date(day: datetime.date, language: str) -> str:
    with override(language):
        return date_format(day, "DATE_FORMAT")


def open_invoice_number(member) -> str:
    return Invoice.objects.filter(member=member).values_list("number", flat=True).first()


def test_a_member_without_a_mandate_is_not_debited(payer, other_member):
    mandate_for(payer)
    revoked = mandate_for(other_member)
    sepa.mandate_revoke(mandate=revoked)

    collection = export()

    assert [i.invoice.member for i in collection.items.all()] == [payer]
    assert open_invoice(other_member).status == Invoice.Status.OPEN


def test_an_invoice_not_yet_due_waits_for_a_later_collection(payer):
    mandate_for(payer)
    invoice = open_invoice(payer)
    day = collection_day()
    Invoice.objects.filter(pk=invoice.pk).update(due_on=day + datetime.timedelta(days=1))

    with pytest.raises(sepa.SepaError, match="Nothing is due"):
        export(day)


# --- Returns -----------------------------------------------------------------------------


def test_a_return_reopens_the_invoice_and_makes_the_next_debit_a_first_one(
    staff_client, staff, payer, django_capture_on_commit_callbacks
):
    mandate = mandate_for(payer)
    first = export()
    item = first.items.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("office:debit_return", args=[item.pk]),
            {"reason": "AM04", "returned_on": timezone.localdate().isoformat()},
        )

    assert response.status_code == 302
    item.refresh_from_db()
    invoice = item.invoice
    invoice.refresh_from_db()
    mandate.refresh_from_db()
    assert item.status == CollectionItem.Status.RETURNED
    assert item.return_reason == "AM04"
    assert invoice.status == Invoice.Status.OPEN
    assert sum(invoice.payments.values_list("amount_cents", flat=True)) == 0
    returned = invoice.payments.get(kind=Payment.Kind.RETURNED)
    assert (returned.amount_cents, returned.recorded_by) == (-6000, staff)
    assert mandate.status == Mandate.Status.ACTIVE
    assert mandate.last_collected_on is None
    (message,) = mail.outbox
    assert message.to == [payer.email]
    assert "came back" in message.subject
    assert invoice.reference in message.body
    assert "insufficient funds" in message.body

    again = export(collection_day(after=first.collection_date))
    assert sequence_types(again) == ["FRST"]
    assert again.items.get().invoice == invoice


def test_recording_the_same_return_twice_changes_nothing(staff_client, payer):
    mandate_for(payer)
    item = export().items.get()
    url = reverse("office:debit_return", args=[item.pk])
    data = {"reason": "AM04", "returned_on": timezone.localdate().isoformat()}

    staff_client.post(url, data)
    response = staff_client.post(url, data, follow=True)
    sepa.debit_return_record(
        item=item, returned_on=timezone.localdate(), reason="AM04", recorded_by=None
    )

    assert Payment.objects.filter(kind=Payment.Kind.RETURNED).count() == 1
    assert "recorded already" in response.content.decode()


@pytest.mark.parametrize("reason", ["MD01", "AC04"])
def test_a_return_for_no_mandate_or_a_closed_account_revokes_the_mandate(payer, reason):
    mandate = mandate_for(payer)
    item = export().items.get()

    sepa.debit_return_record(
        item=item, returned_on=timezone.localdate(), reason=reason, recorded_by=None
    )

    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED
    with pytest.raises(sepa.SepaError, match="Nothing is due"):
        export(collection_day(after=item.collection.collection_date))


def test_a_returned_recurring_debit_keeps_the_next_one_recurring(payer):
    mandate = mandate_for(payer)
    first = export()
    next_term_invoice(payer)
    second = export(collection_day(after=first.collection_date))

    sepa.debit_return_record(
        item=second.items.get(), returned_on=timezone.localdate(), reason="AM04", recorded_by=None
    )

    mandate.refresh_from_db()
    assert mandate.last_collected_on == second.collection_date
    third = export(collection_day(after=second.collection_date))
    assert sequence_types(third) == ["RCUR"]


def test_a_return_with_a_bad_date_or_reason_is_refused_with_a_message(staff_client, payer):
    mandate_for(payer)
    item = export().items.get()
    url = reverse("office:debit_return", args=[item.pk])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    future = staff_client.post(url, {"reason": "AM04", "returned_on": tomorrow}, follow=True)
    unknown = staff_client.post(url, {"reason": "ZZ99", "returned_on": "2020-01-01"}, follow=True)

    assert "once it has happened" in future.content.decode()
    assert "Select a valid choice" in unknown.content.decode()
    item.refresh_from_db()
    assert item.status == CollectionItem.Status.SUBMITTED
    assert not Payment.objects.filter(kind=Payment.Kind.RETURNED).exists()


# --- The office pages --------------------------------------------------------------------


def test_the_office_pages_are_for_staff_only(client, payer, other_member):
    mandate_for(payer)
    item = export().items.get()
    urls = [
        COLLECTIONS_URL,
        reverse("office:collection", args=[item.collection_id]),
        reverse("office:collection_file", args=[item.collection_id]),
    ]
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("account_login"))
    client.force_login(other_member)
    for url in urls:
        assert client.get(url).status_code == 403
    returned = client.post(
        reverse("office:debit_return", args=[item.pk]),
        {"reason": "AM04", "returned_on": timezone.localdate().isoformat()},
    )
    assert returned.status_code == 403
    assert not Payment.objects.filter(kind=Payment.Kind.RETURNED).exists()


def test_an_unknown_collection_or_debit_is_not_found_for_staff(staff_client):
    assert staff_client.get(reverse("office:collection", args=[999999])).status_code == 404
    assert staff_client.get(reverse("office:collection_file", args=[999999])).status_code == 404
    response = staff_client.post(reverse("office:debit_return", args=[999999]), {})
    assert response.status_code == 404


def test_staff_download_the_file(staff_client, payer):
    mandate_for(payer)
    collection = export()

    response = staff_client.get(reverse("office:collection_file", args=[collection.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"] == (
        f'attachment; filename="pain008-{collection.collection_date.isoformat()}'
        f'-{collection.pk}.xml"'
    )
    assert response.content.decode() == collection.xml


def test_staff_see_each_debit_with_the_member_and_the_whole_account(staff_client, payer):
    mandate_for(payer)
    collection = export()

    html = staff_client.get(reverse("office:collection", args=[collection.pk])).content.decode()

    assert "Paula Payer" in html
    assert "DE89 3704 0044 0532 0130 00" in html
    assert "FRST" in html
    assert "60.00 EUR" in html
    assert open_invoice_number(payer) in html
    assert 'name="reason"' in html


def _collections(n: int, staff) -> None:
    today = timezone.localdate()
    Collection.objects.bulk_create(
        Collection(
            collection_date=today + datetime.timedelta(days=i),
            message_id=f"TEST-{i}",
            xml="<Document/>",
            total_cents=100 * i,
            created_by=staff,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("count", [2, 50])
def test_the_collections_list_takes_the_same_queries_for_2_and_50(
    staff_client, staff, payer, count, django_assert_num_queries
):
    mandate_for(payer)
    _collections(count, staff)

    # 1. the session, 2. the logged-in user, 3. the preview's count and total,
    # 4. the number of collections (pages), 5. the page of collections with their debits
    # counted and who exported them, 6. the staff inbox's total for the Office link
    with django_assert_num_queries(6):
        response = staff_client.get(COLLECTIONS_URL)

    assert response.status_code == 200
    assert response.content.decode().count("pain.008 file</a>") == min(count, 25)


@pytest.mark.parametrize("count", [2, 50])
def test_a_collection_page_takes_the_same_queries_for_2_debits_and_50(
    staff_client, count, django_assert_num_queries
):
    members = [MemberFactory() for _ in range(count)]
    for member in members:
        mandate_for(member)
    collection = export()
    url = reverse("office:collection", args=[collection.pk])

    # 1. the session, 2. the logged-in user, 3. the collection and who exported it,
    # 4. its debits with invoice, member and mandate, 5. the staff inbox's total for the
    # Office link
    with django_assert_num_queries(5):
        response = staff_client.get(url)

    assert response.content.decode().count('name="returned_on"') == count


# --- At the same moment ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_exports_at_the_same_moment_never_debit_an_invoice_twice():
    dues_level()
    members = [MemberFactory() for _ in range(6)]
    for member in members:
        mandate_for(member)
    day = collection_day()
    days = [day, collection_day(after=day)] * 2
    barrier = threading.Barrier(len(days))
    made, errors, lock = [], [], threading.Lock()

    def worker(when):
        try:
            barrier.wait(timeout=30)
            collection = sepa.collection_export(collection_date=when, created_by=None)
        except BaseException as exc:  # noqa: BLE001 - every failure is counted
            with lock:
                errors.append(exc)
        else:
            with lock:
                made.append(collection.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(when,)) for when in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert len(made) == 1
    assert len(errors) == 3 and all(isinstance(e, sepa.SepaError) for e in errors), errors
    assert CollectionItem.objects.count() == 6
    assert Payment.objects.count() == 6
    for invoice in Invoice.objects.filter(member__in=members):
        assert invoice.status == Invoice.Status.PAID
        assert invoice.debits.count() == 1
        assert invoice.payments.get().amount_cents == 6000


# --- Accessible markup -------------------------------------------------------------------


def test_the_direct_debit_pages_have_labels_and_names(staff_client, payer):
    client = Client()
    client.force_login(payer)
    form_page = client.get(MANDATE_URL)
    mandate_for(payer)
    collection = export()
    responses = [
        form_page,
        client.get(MANDATE_URL),
        staff_client.get(COLLECTIONS_URL, {"collection_date": collection_day()}),
        staff_client.get(reverse("office:collection", args=[collection.pk])),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    for html in [r.content.decode() for r in responses]:
        found = audit(html)
        assert found.unlabelled_controls() == []
        assert found.unnamed == []
        assert found.images_without_alt == []
