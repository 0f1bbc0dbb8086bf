"""Bank statements: CAMT.053 and MT940 imported, payments matched, the rest matched by hand.

The files in tests/membership/data/ were made for these tests: a camt.053.001.02 statement
(a full payment by RF reference, half a payment by invoice number, a donation, the bank's
fee, a batch of two transfers, a pending entry), the next day's camt.053.001.08 statement
that carries one of its bookings again, and a German MT940 file (ISO 8859-1, :86: with ?20
purpose sub-fields, an RF reference split over two of them).

The concurrency tests run on both databases:

    .venv/bin/pytest -q tests/membership/test_statements.py
    tests/with_postgres.sh .venv/bin/pytest -q tests/membership/test_statements.py
"""

import datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import User
from membership.models import Invoice, Payment, Statement, StatementLine
from membership.services import credit_note_issue
from membership.statements import (
    StatementError,
    detect_format,
    parse_camt053,
    parse_mt940,
    parse_statement,
    statement_import,
    statement_line_ignore,
    statement_line_match,
)
from tests.factories import MemberFactory
from tests.membership.statement_factories import (
    levels,
    member_owing,
    owing_members,
    read,
    statement_with_lines,
)
from tests.threads import run_together

CAMT = "camt053_v02.xml"
CAMT_OVERLAP = "camt053_v08_overlap.xml"
MT940 = "mt940_german.sta"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&lol9;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt>
</Document>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&secret;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt>
</Document>
"""


def camt(*entries: str, version: str = "02") -> bytes:
    """A small camt.053 statement of the club's account with the given <Ntry> elements."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">'
        f"<BkToCstmrStmt><Stmt><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>"
        f"{''.join(entries)}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def entry(amount: str, text: str, *, direction="CRDT", reference="", day="2026-03-20") -> str:
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>{reference}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


@pytest.fixture(autouse=True)
def _office_settings(settings):
    settings.PADDOCK_INVOICE_PREFIX = "PDK"
    settings.PADDOCK_CURRENCY = "EUR"


@pytest.fixture
def people(db):
    return owing_members()


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def import_file(name: str, by=None):
    return statement_import(data=read(name), filename=name, uploaded_by=by)


def upload(client, data: bytes, name: str = "statement.xml"):
    return client.post(
        reverse("office:statements"), {"file": SimpleUploadedFile(name, data)}, follow=True
    )


def line_for(remittance_part: str) -> StatementLine:
    return StatementLine.objects.get(remittance__contains=remittance_part)


# --- Reading the files ---------------------------------------------------------------------


def test_it_reads_each_booking_of_a_camt053_statement_with_a_batch_split_in_two():
    bookings = parse_camt053(read(CAMT))

    # Six lines: the batch entry of 120.00 is two transfers; the pending entry is skipped.
    assert [b["amount_cents"] for b in bookings] == [6000, 3000, 2500, -1250, 6000, 6000]
    first = bookings[0]
    assert first["booked_on"] == datetime.date(2026, 3, 16)
    assert first["currency"] == "EUR"
    assert first["counterparty_name"] == "Anna Achterberg"
    assert first["counterparty_iban"] == "DE02120300000000202051"
    assert first["remittance"] == "Mitgliedsbeitrag Anna RF56PDK202600001"
    assert first["bank_reference"] == "2026031600001"
    assert first["account"] == "DE89370400440532013000"
    assert [b["counterparty_name"] for b in bookings[4:]] == ["Carla Conrady", "Dieter Dahlmann"]
    assert bookings[3]["remittance"] == "Kontofuehrungsentgelt Maerz"


def test_it_reads_the_same_booking_alike_in_camt053_versions_02_and_08():
    bookings_02 = parse_camt053(read(CAMT))
    bookings_08 = parse_camt053(read(CAMT_OVERLAP))

    assert bookings_08[0] == bookings_02[0]
    assert bookings_08[1]["counterparty_name"] == "Hanno Hinz"


