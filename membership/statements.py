"""Bank statements: read CAMT.053 and MT940 files, import their lines, match them to invoices.

The parsers turn a bank's file into a neutral list of bookings (`Booking`), one per
payment: a batch entry that carries several transfers gives one booking each. Amounts are
integer cents read from the file's decimal text, positive for money in, negative for money
out; never a float.

`statement_import` stores the bookings as statement lines and matches each payment to its
invoice: by the ISO 11649 creditor reference (RF…) the member quoted, else by an invoice
number (2026-0042) in the text. A payment of exactly what is owed on an open invoice pays
it (and renews the membership); anything else waits for staff (`statement_line_match`,
`statement_line_ignore`). Money out is set aside: it is not dues.

Importing the same file again changes nothing (its checksum is unique), and a booking that
two overlapping statements both carry is stored once (each line's fingerprint is unique).
"""

import datetime
import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypedDict

import mt940
from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException, EntitiesForbidden
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import sequence_next
from membership import methods
from membership.models import Invoice, Membership, Payment, Statement, StatementLine
from membership.money import find_creditor_references, format_cents
from membership.services import invoice_balance_cents, payment_record

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_CENTS = 2_000_000_000  # what the amount columns hold (20 million in the currency)
CAMT053_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
# An invoice number as the office gives them: 2026-0042 (the serial may grow a digit).
INVOICE_NUMBER = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})-([0-9]{4,6})(?![0-9])")

# The mt-940 package's fixes for German banks' files, switched on one by one (each is off
# by default only to keep the package's old output): the ?31 sub-field of :86: is the
# other party's IBAN, not part of their name; a reversed credit (RC) is money out; long
# :86: purposes are kept whole; a byte-order mark does not hide the first tag.
MT940_OPTIONS = mt940.Options(
    applicant_iban=True,
    merge_keeps_values=True,
    reversal_sign=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    strip_bom=True,
    gvc_leading_text=True,
)


class StatementError(ValueError):
    """The file cannot be imported, or a line cannot be matched: the message says why."""


class Booking(TypedDict):
    """One booking of a statement, whatever the file's format."""

    booked_on: datetime.date
    amount_cents: int  # money in > 0, money out < 0
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str  # the unstructured text and any structured creditor reference
    bank_reference: str
    account: str  # the club's account the statement is for (an IBAN, usually)


# --- Reading the files ---------------------------------------------------------------------


def detect_format(data: bytes) -> str:
    """Statement.Format.CAMT053 or .MT940, from the file's content (never its name)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        if re.search(rb"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.[0-9]+", data):
            return Statement.Format.CAMT053
        if re.search(rb"urn:iso:std:iso:20022:tech:xsd:camt\.05[24]\.", data):
            raise StatementError(
                _(
                    "This is a CAMT.052 or CAMT.054 file (an intraday report or a "
                    "notification). Please upload the bank's end-of-day statement: "
                    "CAMT.053 or MT940."
                )
            )
        raise StatementError(
            _("This XML file is not a bank statement: only CAMT.053 files can be read.")
        )
    if head.startswith(b"PK\x03\x04"):
        raise StatementError(
            _("This is a ZIP archive. Please unpack it and upload the statements inside.")
        )
    if head.startswith(b"%PDF"):
        raise StatementError(
            _(
                "This is a PDF. Please download the statement from your online banking as "
                "CAMT.053 (XML) or MT940 instead."
            )
        )
    text = _decode(data)
    if ":20:" in text and ":61:" in text:
        return Statement.Format.MT940
    if ":20:" in text and ":25:" in text:
        raise StatementError(_("This MT940 statement has no bookings."))
    raise StatementError(
        _(
            "This file is not a bank statement the office can read. Please upload a CAMT.053 "
            "(XML) or MT940 file from your online banking."
        )
    )


def parse_statement(data: bytes) -> tuple[str, list[Booking]]:
    """The file's format and its bookings; StatementError if it cannot be read."""
    kind = detect_format(data)
    if kind == Statement.Format.CAMT053:
        return kind, parse_camt053(data)
    return kind, parse_mt940(data)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # German banks write MT940 in ISO 8859-1 or Windows-1252.
        return data.decode("cp1252", errors="replace")


