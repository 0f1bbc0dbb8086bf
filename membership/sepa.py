"""SEPA direct debit: mandates members give online, pain.008 files staff export, returns.

A member who pays a membership gives a SEPA Core mandate on their mandate page
(`mandate_create`); staff export a pain.008.001.02 file for a collection date
(`collection_export`), which debits every open dues invoice whose payer has an active
mandate, marks it paid and sends each debtor the pre-notification; a debit the bank sends
back is recorded with `debit_return_record`, which owes the invoice again.

Sequence types: a mandate's first debit is FRST, every later one RCUR. A returned FRST
makes the next debit a FRST again.

Money is integer cents. Nothing here imports register or meets.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)
from sepaxml import SepaDD
from text_unidecode import unidecode

from accounts import privacy
from accounts.models import User
from config.lib.email import send_templated
from config.lib.site import site_url
from membership import methods, services
from membership.models import (
    Collection,
    CollectionItem,
    Invoice,
    Mandate,
    Membership,
    Payment,
    Seat,
)
from membership.money import format_cents, grouped

FRST = "FRST"
RCUR = "RCUR"
SCHEMA = "pain.008.001.02"
# A collection date further ahead than this is a typo, not a plan.
MAX_DAYS_AHEAD = 365

# The return reasons staff meet most (ISO 20022 ExternalReturnReason1Code, as banks send
# them for SEPA Core R-transactions).
RETURN_REASONS = [
    ("AC01", _("AC01: account number incorrect")),
    ("AC04", _("AC04: account closed")),
    ("AC06", _("AC06: account blocked")),
    ("AG01", _("AG01: direct debit forbidden on this account")),
    ("AM04", _("AM04: insufficient funds")),
    ("MD01", _("MD01: no valid mandate")),
    ("MD06", _("MD06: refund requested by the account holder")),
    ("MD07", _("MD07: account holder deceased")),
    ("MS02", _("MS02: refused by the account holder")),
    ("MS03", _("MS03: reason not given")),
    ("SL01", _("SL01: specific service of the bank")),
]
# After these the mandate cannot be used again: it is revoked, and the member asked for a
# new one (or to pay by transfer).
REVOKING_REASONS = {"AC01", "AC04", "MD01", "MD07"}


class SepaError(Exception):
    """Something staff or a member can put right, said in words they understand."""


# --- Accounts --------------------------------------------------------------------------


def iban_parse(text: str) -> IBAN:
    """The IBAN in `text` (spaces and lower case allowed), checked; a SEPA account only.

    Raises SepaError with a message for the member.
    """
    compact = re.sub(r"\s", "", text or "").upper()
    try:
        iban = IBAN(compact)
    except InvalidChecksumDigits:
        raise SepaError(
            gettext("The check digits of this IBAN do not match: please look for a typo.")
        ) from None
    except InvalidCountryCode:
        raise SepaError(
            gettext("This IBAN does not start with a known country code (such as DE or NL).")
        ) from None
    except InvalidLength:
        raise SepaError(
            gettext("This IBAN is too short or too long for its country: please check it.")
        ) from None
    except SchwiftyException:
        raise SepaError(gettext("This is not a valid IBAN: please check it.")) from None
    if not iban.in_sepa_zone:
        raise SepaError(
            gettext(
                "Direct debit works only from an account in the SEPA area; "
                "accounts in %(country)s are not part of it."
            )
            % {"country": iban.country_code}
        )
    return iban


def bic_parse(text: str) -> str:
    """A BIC typed by a member, checked and in capitals ("" for none)."""
    compact = re.sub(r"\s", "", text or "").upper()
    if not compact:
        return ""
    try:
        return str(BIC(compact))
    except SchwiftyException:
        raise SepaError(
            gettext("This is not a valid BIC (8 or 11 letters and digits, e.g. COBADEFFXXX).")
        ) from None


def iban_tail(iban: str) -> str:
    """The last four characters of an account number: all a mail or a list shows of it."""
    return iban[-4:]


# --- Mandates --------------------------------------------------------------------------


def mandate_refusal(member: User) -> str | None:
    """None if `member` may give a mandate; otherwise why not, and what to do instead.

    The payer of a membership may, active or lapsed (a lapsed member may pay their dues
    by debit to come back); applicants, former members and the other accounts of a
    household may not.
    """
    if creditor_problem():
        return gettext(
            "The club does not collect dues by direct debit yet. Please pay by bank "
            "transfer, as your invoice says."
        )
    status = member.membership_status
    if status == User.Status.PENDING or member.membership_number is None:
        return gettext(
            "Your membership is waiting for approval by the club's staff. Once it is "
            "approved, you can pay your dues by direct debit here."
        )
    if status not in (User.Status.ACTIVE, User.Status.LAPSED):
        return gettext(
            "Direct debit is for members of the club, and your membership has ended. "
            "Ask the club's staff if you would like to join again."
        )
    seat = Seat.objects.select_related("membership").filter(member=member).first()
    if seat is None:
        return gettext(
            "You have no membership to pay for yet. The club's staff set it up when they "
            "approve you; ask them if this looks wrong."
        )
    if not seat.is_payer:
        payer = services.payer_of(seat.membership)
        return gettext(
            "Your membership is paid by %(payer)s, who receives its invoices: they can "
            "give a mandate for the whole household. You need none yourself."
        ) % {"payer": privacy.name_for(payer, member)}
    return None


def _reference_prefix() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", settings.PADDOCK_INVOICE_PREFIX).upper()[:16] or "M"


def mandate_reference(member: User, n: int) -> str:
    """The member's n-th mandate reference, e.g. PDK-000042-1 (at most 35 characters)."""
    return f"{_reference_prefix()}-{member.membership_number:06d}-{n}"