def test_it_reads_a_german_mt940_with_its_purpose_sub_fields_and_the_payers_account():
    bookings = parse_mt940(read(MT940))

    assert [b["amount_cents"] for b in bookings] == [6000, 4500, 1000, -390]
    emil = bookings[0]
    # ?21 and ?22 joined: the RF reference the bank split between them is whole again.
    assert emil["remittance"] == "Mitgliedsbeitrag RF45PDK202600005 Emil Ehrlich"
    assert emil["counterparty_name"] == "Emil Ehrlich"
    assert emil["counterparty_iban"] == "DE89700202700015950005"
    assert emil["booked_on"] == datetime.date(2026, 3, 18)
    assert emil["bank_reference"] == "2026031800001"
    assert bookings[1]["counterparty_name"] == "Frieda Fröhlich"  # ISO 8859-1 read right


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (read(CAMT), "camt053"),
        (b"\xef\xbb\xbf" + read(CAMT_OVERLAP), "camt053"),
        (read(MT940), "mt940"),
    ],
)
def test_it_tells_the_format_from_the_content(data, expected):
    assert detect_format(data) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Dear treasurer,\nplease find the statement attached.\n", "not a bank statement"),
        (b"<html><body>Online banking</body></html>", "only CAMT.053"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"/>',
            "CAMT.054",
        ),
        (b"%PDF-1.7\n...", "PDF"),
        (b"PK\x03\x04zipped", "ZIP"),
        (b":20:STARTUMSE\n:25:37040044/0532013000\n:60F:C260317EUR0,00\n", "no bookings"),
    ],
)
def test_it_says_clearly_what_a_file_is_when_it_is_no_statement(data, message):
    with pytest.raises(StatementError, match=message):
        detect_format(data)


# Any character UTF-8 can write (surrogates cannot), given as an alphabet: the default
# one makes Hypothesis map every code point through the codec first, 7 s of each run.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)


@hypothesis_settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=400),
        ANY_TEXT.map(lambda t: (":20:X\n:25:Y\n:61:" + t).encode()),
        ANY_TEXT.map(lambda t: camt(f"<Ntry><Sts>BOOK</Sts>{t}</Ntry>").replace(b"&", b"")),
        st.sampled_from([read(CAMT), read(MT940)]).map(
            lambda data: data[: len(data) // 2]  # cut short
        ),
    )
)
def test_whatever_the_file_holds_reading_it_gives_bookings_or_a_clear_message(data):
    try:
        kind, bookings = parse_statement(data)
    except StatementError as error:
        assert str(error)
    else:
        assert kind in ("camt053", "mt940")
        assert all(isinstance(b["amount_cents"], int) for b in bookings)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("60.005", "more than two decimals"),
        ("99999999999.00", "too large"),
        ("sixty", "not a number"),
        ("-60.00", "not valid"),
    ],
)
def test_an_amount_that_is_no_money_we_can_book_is_refused(amount, message):
    with pytest.raises(StatementError, match=f"Entry 1: .*{message}"):
        parse_camt053(camt(entry(amount, "x", reference="A")))


def test_control_characters_in_an_mt940_file_are_dropped():
    data = read(MT940).replace(b"Stammtisch Kasse", b"Stammtisch\x00Kasse\x07")

    assert parse_mt940(data)[2]["remittance"] == "Stammtisch Kasse"


# --- Importing and matching ------------------------------------------------------------------


