"""The renewal cycle: notices, reminders, grace, lapse, and a whole year of it.

Settings as shipped: notice 30 days before the renewal date, a reminder every 14 days after
the due date (two at most), lapse 30 days after it. The states a dues invoice goes through
(what staff see): "due" up to its due date, "grace" for 30 days after, then "lapsed".
"""

import datetime
import io
import threading
from pathlib import Path
from unittest import mock

import pytest
import sepaxml
import xmlschema
from django.core import mail as django_mail
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import OutgoingMail, User
from membership import mail, methods, rights
from membership.cycle import DUE, GRACE, LAPSED, dues_state, open_dues_in, renewal_cycle_run
from membership.models import Invoice, Level, Membership, Seat
from membership.money import grouped
from membership.sepa import collection_export, earliest_collection_date, mandate_create
from membership.services import payment_record
from membership.statements import statement_import
from tests.membership.factories import LevelFactory, member_joined, membership_of, outbox
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db
D = datetime.date
NOTICE, REMINDER, LAPSE, RECEIPT = (
    "Your membership dues",
    "Reminder:",
    "has lapsed",
    "Receipt for",
)


def days(first: datetime.date, last: datetime.date):
    day = first
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)


def run_every_day(first, last) -> dict[str, int]:
    total = {"notices": 0, "reminders": 0, "lapsed": 0}
    for day in days(first, last):
        for key, value in renewal_cycle_run(today=day).items():
            total[key] += value
    return total


@pytest.fixture
def level():
    return LevelFactory(name="Full member", fee_cents=6000, period=Level.Period.CALENDAR)


@pytest.fixture
def paid_up(level):
    """A member who joined in March 2025 and paid: the membership renews on 1 January 2026."""
    member = member_joined(level=level, on=D(2025, 3, 10), email="paid.up@example.org")
    first = Invoice.objects.get(member=member)
    payment_record(invoice=first, amount_cents=first.total_cents, method="transfer", notify=False)
    return member


def renewal_invoice(member) -> Invoice:
    return Invoice.objects.get(member=member, period_start=D(2026, 1, 1))


# --- The notice -----------------------------------------------------------------------------


def test_the_notice_and_its_invoice_come_thirty_days_before_the_renewal_date(paid_up):
    assert renewal_cycle_run(today=D(2025, 12, 1)) == {"notices": 0, "reminders": 0, "lapsed": 0}
    assert not outbox(subject=NOTICE, to=paid_up.email)[1:]  # only the first term's

    assert renewal_cycle_run(today=D(2025, 12, 2)) == {"notices": 1, "reminders": 0, "lapsed": 0}

    invoice = renewal_invoice(paid_up)
    assert (invoice.status, invoice.total_cents) == (Invoice.Status.OPEN, 6000)
    assert (invoice.issued_on, invoice.due_on) == (D(2025, 12, 2), D(2026, 1, 1))
    assert (invoice.period_start, invoice.period_end) == (D(2026, 1, 1), D(2027, 1, 1))
    (notice,) = outbox(subject=f"invoice {invoice.number}", to=paid_up.email)
    assert notice.subject == f"Your membership dues: invoice {invoice.number}"
    assert "60.00 EUR" in notice.body
    assert "1 Jan 2026" in notice.body  # renews on, and due on
    assert invoice.get_absolute_url() in notice.body
    assert invoice.reference[:4] in notice.body
    (attachment,) = notice.attachments
    assert attachment["filename"] == f"invoice-{invoice.number}.pdf"
    assert attachment["mimetype"] == "application/pdf"


def test_the_notice_says_how_to_pay_by_transfer(paid_up, settings):
    settings.PADDOCK_BANK_IBAN = "DE89370400440532013000"
    settings.PADDOCK_BANK_BIC = "COBADEFFXXX"
    settings.PADDOCK_BANK_ACCOUNT_HOLDER = "1M Register e.V."

    renewal_cycle_run(today=D(2025, 12, 2))

    invoice = renewal_invoice(paid_up)
    body = outbox(subject=f"invoice {invoice.number}")[0].body
    assert "DE89 3704 0044 0532 0130 00" in body
    assert "COBADEFFXXX" in body
    assert "1M Register e.V." in body
    assert grouped(invoice.reference) in body
    assert mail.membership_page_url() in body