def mandate_reference_next(member: User) -> str:
    """The reference the member's next mandate will have (shown in the mandate's text)."""
    return mandate_reference(member, Mandate.objects.filter(member=member).count() + 1)


def mandate_create(
    *,
    member: User,
    account_holder: str,
    iban: str,
    bic: str = "",
    today: datetime.date | None = None,
) -> Mandate:
    """The member signs a SEPA Core mandate online; an earlier active one is revoked.

    The member's row is locked, so two sends of the form cannot both revoke and create.
    The same mandate signed again on the same day is the one already given.
    """
    today = today or timezone.localdate()
    parsed = iban_parse(iban)
    bic = bic_parse(bic) or str(parsed.bic or "")
    account_holder = " ".join(account_holder.split())[:70]
    if not account_holder:
        raise SepaError(gettext("Please give the account holder's name."))
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        refusal = mandate_refusal(member)
        if refusal:
            raise SepaError(refusal)
        active = Mandate.objects.filter(member=member, status=Mandate.Status.ACTIVE).first()
        if active is not None:
            same = (active.account_holder, active.iban, active.bic) == (
                account_holder,
                parsed.compact,
                bic,
            )
            if same and active.signed_on == today:
                return active
            _revoke(active, today=today)
        n = Mandate.objects.filter(member=member).count() + 1
        while Mandate.objects.filter(reference=mandate_reference(member, n)).exists():
            n += 1
        return Mandate.objects.create(
            member=member,
            reference=mandate_reference(member, n),
            account_holder=account_holder,
            iban=parsed.compact,
            bic=bic,
            signed_on=today,
        )


def _revoke(mandate: Mandate, *, today: datetime.date) -> None:
    mandate.status = Mandate.Status.REVOKED
    mandate.revoked_on = today
    mandate.save(update_fields=["status", "revoked_on"])


def mandate_revoke(*, mandate: Mandate, today: datetime.date | None = None) -> Mandate:
    """The member (or the club) ends a mandate: no further debit is made with it."""
    with transaction.atomic():
        mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if mandate.status == Mandate.Status.ACTIVE:
            _revoke(mandate, today=today or timezone.localdate())
    return mandate


# --- The creditor (the club) -----------------------------------------------------------