def test_it_imports_a_camt053_statement_and_pays_the_invoices_it_can_match(
    people, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = import_file(CAMT)

    assert not result.already_imported
    assert (result.new, result.matched, result.unmatched, result.ignored) == (6, 3, 2, 1)
    assert result.duplicates == 0
    statement = result.statement
    assert statement.format == Statement.Format.CAMT053
    assert statement.account == "DE89370400440532013000"
    assert statement.lines.count() == 6

    # Anna by her RF reference, Carla and Dieter in the batch (by reference and by number).
    for name in ("anna", "carla", "dieter"):
        member, invoice = people[name]
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID
        [payment] = invoice.payments.all()
        assert (payment.amount_cents, payment.method) == (6000, "transfer")
        assert payment.received_on == datetime.date(2026, 3, 16)
        assert payment.statement_line.status == StatementLine.Status.MATCHED
        assert payment.statement_line.invoice == invoice
        assert payment.statement_line.matched_by is None  # automatically
        member.refresh_from_db()
        assert member.renewal_date == datetime.date(2027, 4, 1)
        assert member.seat.membership.valid_until == datetime.date(2027, 4, 1)
    receipts = sorted(m.subject for m in mail.outbox if m.subject.startswith("Receipt"))
    assert receipts == [
        "Receipt for invoice 2026-0001",
        "Receipt for invoice 2026-0003",
        "Receipt for invoice 2026-0004",
    ]

    # Bernd paid half: his invoice stays open, the line waits with a word why.
    _bernd, bernd_invoice = people["bernd"]
    bernd_invoice.refresh_from_db()
    assert bernd_invoice.status == Invoice.Status.OPEN
    assert not bernd_invoice.payments.exists()
    half = line_for("2026-0002")
    assert half.status == StatementLine.Status.UNMATCHED
    assert half.note == "Names invoice 2026-0002, which is open for 60.00 EUR."
    assert line_for("Spende").status == StatementLine.Status.UNMATCHED
    assert line_for("Spende").note == ""
    fee = line_for("Kontofuehrungsentgelt")
    assert (fee.status, fee.amount_cents) == (StatementLine.Status.IGNORED, -1250)
    # The pending entry was not imported.
    assert not StatementLine.objects.filter(booked_on=datetime.date(2026, 3, 17)).exists()


def test_it_imports_a_german_mt940_statement_and_a_lapsed_member_who_paid_is_back(people):
    emil, emil_invoice = people["emil"]
    assert emil.membership_status == User.Status.LAPSED

    result = import_file(MT940)

    assert (result.new, result.matched, result.unmatched, result.ignored) == (4, 1, 2, 1)
    assert result.statement.format == Statement.Format.MT940
    emil_invoice.refresh_from_db()
    assert emil_invoice.status == Invoice.Status.PAID
    emil.refresh_from_db()
    assert emil.membership_status == User.Status.ACTIVE
    assert emil.seat.membership.valid_until == datetime.date(2027, 3, 1)
    assert emil.seat.membership.lapsed_on is None
    frieda = line_for("2026-0006")
    assert frieda.status == StatementLine.Status.UNMATCHED
    assert frieda.note == "Names invoice 2026-0006, which is open for 60.00 EUR."
    assert frieda.counterparty_name == "Frieda Fröhlich"
    assert line_for("Stammtisch Kasse").status == StatementLine.Status.UNMATCHED
    assert line_for("Buchungsposten").status == StatementLine.Status.IGNORED


def test_importing_the_same_file_twice_changes_nothing(people):
    import_file(CAMT)
    before = (Statement.objects.count(), StatementLine.objects.count(), Payment.objects.count())

    again = import_file(CAMT, by=None)

    assert again.already_imported
    assert again.new == again.matched == 0
    assert again.statement == Statement.objects.get()
    after = (Statement.objects.count(), StatementLine.objects.count(), Payment.objects.count())
    assert after == before == (1, 6, 3)


def test_an_overlapping_statement_adds_only_its_new_bookings_and_pays_nothing_twice(people):
    import_file(CAMT)

    result = import_file(CAMT_OVERLAP)

    assert not result.already_imported
    assert (result.new, result.duplicates, result.unmatched) == (1, 1, 1)
    _anna, anna_invoice = people["anna"]
    assert anna_invoice.payments.count() == 1
    assert StatementLine.objects.filter(remittance__contains="RF56PDK202600001").count() == 1
    assert result.statement.lines.get().counterparty_name == "Hanno Hinz"


def test_two_identical_bookings_in_one_statement_are_both_kept(db):
    data = camt(
        entry("1.50", "Entgelt", direction="DBIT"),
        entry("1.50", "Entgelt", direction="DBIT"),
    )

    result = statement_import(data=data, filename="fees.xml", uploaded_by=None)

    assert (result.new, result.ignored, result.duplicates) == (2, 2, 0)


def test_a_payment_naming_a_paid_or_cancelled_invoice_waits_for_staff(people):
    _anna, anna_invoice = people["anna"]
    _bernd, bernd_invoice = people["bernd"]
    import_file(CAMT)  # pays Anna's invoice
    credit_note_issue(invoice=bernd_invoice, reason="Left the club")
    data = camt(
        entry("60.00", "RF56PDK202600001 again", reference="X1"),
        entry("60.00", "RF29PDK202600002", reference="X2"),
        entry("60.00", "2026-0003 and 2026-0004", reference="X3"),
    )

    result = statement_import(data=data, filename="more.xml", uploaded_by=None)

    assert (result.new, result.unmatched, result.matched) == (3, 3, 0)
    assert line_for("again").note == "Names invoice 2026-0001, which is paid already."
    assert line_for("RF29").note == "Names invoice 2026-0002, which was cancelled."
    assert line_for("and 2026").note == "Names several invoices: 2026-0003, 2026-0004."
    assert anna_invoice.payments.count() == 1


def test_a_credit_note_is_never_matched_by_its_reference(people):
    _bernd, bernd_invoice = people["bernd"]
    note = credit_note_issue(invoice=bernd_invoice, reason="Left the club")
    data = camt(entry("60.00", note.reference, reference="CN"))

    result = statement_import(data=data, filename="cn.xml", uploaded_by=None)

    assert (result.matched, result.unmatched) == (0, 1)
    assert not Payment.objects.exists()


# --- The upload page ----------------------------------------------------------------------------


def test_staff_upload_a_statement_and_see_what_became_of_each_line(staff_client, people):
    response = upload(staff_client, read(CAMT), "march.xml")

    statement = Statement.objects.get()
    assert response.redirect_chain == [(reverse("office:statement", args=[statement.pk]), 302)]
    page = response.content.decode()
    assert (
        "6 new lines: 3 matched and paid, 2 waiting to be matched, 1 set aside as not dues." in page
    )
    assert "march.xml" in page
    assert "Bernd Brückner" in page  # the payer's name, for staff
    assert "Names invoice 2026-0002, which is open for 60.00 EUR." in page
    assert "2026-0001" in page
    assert statement.uploaded_by.display_name == "Stella Staff"


def test_uploading_the_same_statement_again_says_so_and_changes_nothing(staff_client, people):
    upload(staff_client, read(MT940), "march.sta")

    response = upload(staff_client, read(MT940), "march-again.sta")

    assert "This statement was imported already" in response.content.decode()
    assert Statement.objects.count() == 1
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "declares XML entities"),
        (EXTERNAL_ENTITY, "external XML entities"),
        (b"Just some notes, saved as .xml\n", "not a bank statement"),
        (
            b"<?xml version='1.0'?>"
            b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'>",
            "not valid XML",
        ),
    ],
    ids=["billion laughs", "external entity", "text named .xml", "cut short"],
)
def test_a_hostile_or_wrong_file_is_refused_with_a_clear_message(
    staff_client, people, data, message
):
    response = upload(staff_client, data, "statement.xml")

    assert response.status_code == 200
    [error] = response.context["form"].errors["file"]
    assert message in error
    assert not Statement.objects.exists()
    assert "root:" not in response.content.decode()  # nothing of /etc/passwd