def test_running_the_cycle_twice_a_day_sends_nothing_twice(paid_up):
    renewal_cycle_run(today=D(2025, 12, 2))
    mails = len(outbox())

    assert renewal_cycle_run(today=D(2025, 12, 2)) == {"notices": 0, "reminders": 0, "lapsed": 0}
    assert renewal_cycle_run(today=D(2025, 12, 3)) == {"notices": 0, "reminders": 0, "lapsed": 0}

    assert Invoice.objects.filter(member=paid_up, period_start=D(2026, 1, 1)).count() == 1
    assert len(outbox()) == mails


def test_a_term_cancelled_by_staff_is_not_billed_again(paid_up):
    from membership.services import credit_note_issue

    renewal_cycle_run(today=D(2025, 12, 2))
    credit_note_issue(invoice=renewal_invoice(paid_up), reason="Leaving at the year's end")

    assert renewal_cycle_run(today=D(2025, 12, 3))["notices"] == 0
    assert renewal_cycle_run(today=D(2026, 3, 1)) == {"notices": 0, "reminders": 0, "lapsed": 0}


def test_a_free_level_gets_no_invoice_and_its_term_renews_by_itself():
    free = LevelFactory(fee_cents=0, period=Level.Period.ROLLING)
    member = member_joined(level=free, on=D(2025, 3, 10))

    assert run_every_day(D(2026, 2, 1), D(2026, 3, 12)) == {
        "notices": 0,
        "reminders": 0,
        "lapsed": 0,
    }

    assert not Invoice.objects.exists()
    assert outbox() == []
    assert membership_of(member).valid_until == D(2027, 3, 10)
    assert User.objects.get(pk=member.pk).renewal_date == D(2027, 3, 10)


def test_life_memberships_and_resigned_members_are_left_alone(level):
    life = LevelFactory(fee_cents=60000, period=Level.Period.LIFE)
    lifer = member_joined(level=life, on=D(2025, 3, 10))
    leaver = member_joined(level=level, on=D(2025, 3, 10))
    User.objects.filter(pk=leaver.pk).update(membership_status=User.Status.RESIGNED)
    invoices = Invoice.objects.count()

    run_every_day(D(2025, 11, 25), D(2026, 3, 1))

    assert Invoice.objects.count() == invoices
    assert outbox(subject=REMINDER) == outbox(subject=LAPSE) == []
    assert User.objects.get(pk=lifer.pk).membership_status == User.Status.ACTIVE


# --- Reminders, grace, lapse ----------------------------------------------------------------


def test_reminders_come_every_fourteen_days_after_the_due_date_two_at_most(paid_up):
    reminded_on = []
    for day in days(D(2025, 12, 1), D(2026, 1, 31)):  # the 31st: the last day of grace
        if renewal_cycle_run(today=day)["reminders"]:
            reminded_on.append(day)

    assert reminded_on == [D(2026, 1, 15), D(2026, 1, 29)]
    invoice = renewal_invoice(paid_up)
    assert (invoice.reminders_sent, invoice.last_reminded_on) == (2, D(2026, 1, 29))
    reminders = outbox(subject=REMINDER, to=paid_up.email)
    assert [m.subject for m in reminders] == [f"Reminder: invoice {invoice.number} is open"] * 2
    assert all(m.attachments[0]["filename"] == f"invoice-{invoice.number}.pdf" for m in reminders)
    assert "31 Jan 2026" not in reminders[0].body
    assert "1 Feb 2026" in reminders[0].body  # the day it lapses


def test_a_late_run_sends_one_reminder_not_every_missed_one(paid_up):
    renewal_cycle_run(today=D(2025, 12, 2))

    assert renewal_cycle_run(today=D(2026, 1, 30))["reminders"] == 1
    assert renewal_cycle_run(today=D(2026, 1, 31))["reminders"] == 0