def _mod97(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text)) % 97


def creditor_id_is_valid(creditor_id: str) -> bool:
    """A SEPA creditor identifier: country, check digits, business code, national id.

    The check digits are computed over the national id and the country (the business
    code, characters 5 to 7, is left out), as for an IBAN.
    """
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", creditor_id):
        return False
    return _mod97(creditor_id[7:] + creditor_id[:2] + "00") == 98 - int(creditor_id[2:4])


def creditor_problem() -> str | None:
    """What is missing from the settings for a pain.008 file (None: nothing)."""
    missing = []
    if not settings.PADDOCK_SEPA_CREDITOR_ID:
        missing.append("PADDOCK_SEPA_CREDITOR_ID")
    if not settings.PADDOCK_BANK_IBAN:
        missing.append("PADDOCK_BANK_IBAN")
    if not settings.PADDOCK_BANK_ACCOUNT_HOLDER:
        missing.append("PADDOCK_BANK_ACCOUNT_HOLDER")
    if missing:
        return gettext(
            "Direct debit is not set up: the server's settings lack %(names)s. Ask whoever "
            "runs the site to set them."
        ) % {"names": ", ".join(missing)}
    if not creditor_id_is_valid(settings.PADDOCK_SEPA_CREDITOR_ID):
        return gettext(
            "The club's SEPA creditor identifier in the settings (PADDOCK_SEPA_CREDITOR_ID) "
            "is not valid: its check digits do not match."
        )
    try:
        iban = IBAN(settings.PADDOCK_BANK_IBAN)
    except SchwiftyException:
        return gettext("The club's IBAN in the settings (PADDOCK_BANK_IBAN) is not valid.")
    if not (settings.PADDOCK_BANK_BIC or iban.bic):
        return gettext(
            "The club's bank cannot be found from its IBAN: set its BIC (PADDOCK_BANK_BIC)."
        )
    return None


def creditor_config() -> dict:
    iban = IBAN(settings.PADDOCK_BANK_IBAN)
    return {
        "name": sepa_text(settings.PADDOCK_BANK_ACCOUNT_HOLDER, 70),
        "IBAN": iban.compact,
        "BIC": (settings.PADDOCK_BANK_BIC or str(iban.bic)).replace(" ", "").upper(),
        "batch": True,
        "creditor_id": settings.PADDOCK_SEPA_CREDITOR_ID,
        "currency": settings.PADDOCK_CURRENCY,
    }


# --- Collection dates ------------------------------------------------------------------


def easter_sunday(year: int) -> datetime.date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


def target2_holidays(year: int) -> set[datetime.date]:
    """The days TARGET2 (and so SEPA) settles nothing, besides weekends."""
    easter = easter_sunday(year)
    return {
        datetime.date(year, 1, 1),
        easter - datetime.timedelta(days=2),  # Good Friday
        easter + datetime.timedelta(days=1),  # Easter Monday
        datetime.date(year, 5, 1),
        datetime.date(year, 12, 25),
        datetime.date(year, 12, 26),
    }


def is_business_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in target2_holidays(day.year)


def earliest_collection_date(today: datetime.date | None = None) -> datetime.date:
    """The first date a collection exported today may ask for: the pre-notification is
    sent at export and must reach members PADDOCK_SEPA_PRENOTIFICATION_DAYS ahead."""
    today = today or timezone.localdate()
    day = today + datetime.timedelta(days=settings.PADDOCK_SEPA_PRENOTIFICATION_DAYS)
    while not is_business_day(day):
        day += datetime.timedelta(days=1)
    return day