def test_a_file_over_five_megabytes_is_refused_before_it_is_read(staff_client):
    big = b"<?xml version='1.0'?>" + b" " * (6 * 1024 * 1024)

    response = upload(staff_client, big, "huge.xml")

    assert response.status_code == 200
    [error] = response.context["form"].errors["file"]
    assert error == "The file is 6.0 MB; the limit is 5 MB."
    assert not Statement.objects.exists()


def test_an_empty_upload_asks_for_a_file(staff_client):
    response = staff_client.post(reverse("office:statements"), {})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["This field is required."]


# --- Matching by hand ----------------------------------------------------------------------------


def test_staff_match_a_partial_payment_and_the_invoice_stays_open(staff_client, staff, people):
    import_file(CAMT)
    half = line_for("2026-0002")

    response = staff_client.post(
        reverse("office:line_match", args=[half.pk]), {"invoice": "2026-0002"}, follow=True
    )

    assert "Recorded against invoice 2026-0002: 30.00 EUR is still open." in (
        response.content.decode()
    )
    half.refresh_from_db()
    assert (half.status, half.matched_by) == (StatementLine.Status.MATCHED, staff)
    _bernd, invoice = people["bernd"]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    [payment] = invoice.payments.all()
    assert (payment.amount_cents, payment.recorded_by, payment.statement_line) == (
        3000,
        staff,
        half,
    )


