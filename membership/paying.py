"""How a member pays an open invoice: the details the payment methods' partials show.

`payment_context()` gives every partial named by a method's `instructions_template`
(membership/methods.py) the same context, `pay`; any page that shows an open invoice (the
member's membership page, the invoice page) builds it once per invoice and includes the
partials. The bank transfer's partial shows the club's account, the RF reference and an
EPC QR code ("GiroCode") that a banking app scans to fill in the whole transfer.
"""

import re

import segno
from django.conf import settings
from django.utils.translation import gettext as _

from membership.models import Invoice, Mandate
from membership.money import format_cents, grouped

# EPC069-12, "Quick Response Code: guidelines to enable data capture for the initiation
# of a SEPA credit transfer", version 002: at most 70 characters of name, amounts from
# 0.01 to 999,999,999.99 euro, the whole payload at most 331 bytes.
EPC_NAME_MAX = 70
EPC_MAX_CENTS = 99_999_999_999
EPC_MAX_BYTES = 331


def epc_amount(cents: int) -> str:
    """1234 → "EUR12.34": the amount line of a GiroCode (a dot, two decimals)."""
    return f"EUR{cents // 100}.{cents % 100:02d}"


def epc_payload(*, iban: str, bic: str, name: str, amount_cents: int, reference: str) -> str:
    """The text of an EPC QR code for a SEPA credit transfer with a structured reference.

    Lines: service tag BCD, version 002, character set 1 (UTF-8), identification SCT, the
    BIC (optional in version 002), the beneficiary's name, their IBAN, the amount, an empty
    purpose, and the creditor reference (RF…); the unstructured remittance stays empty,
    since a code carries one or the other. Raises ValueError for what no bank would take.
    """
    iban = re.sub(r"\s", "", iban).upper()
    bic = re.sub(r"\s", "", bic).upper()
    name = " ".join(name.split())[:EPC_NAME_MAX]
    reference = re.sub(r"\s", "", reference).upper()
    if not iban or not name:
        raise ValueError("The club's IBAN and account holder are needed.")
    if not 1 <= amount_cents <= EPC_MAX_CENTS:
        raise ValueError(f"An EPC QR code cannot carry {amount_cents} cents.")
    if len(reference) > 35:
        raise ValueError("A structured reference has at most 35 characters.")
    lines = ["BCD", "002", "1", "SCT", bic, name, iban, epc_amount(amount_cents), "", reference]
    payload = "\n".join(lines)
    if len(payload.encode()) > EPC_MAX_BYTES:
        raise ValueError("An EPC QR code holds at most 331 bytes.")
    return payload


def epc_svg(payload: str) -> str:
    """The code as inline SVG (no script, no external reference), error correction M."""
    return segno.make(payload, error="m", micro=False, encoding="utf-8").svg_inline(
        scale=4, dark="#000", light="#fff", title=_("Scan with your banking app")
    )


def club_account() -> dict[str, str]:
    return {
        "iban": grouped(settings.PADDOCK_BANK_IBAN),
        "iban_compact": re.sub(r"\s", "", settings.PADDOCK_BANK_IBAN).upper(),
        "bic": settings.PADDOCK_BANK_BIC,
        "holder": settings.PADDOCK_BANK_ACCOUNT_HOLDER,
    }


def payment_context(
    invoice: Invoice, *, balance_cents: int, mandate: Mandate | None, account: dict | None = None
) -> dict:
    """What the payment partials show for one open invoice (`pay` in their context).

    `balance_cents`: what is still owed; `mandate`: the payer's active SEPA mandate, if any.
    """
    account = account or club_account()
    girocode = ""
    if invoice.currency == "EUR" and settings.PADDOCK_BANK_IBAN and balance_cents > 0:
        try:
            girocode = epc_svg(
                epc_payload(
                    iban=settings.PADDOCK_BANK_IBAN,
                    bic=settings.PADDOCK_BANK_BIC,
                    name=settings.PADDOCK_BANK_ACCOUNT_HOLDER,
                    amount_cents=balance_cents,
                    reference=invoice.reference,
                )
            )
        except ValueError:
            girocode = ""
    return {
        "invoice": invoice,
        "balance_cents": balance_cents,
        "amount": format_cents(balance_cents, invoice.currency),
        "reference": grouped(invoice.reference),
        "account": account,
        "girocode": girocode,
        "mandate": mandate,
        "mandate_account_end": mandate.iban[-4:] if mandate else "",
    }