def collection_date_problem(day: datetime.date, today: datetime.date | None = None) -> str | None:
    """Why a collection cannot be made on `day` (None: it can)."""
    today = today or timezone.localdate()
    earliest = today + datetime.timedelta(days=settings.PADDOCK_SEPA_PRENOTIFICATION_DAYS)
    if day < earliest:
        return gettext(
            "The collection date must be at least %(days)s days ahead, so that members get "
            "the pre-notification in time: %(date)s at the earliest."
        ) % {
            "days": settings.PADDOCK_SEPA_PRENOTIFICATION_DAYS,
            "date": earliest_collection_date(today).isoformat(),
        }
    if day > today + datetime.timedelta(days=MAX_DAYS_AHEAD):
        return gettext("The collection date is more than a year ahead.")
    if day.weekday() >= 5:
        return gettext(
            "Banks collect no direct debits on a Saturday or a Sunday: choose a weekday."
        )
    if day in target2_holidays(day.year):
        return gettext(
            "%(date)s is a bank holiday in the SEPA (TARGET2) calendar: choose another day."
        ) % {"date": day.isoformat()}
    return None


# --- Collections -----------------------------------------------------------------------


def sepa_text(text: str, max_length: int) -> str:
    """Text as banks take it in a SEPA file: the Latin letters, digits and / - ? : ( ) . , ' +

    Umlauts and accents become their plain letters (Müller → Muller), anything else a space.
    """
    plain = unidecode(text)
    return " ".join(re.sub(r"[^A-Za-z0-9/?:().,'+ -]", " ", plain).split())[:max_length]


def due_debits(collection_date: datetime.date) -> QuerySet[Invoice]:
    """The open dues invoices to debit on `collection_date`, each with its `balance`.

    An invoice qualifies when it is due by then, something is still owed, its payer has
    an active mandate, and no debit of it is under way (submitted and not returned).
    """
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    return (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, due_on__lte=collection_date
        )
        .filter(
            Exists(Mandate.objects.filter(member=OuterRef("member"), status=Mandate.Status.ACTIVE))
        )
        .exclude(
            Exists(
                CollectionItem.objects.filter(
                    invoice=OuterRef("pk"), status=CollectionItem.Status.SUBMITTED
                )
            )
        )
        .annotate(
            balance=F("total_cents")
            - Coalesce(Subquery(paid, output_field=IntegerField()), Value(0))
        )
        .filter(balance__gt=0)
    )


@dataclass(frozen=True)
class Preview:
    count: int
    total_cents: int


def collection_preview(collection_date: datetime.date) -> Preview:
    """How many debits an export for `collection_date` would make, and their total (1 query)."""
    figures = due_debits(collection_date).aggregate(count=Count("pk"), total=Sum("balance"))
    return Preview(count=figures["count"] or 0, total_cents=figures["total"] or 0)


@dataclass
class _Debit:
    invoice: Invoice
    mandate: Mandate
    amount_cents: int
    sequence_type: str
    end_to_end_id: str