def test_staff_match_the_rest_and_the_invoice_is_paid_and_the_membership_renewed(staff, people):
    bernd, invoice = people["bernd"]
    import_file(CAMT)
    statement_line_match(line=line_for("2026-0002"), invoice=invoice, matched_by=staff)
    data = camt(entry("30.00", "Rest", reference="R1"))
    statement_import(data=data, filename="rest.xml", uploaded_by=staff)

    statement_line_match(line=line_for("Rest"), invoice=invoice, matched_by=staff)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    bernd.refresh_from_db()
    assert bernd.seat.membership.valid_until == datetime.date(2027, 4, 1)


def test_an_overpayment_is_recorded_and_shown(staff_client, people):
    import_file(CAMT)  # pays Anna's invoice

    response = staff_client.post(
        reverse("office:line_match", args=[line_for("Spende").pk]),
        {"invoice": "2026-0001"},
        follow=True,
    )

    assert "which is now overpaid by 25.00 EUR" in response.content.decode()
    _anna, invoice = people["anna"]
    assert invoice.payments.count() == 2


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("2026-9999", "There is no invoice 2026-9999."),
        ("", "This field is required."),
        ("credit note", "is a credit note."),
        ("cancelled", "was cancelled."),
    ],
)
def test_a_match_to_a_wrong_invoice_is_refused_with_a_message(
    staff_client, people, number, message
):
    _bernd, invoice = people["bernd"]
    if number in ("credit note", "cancelled"):
        note = credit_note_issue(invoice=invoice, reason="Left the club")
        number = note.number if number == "credit note" else invoice.number
    import_file(CAMT)
    donation = line_for("Spende")

    response = staff_client.post(
        reverse("office:line_match", args=[donation.pk]), {"invoice": number}, follow=True
    )

    assert message in response.content.decode()
    donation.refresh_from_db()
    assert donation.status == StatementLine.Status.UNMATCHED
    assert not Payment.objects.filter(statement_line=donation).exists()


def test_a_line_matched_twice_records_one_payment(staff_client, staff, people):
    import_file(CAMT)
    half = line_for("2026-0002")
    url = reverse("office:line_match", args=[half.pk])

    staff_client.post(url, {"invoice": "2026-0002"})
    response = staff_client.post(url, {"invoice": "2026-0002"}, follow=True)

    assert "This line was matched already; nothing was recorded twice." in (
        response.content.decode()
    )
    assert Payment.objects.filter(statement_line=half).count() == 1
    with pytest.raises(StatementError):
        statement_line_ignore(line=half, ignored_by=staff)