def test_the_member_stays_active_in_grace_and_lapses_the_day_after_it(paid_up):
    run_every_day(D(2025, 12, 1), D(2026, 1, 31))
    invoice = renewal_invoice(paid_up)
    assert dues_state(invoice, D(2026, 1, 1)) == DUE
    assert dues_state(invoice, D(2026, 1, 31)) == GRACE
    assert User.objects.get(pk=paid_up.pk).membership_status == User.Status.ACTIVE

    assert renewal_cycle_run(today=D(2026, 2, 1)) == {"notices": 0, "reminders": 0, "lapsed": 1}

    assert dues_state(invoice, D(2026, 2, 1)) == LAPSED
    member = User.objects.get(pk=paid_up.pk)
    assert member.membership_status == User.Status.LAPSED
    assert membership_of(member).lapsed_on == D(2026, 2, 1)
    (lapsed,) = outbox(subject=LAPSE, to=member.email)
    assert lapsed.subject == "Your membership has lapsed"
    assert invoice.number in lapsed.body and "60.00 EUR" in lapsed.body


def test_staff_lists_of_due_grace_and_lapsed_follow_the_same_rule(paid_up):
    renewal_cycle_run(today=D(2025, 12, 2))
    invoice = renewal_invoice(paid_up)

    for day, state in [
        (D(2025, 12, 2), DUE),
        (D(2026, 1, 1), DUE),
        (D(2026, 1, 2), GRACE),
        (D(2026, 1, 31), GRACE),
        (D(2026, 2, 1), LAPSED),
    ]:
        assert dues_state(invoice, day) == state
        assert [list(open_dues_in(s, day)) for s in (DUE, GRACE, LAPSED)] == [
            [invoice] if s == state else [] for s in (DUE, GRACE, LAPSED)
        ]
    payment_record(invoice=invoice, amount_cents=6000, method="cash", notify=False)
    invoice.refresh_from_db()
    assert dues_state(invoice, D(2026, 2, 1)) is None
    assert not open_dues_in(LAPSED, D(2026, 2, 1)).exists()


def test_the_lapse_mail_is_sent_once_and_nothing_follows_it(paid_up):
    run_every_day(D(2025, 12, 1), D(2026, 2, 1))
    mails = len(outbox())

    totals = run_every_day(D(2026, 2, 2), D(2026, 12, 31))

    assert totals == {"notices": 0, "reminders": 0, "lapsed": 0}
    assert len(outbox()) == mails  # no second lapse mail, and no notice for 2027 either
    assert len(outbox(subject=LAPSE)) == 1


def test_a_lapsed_member_keeps_account_and_cars_but_not_members_only_rights(paid_up):
    car = CarFactory(owner=paid_up)
    run_every_day(D(2025, 12, 1), D(2026, 2, 1))

    member = User.objects.get(pk=paid_up.pk)
    assert member.is_active
    assert car.ownerships.get().member == member
    assert not rights.may(member, rights.CARS)
    assert not rights.may(member, rights.RSVP)


def test_paying_after_the_lapse_reactivates_and_extends_the_term(paid_up):
    run_every_day(D(2025, 12, 1), D(2026, 2, 1))
    invoice = renewal_invoice(paid_up)

    payment_record(
        invoice=invoice, amount_cents=6000, method=methods.TRANSFER, received_on=D(2026, 2, 10)
    )

    member = User.objects.get(pk=paid_up.pk)
    membership = membership_of(member)
    assert member.membership_status == User.Status.ACTIVE
    assert rights.may(member, rights.CARS)
    assert (membership.valid_until, membership.lapsed_on) == (D(2027, 1, 1), None)
    assert member.renewal_date == D(2027, 1, 1)
    assert len(outbox(subject=f"Receipt for invoice {invoice.number}", to=member.email)) == 1
    # And the next year runs as usual: the next notice on 2 December.
    assert run_every_day(D(2026, 2, 11), D(2026, 12, 2))["notices"] == 1