def _clean(text: str | None, limit: int) -> str:
    """One line of text with single spaces (no control characters), cut to the field's length."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text or "").split())[:limit]


def _iban(text: str | None) -> str:
    return re.sub(r"[\s\x00-\x1f\x7f]", "", text or "").upper()[:34]


def _cents(amount: Decimal) -> int:
    """Exact cents of a decimal amount; more than two decimals is not money we can book."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise StatementError(
            _("The amount %(amount)s has more than two decimals.") % {"amount": amount}
        )
    if abs(cents) > MAX_CENTS:
        raise StatementError(_("The amount %(amount)s is too large.") % {"amount": amount})
    return int(cents)


def _with_reference(text: str, reference: str) -> str:
    """The remittance text with a structured reference added, unless it says it already."""
    if reference and re.sub(r"\s", "", reference) not in re.sub(r"\s", "", text):
        text = f"{text} {reference}" if text else reference
    return text


class _Camt:
    """ElementTree paths in one camt.053 version's namespace ("Ntry/Amt" → "{ns}Ntry/{ns}Amt")."""

    def __init__(self, namespace: str):
        self.namespace = namespace

    def path(self, path: str) -> str:
        return "/".join(f"{{{self.namespace}}}{part}" for part in path.split("/"))

    def find(self, element, path: str):
        return element.find(self.path(path))

    def findall(self, element, path: str) -> list:
        return element.findall(self.path(path))

    def text(self, element, *paths: str) -> str:
        """The text of the first of `paths` that the element has, stripped ("" if none)."""
        for path in paths:
            found = element.find(self.path(path))
            if found is not None and (found.text or "").strip():
                return found.text.strip()
        return ""