def test_staff_set_a_line_aside_as_not_dues(staff_client, staff, people):
    import_file(CAMT)
    donation = line_for("Spende")

    response = staff_client.post(reverse("office:line_ignore", args=[donation.pk]), follow=True)

    assert "Set aside as not dues: 25.00 EUR" in response.content.decode()
    donation.refresh_from_db()
    assert (donation.status, donation.matched_by) == (StatementLine.Status.IGNORED, staff)
    assert "Spende Sommerfest" not in staff_client.get(reverse("office:unmatched")).content.decode()
    with pytest.raises(StatementError, match="set aside already"):
        statement_line_match(line=donation, invoice=people["bernd"][1], matched_by=staff)


def test_the_waiting_list_suggests_the_named_invoice_and_invoices_owing_the_amount(
    staff_client, people
):
    import_file(MT940)

    response = staff_client.get(reverse("office:unmatched"))

    page = response.content.decode()
    frieda = line_for("2026-0006")
    stammtisch = line_for("Stammtisch Kasse")
    # Newest first: both were booked on one day, Frieda's first.
    assert [line.pk for line in response.context["lines"]] == [stammtisch.pk, frieda.pk]
    # Frieda's 45.00 names her invoice: it is suggested although it owes 60.00.
    [suggested] = response.context["lines"][1].suggestions
    assert suggested.number == "2026-0006"
    assert "named in the transfer" in page
    assert "Frieda Fröhlich" in page
    assert "Names invoice 2026-0006, which is open for 60.00 EUR." in page
    assert response.context["lines"][0].suggestions == []  # nothing owes 10.00


def test_open_invoices_owing_the_amount_are_suggested_the_payers_first(staff_client, people):
    data = camt(
        '<Ntry><Amt Ccy="EUR">60.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-03-20</Dt></BookgDt><NtryDtls><TxDtls><RltdPties>"
        "<Dbtr><Nm>DIETER DAHLMANN</Nm></Dbtr></RltdPties><RmtInf><Ustrd>Beitrag</Ustrd>"
        "</RmtInf></TxDtls></NtryDtls></Ntry>"
    )
    statement_import(data=data, filename="x.xml", uploaded_by=None)

    response = staff_client.get(reverse("office:unmatched"))

    [line] = response.context["lines"]
    numbers = [invoice.number for invoice in line.suggestions]
    assert numbers[0] == "2026-0004"  # Dieter's own
    assert len(numbers) == 5  # six invoices owe 60.00; five are offered


# --- Who may see the pages ----------------------------------------------------------------------


@pytest.fixture
def a_line(db):
    return statement_with_lines(1).lines.get()


@pytest.mark.parametrize("name", ["statements", "statement", "unmatched"])
def test_every_page_climbs_the_permission_ladder(client, member, staff, a_line, name):
    args = [a_line.statement_id] if name == "statement" else []
    url = reverse(f"office:{name}", args=args)

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    client.force_login(member)
    assert client.get(url).status_code == 403

    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert "Payer 0" in response.content.decode() or name == "statements"


@pytest.mark.parametrize("name", ["line_match", "line_ignore"])
def test_the_line_actions_climb_the_permission_ladder(client, member, staff, a_line, name):
    url = reverse(f"office:{name}", args=[a_line.pk])

    assert client.post(url, {"invoice": "2026-0001"}).status_code == 302
    client.force_login(member)
    assert client.post(url, {"invoice": "2026-0001"}).status_code == 403
    assert client.get(url).status_code == 405
    client.force_login(staff)
    assert client.post(reverse(f"office:{name}", args=[a_line.pk + 999])).status_code == 404
    a_line.refresh_from_db()
    assert a_line.status == StatementLine.Status.UNMATCHED  # nobody changed it


def test_a_statement_that_does_not_exist_is_not_found(staff_client):
    assert staff_client.get(reverse("office:statement", args=[999])).status_code == 404