def test_a_household_lapses_together_and_each_member_is_told_once():
    household = LevelFactory(fee_cents=9000, seats=2)
    payer = member_joined(level=household, on=D(2025, 3, 10))
    partner = member_joined(level=LevelFactory(fee_cents=0), on=D(2025, 3, 10))
    old = membership_of(partner)
    Seat.objects.filter(member=partner).update(membership=membership_of(payer), is_payer=False)
    old.delete()
    first = Invoice.objects.get(member=payer)
    payment_record(invoice=first, amount_cents=first.total_cents, method="cash", notify=False)

    totals = run_every_day(D(2025, 12, 1), D(2026, 3, 1))

    assert totals == {"notices": 1, "reminders": 2, "lapsed": 2}
    assert set(User.objects.values_list("membership_status", flat=True)) == {"lapsed"}
    assert len(outbox(subject=LAPSE, to=payer.email)) == 1
    (told,) = outbox(subject=LAPSE, to=partner.email)
    assert payer.display_name in told.body  # who pays for it
    assert outbox(subject=NOTICE, to=partner.email) == []  # the invoices go to the payer


# --- Language ---------------------------------------------------------------------------------


def test_every_mail_is_written_in_the_members_language(level):
    member = member_joined(level=level, on=D(2025, 3, 10), language="de")
    first = Invoice.objects.get(member=member)
    payment_record(invoice=first, amount_cents=first.total_cents, method="cash", notify=False)
    languages = []
    gettext = mail.gettext

    def recording(text):
        from django.utils import translation

        languages.append(translation.get_language())
        return gettext(text)

    with mock.patch.object(mail, "gettext", recording):
        run_every_day(D(2025, 12, 1), D(2026, 2, 1))

    assert languages and set(languages) == {"de"}  # every subject
    notice, *reminders = outbox(to=member.email)[1:]  # after the first term's notice
    lapsed = reminders.pop()
    assert len(reminders) == 2
    assert "1. Januar 2026" in notice.body  # Django's German dates…
    assert "60,00 EUR" in notice.body  # …and German numbers, in the body
    assert "15. Januar 2026" not in notice.body
    assert "1. Februar 2026" in reminders[0].body
    assert "60,00 EUR" in lapsed.body


def test_an_english_members_mail_has_english_dates(level):
    member = member_joined(level=level, on=D(2025, 3, 10), language="en-gb")

    renewal_cycle_run(today=D(2025, 12, 2))

    notice = outbox(subject=NOTICE, to=member.email)[-1]
    assert "1 Jan 2026" in notice.body
    assert "Januar" not in notice.body


# --- Safety: crashes, two runs at once, the command ---------------------------------------


def test_a_crash_half_way_keeps_what_was_done_and_the_next_run_does_the_rest(level):
    first = member_joined(level=level, on=D(2025, 3, 10))
    second = member_joined(level=level, on=D(2025, 3, 10))
    send = mail.send_notice

    def fail_for_second(invoice):
        if invoice.member_id == second.pk:
            raise RuntimeError("the server was switched off")
        send(invoice)

    with mock.patch.object(mail, "send_notice", fail_for_second), pytest.raises(RuntimeError):
        renewal_cycle_run(today=D(2025, 12, 2))

    assert Invoice.objects.filter(period_start=D(2026, 1, 1)).get().member == first
    assert renewal_cycle_run(today=D(2025, 12, 2))["notices"] == 1
    assert Invoice.objects.filter(period_start=D(2026, 1, 1)).count() == 2
    for member in (first, second):
        assert len(outbox(subject=NOTICE, to=member.email)) == 2  # first term, and 2026


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_each_notice_once():
    level = LevelFactory(fee_cents=6000)
    members = [member_joined(level=level, on=D(2025, 3, 10)) for _ in range(4)]
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(timeout=10)
            results.append(renewal_cycle_run(today=D(2025, 12, 2)))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(result["notices"] for result in results) == 4
    assert Invoice.objects.filter(period_start=D(2026, 1, 1)).count() == 4
    for member in members:
        assert len(outbox(subject=NOTICE, to=member.email)) == 2  # first term, and 2026