def _xml_root(data: bytes):
    """The document's root element, read with entities and external references refused."""
    try:
        return SafeElementTree.fromstring(data, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden as error:
        if error.sysid or error.pubid:
            message = _(
                "The file refers to other files or web addresses (external XML entities). "
                "A bank statement never does, so it was not read."
            )
        else:
            message = _(
                "The file declares XML entities, which can make a small file expand to "
                "gigabytes. A bank statement never does, so it was not read."
            )
        raise StatementError(message) from error
    except DefusedXmlException as error:
        raise StatementError(
            _("The file holds XML a bank statement never does, so it was not read.")
        ) from error
    except SafeElementTree.ParseError as error:
        raise StatementError(
            _("The file is not valid XML (%(error)s); it may be cut short or damaged.")
            % {"error": error}
        ) from error


def parse_camt053(data: bytes) -> list[Booking]:
    """The booked entries of a CAMT.053 statement (versions .001.02 to .001.08)."""
    root = _xml_root(data)
    match = re.fullmatch(r"\{(urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.[0-9]+)\}.*", root.tag)
    if match is None:
        raise StatementError(
            _("This XML file is not a bank statement: only CAMT.053 files can be read.")
        )
    camt = _Camt(match.group(1))
    bookings: list[Booking] = []
    for statement in camt.findall(root, "BkToCstmrStmt/Stmt"):
        account = _iban(camt.text(statement, "Acct/Id/IBAN", "Acct/Id/Othr/Id"))
        for number, entry in enumerate(camt.findall(statement, "Ntry"), start=1):
            # Pending or information-only entries are not money on the account yet.
            status = camt.text(entry, "Sts/Cd", "Sts")
            if status.upper() != "BOOK":
                continue
            try:
                bookings += _camt_entry(camt, entry, account=account)
            except StatementError as error:
                raise StatementError(
                    _("Entry %(number)s: %(error)s") % {"number": number, "error": error}
                ) from error
    return bookings


def _camt_amount(camt: _Camt, element, path: str, direction: str) -> tuple[int, str] | None:
    amount = camt.find(element, path)
    if amount is None or not (amount.text or "").strip():
        return None
    try:
        value = Decimal(amount.text.strip())
    except InvalidOperation as error:
        raise StatementError(
            _("the amount %(amount)s is not a number.") % {"amount": amount.text.strip()[:20]}
        ) from error
    if value < 0 or not value.is_finite():
        raise StatementError(_("the amount %(amount)s is not valid.") % {"amount": value})
    if direction not in ("CRDT", "DBIT"):
        raise StatementError(_("it says neither credit nor debit."))
    cents = _cents(value)
    currency = (amount.get("Ccy") or "").strip().upper()[:3]
    return (cents if direction == "CRDT" else -cents), currency


def _camt_date(camt: _Camt, entry) -> datetime.date:
    text = camt.text(entry, "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm")
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError as error:
        raise StatementError(_("it has no booking date.")) from error


def _camt_entry(camt: _Camt, entry, *, account: str) -> list[Booking]:
    direction = camt.text(entry, "CdtDbtInd").upper()
    entry_amount = _camt_amount(camt, entry, "Amt", direction)
    if entry_amount is None:
        raise StatementError(_("it has no amount."))
    booked_on = _camt_date(camt, entry)
    entry_reference = camt.text(entry, "AcctSvcrRef")
    entry_text = camt.text(entry, "AddtlNtryInf")
    details = camt.findall(entry, "NtryDtls/TxDtls")

    # A batch (several transfers booked as one entry): one line each, if their amounts
    # add up to the entry's; else one line for the entry, with every transfer's text.
    parts = [(details[0] if len(details) == 1 else None, entry_amount)]
    if len(details) > 1:
        amounts = [
            _camt_amount(
                camt,
                detail,
                "Amt" if camt.find(detail, "Amt") is not None else "AmtDtls/TxAmt/Amt",
                camt.text(detail, "CdtDbtInd").upper() or direction,
            )
            for detail in details
        ]
        if all(amounts) and sum(cents for cents, _currency in amounts) == entry_amount[0]:
            parts = list(zip(details, amounts, strict=True))

    bookings = []
    for index, (detail, (cents, currency)) in enumerate(parts, start=1):
        party, party_account = ("Dbtr", "DbtrAcct") if cents > 0 else ("Cdtr", "CdtrAcct")
        name = iban = text = ""
        reference = entry_reference
        if detail is not None:
            name = camt.text(detail, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm")
            iban = camt.text(
                detail,
                f"RltdPties/{party_account}/Id/IBAN",
                f"RltdPties/{party_account}/Id/Othr/Id",
            )
            text = " ".join(
                (element.text or "").strip() for element in camt.findall(detail, "RmtInf/Ustrd")
            )
            for structured in camt.findall(detail, "RmtInf/Strd/CdtrRefInf/Ref"):
                text = _with_reference(text, (structured.text or "").strip())
            own_reference = camt.text(detail, "Refs/AcctSvcrRef")
            if len(parts) > 1:
                reference = own_reference or f"{entry_reference}#{index}"
            else:
                reference = own_reference or entry_reference
        elif len(details) > 1:
            # Several transfers without their amounts: one line for the entry, every text.
            text = " ".join(
                (element.text or "").strip()
                for element in camt.findall(entry, "NtryDtls/TxDtls/RmtInf/Ustrd")
            )
        bookings.append(
            Booking(
                booked_on=booked_on,
                amount_cents=cents,
                currency=currency or settings.PADDOCK_CURRENCY,
                counterparty_name=_clean(name, 140),
                counterparty_iban=_iban(iban),
                remittance=_clean(text or entry_text, 500),
                bank_reference=_clean(reference, 100),
                account=account,
            )
        )
    return bookings


def parse_mt940(data: bytes) -> list[Booking]:
    """The bookings of an MT940 statement, German :86: sub-fields (?20–?29, ?32) read."""
    try:
        statements = mt940.parse_statements(_decode(data), options=MT940_OPTIONS)
    except Exception as error:  # noqa: BLE001 - the package raises anything on a bad file
        logger.info("MT940 file not read: %r", error)
        raise StatementError(
            _("The MT940 file could not be read (%(error)s).") % {"error": str(error)[:200]}
        ) from error
    bookings: list[Booking] = []
    for statement in statements:
        account = _iban(str(statement.data.get("account_identification") or ""))
        for number, transaction_ in enumerate(statement, start=1):
            data_ = transaction_.data
            amount = data_.get("amount")
            if amount is None:
                continue  # an :86: with no :61: before it: nothing booked
            try:
                cents = _cents(Decimal(amount.amount))
            except StatementError as error:
                raise StatementError(
                    _("Booking %(number)s: %(error)s") % {"number": number, "error": error}
                ) from error
            day = data_.get("entry_date") or data_.get("date")
            purpose = data_.get("purpose") or data_.get("transaction_details") or ""
            if data_.get("additional_purpose"):
                purpose = f"{purpose} {data_['additional_purpose']}"
            reference = data_.get("bank_reference") or ""
            if not reference and (data_.get("customer_reference") or "").upper() != "NONREF":
                reference = data_.get("customer_reference") or ""
            bookings.append(
                Booking(
                    booked_on=datetime.date(day.year, day.month, day.day),
                    amount_cents=cents,
                    currency=(amount.currency or settings.PADDOCK_CURRENCY).upper()[:3],
                    counterparty_name=_clean(
                        data_.get("applicant_name") or data_.get("recipient_name"), 140
                    ),
                    counterparty_iban=_iban(
                        data_.get("applicant_iban") or data_.get("gvc_applicant_iban")
                    ),
                    remittance=_clean(purpose, 500),
                    bank_reference=_clean(reference, 100),
                    account=account,
                )
            )
    return bookings


def fingerprint(booking: Booking, occurrence: int = 1) -> str:
    """The same booking gives the same fingerprint in any statement that carries it.

    Two identical bookings in one file (two equal fees on one day) are told apart by
    their order: the second is occurrence 2.
    """
    parts = [
        booking["account"],
        booking["booked_on"].isoformat(),
        str(booking["amount_cents"]),
        booking["currency"],
        booking["bank_reference"],
        booking["counterparty_iban"],
        booking["remittance"],
    ]
    if occurrence > 1:
        parts.append(str(occurrence))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# --- Matching --------------------------------------------------------------------------------


def referenced_invoices(text: str) -> list[Invoice]:
    """The invoices a remittance text names: by RF reference, else by invoice number."""
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
    references = find_creditor_references(text)
    if references:
        found = list(invoices.filter(reference__in=references))
        if found:
            return found
    numbers = [f"{year}-{serial}" for year, serial in INVOICE_NUMBER.findall(text)]
    if numbers:
        return list(invoices.filter(number__in=numbers))
    return []


def _match_automatically(line: StatementLine) -> None:
    """Pay the one invoice the line names if it pays exactly what is owed; else say why not."""
    if line.amount_cents <= 0:
        line.status = StatementLine.Status.IGNORED
        return
    candidates = referenced_invoices(line.remittance)
    if not candidates:
        return
    if len(candidates) > 1:
        line.note = _("Names several invoices: %(numbers)s.") % {
            "numbers": ", ".join(sorted(invoice.number for invoice in candidates))
        }
        return
    if candidates[0].membership_id:
        # Membership before invoice, the order every writer of dues locks them in.
        Membership.objects.select_for_update().filter(pk=candidates[0].membership_id).first()
    invoice = Invoice.objects.select_for_update().get(pk=candidates[0].pk)
    values = {"number": invoice.number}
    if invoice.status == Invoice.Status.CANCELLED:
        line.note = _("Names invoice %(number)s, which was cancelled.") % values
    elif invoice.status == Invoice.Status.PAID:
        line.note = _("Names invoice %(number)s, which is paid already.") % values
    elif invoice.currency != line.currency:
        line.note = _("Names invoice %(number)s, which is in %(currency)s.") % {
            **values,
            "currency": invoice.currency,
        }
    else:
        owed = invoice_balance_cents(invoice)
        if owed != line.amount_cents:
            line.note = _("Names invoice %(number)s, which is open for %(owed)s.") % {
                **values,
                "owed": format_cents(owed, invoice.currency),
            }
        else:
            line.save()  # the payment points at the line
            payment_record(
                invoice=invoice,
                amount_cents=line.amount_cents,
                method=methods.TRANSFER,
                received_on=line.booked_on,
                statement_line=line,
                note=line.remittance,
                notify=True,
            )
            line.status = StatementLine.Status.MATCHED
            line.invoice = invoice
    line.note = line.note[:200]


# --- Importing ---------------------------------------------------------------------------------


@dataclass
class ImportResult:
    statement: Statement
    already_imported: bool = False
    new: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    ignored: int = 0


def statement_import(*, data: bytes, filename: str, uploaded_by: User | None) -> ImportResult:
    """Import a statement file: new lines stored and matched, known ones skipped.

    The same file again (by its checksum) changes nothing and says so. Imports take
    turns (a counter row locked until the import commits), so two uploads of one file in
    the same second import it once; the unique checksum and fingerprints hold even so.
    Raises StatementError, with a message for staff, if the file cannot be read.
    """
    if len(data) > MAX_BYTES:
        raise StatementError(too_large_message(len(data)))
    checksum = hashlib.sha256(data).hexdigest()
    earlier = Statement.objects.filter(sha256=checksum).first()
    if earlier is not None:
        return ImportResult(statement=earlier, already_imported=True)
    kind, bookings = parse_statement(data)
    try:
        with transaction.atomic():
            sequence_next(name="statement-import")  # take our turn
            earlier = Statement.objects.filter(sha256=checksum).first()
            if earlier is not None:
                return ImportResult(statement=earlier, already_imported=True)
            statement = Statement.objects.create(
                format=kind,
                filename=filename[:200],
                sha256=checksum,
                account=next((b["account"] for b in bookings if b["account"]), ""),
                uploaded_by=uploaded_by,
            )
            result = ImportResult(statement=statement)
            _import_lines(statement, bookings, result)
    except IntegrityError:
        # Another upload of the same file won the race (the checksum is unique).
        earlier = Statement.objects.filter(sha256=checksum).first()
        if earlier is None:
            raise
        return ImportResult(statement=earlier, already_imported=True)
    return result


def _import_lines(statement: Statement, bookings: list[Booking], result: ImportResult) -> None:
    seen: Counter[str] = Counter()
    prints = []
    for booking in bookings:
        first = fingerprint(booking)
        seen[first] += 1
        prints.append(fingerprint(booking, seen[first]))
    known = set(
        StatementLine.objects.filter(fingerprint__in=prints).values_list("fingerprint", flat=True)
    )
    for booking, print_ in zip(bookings, prints, strict=True):
        if print_ in known:
            result.duplicates += 1
            continue
        line = StatementLine(
            statement=statement,
            booked_on=booking["booked_on"],
            amount_cents=booking["amount_cents"],
            currency=booking["currency"],
            counterparty_name=booking["counterparty_name"],
            counterparty_iban=booking["counterparty_iban"],
            remittance=booking["remittance"],
            bank_reference=booking["bank_reference"],
            fingerprint=print_,
        )
        try:
            with transaction.atomic():
                _match_automatically(line)
                line.save()
        except IntegrityError:
            # The same booking, stored by another statement a moment ago.
            result.duplicates += 1
            continue
        known.add(print_)
        result.new += 1
        if line.status == StatementLine.Status.MATCHED:
            result.matched += 1
        elif line.status == StatementLine.Status.IGNORED:
            result.ignored += 1
        else:
            result.unmatched += 1


def too_large_message(size: int) -> str:
    return _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
        "size": number_format(size / 1024 / 1024, decimal_pos=1),
        "limit": MAX_BYTES // 1024 // 1024,
    }


# --- Staff's hand ------------------------------------------------------------------------------


def _waiting_line(line: StatementLine) -> StatementLine:
    """The line, locked; StatementError if somebody dealt with it already."""
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.status == StatementLine.Status.MATCHED:
        raise StatementError(_("This line was matched already; nothing was recorded twice."))
    if line.status == StatementLine.Status.IGNORED:
        raise StatementError(_("This line was set aside already as not dues."))
    return line


def statement_line_match(*, line: StatementLine, invoice: Invoice, matched_by: User) -> Payment:
    """Staff match a waiting line to an invoice: its amount is recorded as a transfer.

    A partial payment or an overpayment is recorded as it is; the invoice is paid (and
    the membership renewed) only once what is owed is covered.
    """
    with transaction.atomic():
        line = _waiting_line(line)
        if line.amount_cents <= 0:
            raise StatementError(_("Money out cannot pay an invoice."))
        if invoice.kind != Invoice.Kind.INVOICE:
            raise StatementError(_("%(number)s is a credit note.") % {"number": invoice.number})
        if invoice.status == Invoice.Status.CANCELLED:
            raise StatementError(
                _("Invoice %(number)s was cancelled.") % {"number": invoice.number}
            )
        if invoice.currency != line.currency:
            raise StatementError(
                _("Invoice %(number)s is in %(currency)s; this payment is in %(line)s.")
                % {"number": invoice.number, "currency": invoice.currency, "line": line.currency}
            )
        payment = payment_record(
            invoice=invoice,
            amount_cents=line.amount_cents,
            method=methods.TRANSFER,
            received_on=line.booked_on,
            recorded_by=matched_by,
            statement_line=line,
            note=line.remittance,
            notify=True,
        )
        line.status = StatementLine.Status.MATCHED
        line.invoice = invoice
        line.matched_by = matched_by
        line.save(update_fields=["status", "invoice", "matched_by"])
    return payment


def statement_line_ignore(*, line: StatementLine, ignored_by: User) -> StatementLine:
    """Staff set a waiting line aside: it is not a payment of dues (a donation, a refund)."""
    with transaction.atomic():
        line = _waiting_line(line)
        line.status = StatementLine.Status.IGNORED
        line.matched_by = ignored_by
        line.save(update_fields=["status", "matched_by"])
    return line