# --- Query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("unmatched", lambda n: statement_with_lines(n, remittance="Beitrag 2026-0001")),
        ("statement", lambda n: statement_with_lines(n, status=StatementLine.Status.IGNORED)),
    ],
)
def test_a_list_of_lines_costs_the_same_queries_for_two_lines_and_fifty(
    staff_client, staff, name, make
):
    levels()
    member_owing("Anna Achterberg", renews_on=datetime.date(2026, 4, 1))  # owes 60.00

    def count(n: int) -> int:
        StatementLine.objects.all().delete()
        statement = make(n)
        args = [statement.pk] if name == "statement" else []
        if name == "statement":
            statement.lines.update(matched_by=staff)
        url = reverse(f"office:{name}", args=args)
        cache.clear()  # the Office link's count is cached: measure each page cold
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url).status_code == 200
        return len(captured)

    # unmatched: the session, the user, the paginator's count, the page of lines with
    # their statement, the invoices the lines name, the open invoices owing their amounts.
    # statement: the session, the user, the statement with its uploader, the lines counted
    # by status, the paginator's count, the page of lines with invoice and staff member.
    # Both: the staff inbox's total for the Office link.
    expected = {"unmatched": 7, "statement": 7}[name]
    assert count(2) == expected
    assert count(50) == expected


def test_the_statements_page_costs_the_same_queries_for_two_statements_and_fifty(staff_client):
    def count(n: int) -> int:
        for _ in range(n - Statement.objects.count()):
            statement_with_lines(3)
        cache.clear()  # the Office link's count is cached: measure each page cold
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(reverse("office:statements"))
        assert response.status_code == 200
        return len(captured)

    # The session, the user, the paginator's count, the page of statements with their
    # lines counted by status and the uploader, the number of lines waiting, the staff
    # inbox's total for the Office link.
    assert count(2) == 6
    assert count(50) == 6


# --- At the same moment (threads, on committed data) ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_uploads_of_one_file_in_the_same_second_import_it_once():
    owing_members()

    results, errors = run_together([lambda: import_file(CAMT) for _ in range(4)])

    assert errors == []
    assert sorted(r.already_imported for r in results) == [False, True, True, True]
    assert Statement.objects.count() == 1
    assert StatementLine.objects.count() == 6
    assert Payment.objects.count() == 3
    assert {r.statement.pk for r in results} == {Statement.objects.get().pk}


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_statements_at_once_store_their_shared_booking_once():
    owing_members()

    results, errors = run_together([lambda: import_file(CAMT), lambda: import_file(CAMT_OVERLAP)])

    assert errors == []
    assert Statement.objects.count() == 2
    assert StatementLine.objects.count() == 7  # 6 + 2, one of them shared
    assert StatementLine.objects.filter(remittance__contains="RF56PDK202600001").count() == 1
    assert Payment.objects.filter(invoice__number="2026-0001").count() == 1
    assert sum(r.duplicates for r in results) == 1


@pytest.mark.django_db(transaction=True)
def test_two_staff_matching_one_line_at_once_record_one_payment():
    people = owing_members()
    staff_a = MemberFactory(is_staff=True)
    staff_b = MemberFactory(is_staff=True)
    import_file(CAMT)
    half = line_for("2026-0002")
    invoice = people["bernd"][1]

    results, errors = run_together(
        [
            lambda who=who: statement_line_match(line=half, invoice=invoice, matched_by=who)
            for who in (staff_a, staff_b)
        ]
    )

    assert len(results) == 1
    assert [type(e) for e in errors] == [StatementError]
    assert Payment.objects.filter(statement_line=half).count() == 1
    assert Invoice.objects.get(pk=invoice.pk).payments.count() == 1


@pytest.mark.parametrize("name", ["statements", "statement", "unmatched"])
def test_the_pages_label_every_control_and_name_every_button(staff_client, people, name):
    from tests.test_accessibility_markup import audit

    statement = import_file(CAMT).statement
    args = [statement.pk] if name == "statement" else []

    response = staff_client.get(reverse(f"office:{name}", args=args))

    found = audit(response.content.decode())
    assert found.unlabelled_controls() == []
    assert found.unnamed == []
    assert found.images_without_alt == []