def test_the_command_runs_the_cycle_for_a_given_day_and_says_what_it_did(paid_up):
    out = io.StringIO()

    call_command("run_renewals", "--date", "2025-12-02", stdout=out)

    assert out.getvalue().strip() == "Renewal notices: 1, reminders: 0, lapsed: 0."
    assert renewal_invoice(paid_up).issued_on == D(2025, 12, 2)


def test_the_command_refuses_a_date_it_cannot_read():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_renewals", "--date", "2. Dezember")


def test_queued_mail_is_delivered_once_the_run_commits(paid_up, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        renewal_cycle_run(today=D(2025, 12, 2))

    invoice = renewal_invoice(paid_up)
    (delivered,) = [m for m in django_mail.outbox if invoice.number in m.subject]
    assert delivered.to == [paid_up.email]
    assert delivered.attachments[0][0] == f"invoice-{invoice.number}.pdf"
    assert delivered.attachments[0][1].startswith(b"%PDF")


# --- A year of it ---------------------------------------------------------------------------


def camt053(day: datetime.date, invoice: Invoice, payer: str) -> bytes:
    """A bank's CAMT.053 statement with one transfer quoting the invoice's RF reference."""
    cents = invoice.total_cents
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-{day:%Y%m%d}</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-{day:%Y%m%d}</Id>
      <CreDtTm>{day}T18:00:00</CreDtTm>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
      <Ntry>
        <Amt Ccy="EUR">{cents // 100}.{cents % 100:02d}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt>
        <ValDt><Dt>{day}</Dt></ValDt>
        <AcctSvcrRef>BANK-{invoice.number}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties>
            <Dbtr><Nm>{payer}</Nm></Dbtr>
            <DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct>
          </RltdPties>
          <RmtInf><Ustrd>Mitgliedsbeitrag {invoice.reference}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def test_a_demo_year(level, settings):
    """Members join through the year and pay as a club's members do: by bank transfer (found
    on the statement the treasurer imports), by SEPA direct debit (a mandate given online, a
    pain.008 file exported and checked against the schema) and in cash at the gate, one late
    in the grace period; one never pays and lapses. The cycle runs twice every day, from
    1 January 2026 to 31 March 2027, and every mail goes out exactly once."""
    settings.PADDOCK_BANK_IBAN = "DE89370400440532013000"
    settings.PADDOCK_BANK_BIC = "COBADEFFXXX"
    settings.PADDOCK_SEPA_CREDITOR_ID = "DE98ZZZ09999999999"
    pain008 = xmlschema.XMLSchema(
        str(Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd")
    )
    treasurer = User.objects.create_superuser(email="treasurer@example.org", password="x")
    rolling = LevelFactory(fee_cents=4000, period=Level.Period.ROLLING)
    joins = {
        D(2026, 1, 10): ("anna", level),
        D(2026, 4, 20): ("ben", rolling),
        D(2026, 7, 1): ("clara", level),
        D(2026, 10, 5): ("dmitri", level),  # never pays
    }
    # (day, who, which term starts, how they pay)
    payments = {
        D(2026, 1, 15): ("anna", D(2026, 1, 10), methods.TRANSFER),
        D(2026, 4, 22): ("ben", D(2026, 4, 20), methods.CASH),
        D(2026, 7, 3): ("clara", D(2026, 7, 1), methods.DIRECT_DEBIT),
        D(2027, 1, 2): ("anna", D(2027, 1, 1), methods.TRANSFER),
        # Late, after a reminder: the treasurer's next export takes it, on her mandate.
        D(2027, 1, 20): ("clara", D(2027, 1, 1), methods.DIRECT_DEBIT),
    }
    people: dict[str, User] = {}

    for day in days(D(2026, 1, 1), D(2027, 3, 31)):
        if day in joins:
            name, joined_level = joins[day]
            people[name] = member_joined(
                level=joined_level, on=day, email=f"{name}@example.org", display_name=name
            )
        if day in payments:
            name, term, method = payments[day]
            invoice = Invoice.objects.get(member=people[name], period_start=term)
            if method == methods.TRANSFER:
                statement = camt053(day, invoice, payer=name.title())
                imported = statement_import(
                    data=statement, filename=f"{day}.xml", uploaded_by=treasurer
                )
                assert (imported.matched, imported.unmatched) == (1, 0)
                # The same statement again changes nothing.
                again = statement_import(
                    data=statement, filename=f"{day}.xml", uploaded_by=treasurer
                )
                assert again.already_imported
            elif method == methods.DIRECT_DEBIT:
                if not people[name].mandates.filter(status="active").exists():
                    mandate_create(
                        member=people[name],
                        account_holder=name.title(),
                        iban="DE02 1203 0000 0000 2020 51",
                        today=day,
                    )
                collection = collection_export(
                    collection_date=earliest_collection_date(day),
                    created_by=treasurer,
                    today=day,
                )
                pain008.validate(collection.xml)
                item = collection.items.get()
                assert item.invoice == invoice
                # A new mandate's first debit is FRST; the next one on it is RCUR.
                assert item.sequence_type == ("RCUR" if term.year == 2027 else "FRST")
            else:
                payment_record(
                    invoice=invoice,
                    amount_cents=invoice.total_cents,
                    method=method,
                    received_on=day,
                    recorded_by=treasurer,
                )
        renewal_cycle_run(today=day)
        queued = OutgoingMail.objects.count()
        # Cron runs it again (by mistake, or a retry): nothing is sent twice.
        assert renewal_cycle_run(today=day) == {"notices": 0, "reminders": 0, "lapsed": 0}
        assert OutgoingMail.objects.count() == queued

    sent = [(m.subject, m.to[0]) for m in outbox() if not m.subject.startswith(REMINDER)]
    assert len(sent) == len(set(sent)), "a mail went out twice"

    def count(kind: str, name: str) -> int:
        return len(outbox(subject=kind, to=f"{name}@example.org"))

    assert {
        name: [count(k, name) for k in (NOTICE, REMINDER, RECEIPT, LAPSE)] for name in people
    } == {
        "anna": [2, 0, 2, 0],  # joined, then 2027 (notice on 2 Dec)
        "ben": [2, 0, 1, 0],  # joined, then his 12 months from 20 April (notice 21 March)
        "clara": [2, 1, 2, 0],  # paid 2027 in the grace period, after one reminder
        "dmitri": [1, 2, 0, 1],  # reminded twice, lapsed, no notice for 2027
    }
    statuses = dict(
        User.objects.filter(pk__in=[p.pk for p in people.values()]).values_list(
            "email", "membership_status"
        )
    )
    assert statuses == {
        "anna@example.org": "active",
        "ben@example.org": "active",
        "clara@example.org": "active",
        "dmitri@example.org": "lapsed",
    }
    assert membership_of(people["dmitri"]).lapsed_on == D(2026, 11, 19)  # due 19 Oct + 30 days
    assert membership_of(people["anna"]).valid_until == D(2028, 1, 1)
    assert membership_of(people["clara"]).valid_until == D(2028, 1, 1)
    assert membership_of(people["ben"]).valid_until == D(2027, 4, 20)  # 2027's is not paid yet
    # Numbered without gaps in the order they were issued, per year.
    assert list(
        Invoice.objects.order_by("year", "serial").values_list("number", "member__email")
    ) == [
        ("2026-0001", "anna@example.org"),
        ("2026-0002", "ben@example.org"),
        ("2026-0003", "clara@example.org"),
        ("2026-0004", "dmitri@example.org"),
        ("2026-0005", "anna@example.org"),
        ("2026-0006", "clara@example.org"),
        ("2027-0001", "ben@example.org"),
    ]
    assert set(Membership.objects.values_list("lapsed_on", flat=True)) == {None, D(2026, 11, 19)}