def collection_export(
    *, collection_date: datetime.date, created_by: User | None, today: datetime.date | None = None
) -> Collection:
    """Export the pain.008 file for `collection_date`: every due invoice, debited once.

    In one transaction, with the invoices locked (ordered by id, so two exports wait for
    each other instead of deadlocking): the file is built and checked against the
    pain.008.001.02 schema, each debit is recorded as a payment (which marks its invoice
    paid, renews the membership and sends the receipt), each mandate remembers it was
    used, and each debtor is sent the pre-notification. Raises SepaError if the date or
    the settings will not do, or if nothing is due; nothing is saved then.
    """
    problem = creditor_problem() or collection_date_problem(collection_date, today)
    if problem:
        raise SepaError(problem)
    with transaction.atomic():
        # Memberships before invoices, the order every writer of dues locks them in (the
        # renewal cycle, a payment), so an export during a cycle run waits, never deadlocks.
        list(
            Membership.objects.select_for_update()
            .filter(pk__in=due_debits(collection_date).values("membership_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        locked = list(
            due_debits(collection_date)
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Read again now that the locks are held: an export that held them before us has
        # committed its debits, and they are seen (and left out) here.
        invoices = list(
            due_debits(collection_date)
            .filter(pk__in=locked)
            .select_related("member")
            .order_by("pk")
        )
        mandates = {
            m.member_id: m
            for m in Mandate.objects.select_for_update()
            .filter(member_id__in={i.member_id for i in invoices}, status=Mandate.Status.ACTIVE)
            .order_by("pk")
        }
        invoices = [i for i in invoices if i.member_id in mandates]
        if not invoices:
            raise SepaError(
                gettext("Nothing is due for direct debit on %(date)s: no file was made.")
                % {"date": date_format(collection_date, "DATE_FORMAT")}
            )
        earlier = defaultdict(int)
        for invoice_id in CollectionItem.objects.filter(invoice__in=invoices).values_list(
            "invoice_id", flat=True
        ):
            earlier[invoice_id] += 1

        sepa = SepaDD(creditor_config(), schema=SCHEMA, clean=True)
        debits = []
        for invoice in invoices:
            mandate = mandates[invoice.member_id]
            debit = _Debit(
                invoice=invoice,
                mandate=mandate,
                amount_cents=invoice.balance,
                sequence_type=FRST if mandate.last_collected_on is None else RCUR,
                end_to_end_id=f"{_reference_prefix()}-{invoice.number}-{earlier[invoice.pk] + 1}",
            )
            payment = {
                "name": sepa_text(mandate.account_holder, 70),
                "IBAN": mandate.iban,
                "amount": debit.amount_cents,
                "type": debit.sequence_type,
                "collection_date": collection_date,
                "mandate_id": mandate.reference,
                "mandate_date": mandate.signed_on,
                "description": sepa_text(
                    f"{invoice.number} {invoice.reference} {invoice.description}", 140
                ),
                "endtoend_id": debit.end_to_end_id,
            }
            if mandate.bic:
                payment["BIC"] = mandate.bic
            sepa.add_payment(payment)
            debits.append(debit)
        try:
            xml = sepa.export(validate=True)
        except Exception as error:  # sepaxml raises plain Exception for a bad config too
            raise SepaError(
                gettext("The pain.008 file did not pass the schema check: %(error)s")
                % {"error": error}
            ) from error

        collection = Collection.objects.create(
            collection_date=collection_date,
            message_id=sepa.msg_id,
            xml=xml.decode("utf-8"),
            total_cents=sum(d.amount_cents for d in debits),
            created_by=created_by,
        )
        for debit in debits:
            item = CollectionItem.objects.create(
                collection=collection,
                invoice=debit.invoice,
                mandate=debit.mandate,
                amount_cents=debit.amount_cents,
                sequence_type=debit.sequence_type,
                end_to_end_id=debit.end_to_end_id,
            )
            services.payment_record(
                invoice=debit.invoice,
                amount_cents=debit.amount_cents,
                method=methods.DIRECT_DEBIT,
                received_on=collection_date,
                collection_item=item,
                recorded_by=created_by,
            )
        by_mandate = defaultdict(list)
        for debit in debits:
            by_mandate[debit.mandate.pk].append(debit)
        for group in by_mandate.values():
            mandate = group[0].mandate
            mandate.last_collected_on = collection_date
            mandate.save(update_fields=["last_collected_on"])
            _send_prenotification(
                member=group[0].invoice.member, mandate=mandate, debits=group, collection=collection
            )
    return collection


# --- Returned debits -------------------------------------------------------------------


def return_reason_label(code: str) -> str:
    return str(dict(RETURN_REASONS).get(code, code))


def debit_return_record(
    *, item: CollectionItem, returned_on: datetime.date, reason: str, recorded_by: User | None
) -> CollectionItem:
    """The bank sent a debit back: the invoice is owed again, and the member is told.

    The money comes off the invoice as a RETURNED payment (the invoice opens again). A
    returned first debit makes the mandate's next one a first debit again; a return that
    says the mandate or the account is gone revokes the mandate. Recording the same
    return twice changes nothing.
    """
    if reason not in dict(RETURN_REASONS):
        raise ValueError(f"Unknown return reason {reason!r}")
    with transaction.atomic():
        item = (
            CollectionItem.objects.select_for_update(of=("self",))
            .select_related("invoice__member", "collection")
            .get(pk=item.pk)
        )
        if item.status == CollectionItem.Status.RETURNED:
            return item
        item.status = CollectionItem.Status.RETURNED
        item.returned_on = returned_on
        item.return_reason = reason
        item.save(update_fields=["status", "returned_on", "return_reason"])
        services.payment_record(
            invoice=item.invoice,
            amount_cents=-item.amount_cents,
            method=methods.DIRECT_DEBIT,
            received_on=returned_on,
            kind=Payment.Kind.RETURNED,
            recorded_by=recorded_by,
            note=return_reason_label(reason),
            collection_item=item,
            notify=False,
        )
        mandate = Mandate.objects.select_for_update().get(pk=item.mandate_id)
        if item.sequence_type == FRST:
            # The mandate was never collected from after all (unless another debit of it
            # went through): its next debit is a first one again.
            mandate.last_collected_on = (
                CollectionItem.objects.filter(
                    mandate=mandate, status=CollectionItem.Status.SUBMITTED
                )
                .order_by("-collection__collection_date")
                .values_list("collection__collection_date", flat=True)
                .first()
            )
            mandate.save(update_fields=["last_collected_on"])
        revoked = reason in REVOKING_REASONS and mandate.status == Mandate.Status.ACTIVE
        if revoked:
            _revoke(mandate, today=returned_on)
        item.mandate = mandate
        _send_returned(item=item, revoked=revoked)
    return item


# --- Mails -----------------------------------------------------------------------------


def _creditor_context() -> dict:
    return {
        "creditor_name": settings.PADDOCK_BANK_ACCOUNT_HOLDER,
        "creditor_id": settings.PADDOCK_SEPA_CREDITOR_ID,
    }


def _send_prenotification(
    *, member: User, mandate: Mandate, debits: list[_Debit], collection: Collection
) -> None:
    """The pre-notification: what will be debited, when, under which mandate."""
    total = sum(d.amount_cents for d in debits)
    with override(member.language):
        subject = gettext("Direct debit of %(amount)s on %(date)s") % {
            "amount": format_cents(total),
            "date": date_format(collection.collection_date, "DATE_FORMAT"),
        }
        lines = [
            {
                "number": d.invoice.number,
                "description": d.invoice.description,
                "amount": format_cents(d.amount_cents),
                "first": d.sequence_type == FRST,
            }
            for d in debits
        ]
        total_text = format_cents(total)
    send_templated(
        to=[member.email],
        subject=subject,
        template="membership/email/prenotification.txt",
        context={
            "member": member,
            "mandate": mandate,
            "iban_tail": iban_tail(mandate.iban),
            "lines": lines,
            "total": total_text,
            "collection_date": collection.collection_date,
            **_creditor_context(),
        },
        language=member.language,
    )


def _invoice_url(invoice: Invoice) -> str:
    return site_url() + invoice.get_absolute_url()


def _send_returned(*, item: CollectionItem, revoked: bool) -> None:
    """The debit came back: what is owed now, and how to pay it."""
    invoice = item.invoice
    member = invoice.member
    with override(member.language):
        subject = gettext("Your direct debit for invoice %(number)s came back") % {
            "number": invoice.number
        }
        amount = format_cents(item.amount_cents)
        reason = return_reason_label(item.return_reason)
    send_templated(
        to=[member.email],
        subject=subject,
        template="membership/email/debit_returned.txt",
        context={
            "member": member,
            "item": item,
            "invoice": invoice,
            "amount": amount,
            "reason": reason,
            "revoked": revoked,
            "mandate": item.mandate,
            "invoice_url": _invoice_url(invoice),
            "mandate_url": site_url() + reverse("membership:mandate"),
            "bank_holder": settings.PADDOCK_BANK_ACCOUNT_HOLDER,
            "bank_iban": grouped(settings.PADDOCK_BANK_IBAN),
            "bank_bic": creditor_config()["BIC"] if not creditor_problem() else "",
        },
        language=member.language,
    )
