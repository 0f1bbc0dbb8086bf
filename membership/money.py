"""Money as integer cents: formatting, parsing and payment references. Imports no app."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils.formats import number_format


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_cents(cents: int, currency: str | None = None) -> str:
    """1234 → "12.34 EUR" (in the active language's number format: "12,34 EUR" in German)."""
    currency = currency or settings.PADDOCK_CURRENCY
    return f"{number_format(cents_to_decimal(cents), 2, use_l10n=True)} {currency}"


def parse_amount(text: str) -> int:
    """ "12.34", "12,34", "1.234,50" → cents. Raises ValueError on anything else."""
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"-?\d{1,9}([.,]\d{3})*([.,]\d{1,2})?", text):
        raise ValueError(text)
    # The last separator followed by one or two digits is the decimal point.
    match = re.search(r"[.,](\d{1,2})$", text)
    if not match and re.fullmatch(r"-?\d{1,3}[.,]\d{3}", text):
        # "60.001": sixty thousand and one in German, sixty and a tenth of a cent in
        # English. Money is not guessed: the person is asked to write it plainly.
        raise ValueError(text)
    if match:
        whole, fraction = text[: match.start()], match.group(1)
    else:
        whole, fraction = text, "0"
    whole = whole.replace(".", "").replace(",", "")
    try:
        value = Decimal(f"{whole}.{fraction}")
    except InvalidOperation as error:
        raise ValueError(text) from error
    return int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def grouped(code: str) -> str:
    """An IBAN or payment reference in blocks of four, as banks print them:
    "DE89370400440532013000" → "DE89 3704 0044 0532 0130 00"."""
    code = "".join(code.split())
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def _iso7064_mod97(text: str) -> int:
    digits = "".join(str(int(ch, 36)) for ch in text.upper())
    return int(digits) % 97


def creditor_reference(body: str) -> str:
    """An ISO 11649 structured creditor reference ("RF" + 2 check digits + body).

    Banks keep it whole in the remittance field, and a typo in it fails the check, so an
    imported statement line can be matched to its invoice with confidence.
    """
    body = re.sub(r"[^0-9A-Za-z]", "", body).upper()
    check = 98 - _iso7064_mod97(body + "RF00")
    return f"RF{check:02d}{body}"


def is_creditor_reference(text: str) -> bool:
    text = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"RF\d{2}[0-9A-Z]{1,21}", text):
        return False
    return _iso7064_mod97(text[4:] + text[:4]) == 1


def find_creditor_references(text: str) -> list[str]:
    """Every valid RF reference in a remittance text (spaces inside a reference allowed)."""
    found = []
    for match in re.finditer(r"RF\s?\d\s?\d(?:\s?[0-9A-Z]){1,21}", text.upper()):
        candidate = re.sub(r"\s", "", match.group(0))
        # A reference followed by more text without a space: try each length, longest first.
        for end in range(len(candidate), 4, -1):
            if is_creditor_reference(candidate[:end]):
                found.append(candidate[:end])
                break
    return found
