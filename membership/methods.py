"""Ways to pay. Each is a small class in this registry; invoices and payments know only its key.

A new way to pay (a card provider, say) is a new module that calls `register()` from its
AppConfig.ready(): it records its payments with `payment_record(method=<its key>)` and
offers itself on the invoice page through `instructions_template`. Nothing in invoices or
the payment table changes.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PaymentMethod:
    key: str
    label: str | Promise
    # Staff may record it by hand (cash at the gate); members never choose it online.
    staff_records: bool = False
    # Shown to the member on an open invoice: how to pay this way (a template path or "").
    instructions_template: str = ""


_METHODS: dict[str, PaymentMethod] = {}


def register(method: PaymentMethod) -> None:
    _METHODS[method.key] = method


def get_method(key: str) -> PaymentMethod:
    try:
        return _METHODS[key]
    except KeyError:
        raise ValueError(f"Unknown payment method {key!r}") from None


def all_methods() -> list[PaymentMethod]:
    return list(_METHODS.values())


def staff_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in _METHODS.values() if m.staff_records]


def label_of(key: str) -> str:
    method = _METHODS.get(key)
    return str(method.label) if method else key


TRANSFER = "transfer"
DIRECT_DEBIT = "sepa_dd"
CASH = "cash"
CARD = "card"
OTHER = "other"

register(
    PaymentMethod(
        TRANSFER,
        _("Bank transfer"),
        staff_records=True,
        instructions_template="membership/includes/_pay_transfer.html",
    )
)
register(
    PaymentMethod(
        DIRECT_DEBIT,
        _("SEPA direct debit"),
        instructions_template="membership/includes/_pay_direct_debit.html",
    )
)
register(PaymentMethod(CASH, _("Cash"), staff_records=True))
register(PaymentMethod(CARD, _("Card at the gate"), staff_records=True))
register(PaymentMethod(OTHER, _("Other"), staff_records=True))
