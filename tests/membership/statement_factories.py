"""Members who owe dues, and statements with lines, for the statement import's tests.

The test files in tests/membership/data/ quote invoices 2026-0001 to 2026-0006 by number
and by RF reference (prefix PDK): `owing_members()` issues exactly those, in that order.
"""

import datetime
import hashlib
from pathlib import Path

from accounts.models import User
from membership.models import Level, Statement, StatementLine
from membership.services import dues_invoice_issue
from tests.factories import MemberFactory

DATA = Path(__file__).resolve().parent / "data"
ISSUED_ON = datetime.date(2026, 3, 1)


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def levels() -> Level:
    """A free default level (approval issues no invoice) and the paid one, 60.00 a year."""
    # A member approved before (the staff fixture) made a free default level already.
    if not Level.objects.filter(is_default=True).exists():
        Level.objects.create(name="Free", slug="free", fee_cents=0, is_default=True)
    assert Level.objects.get(is_default=True).fee_cents == 0
    return Level.objects.get_or_create(
        slug="annual", defaults={"name": "Annual member", "fee_cents": 6000, "position": 1}
    )[0]


def member_owing(name: str, *, renews_on: datetime.date, lapsed: bool = False):
    """A member whose membership renews on `renews_on`, with that term's invoice open."""
    full = levels()
    member = MemberFactory(display_name=name)
    membership = member.seat.membership
    membership.level = full
    membership.valid_until = renews_on
    membership.lapsed_on = renews_on if lapsed else None
    membership.save(update_fields=["level", "valid_until", "lapsed_on"])
    if lapsed:
        member.membership_status = User.Status.LAPSED
        member.save(update_fields=["membership_status"])
    invoice = dues_invoice_issue(
        membership=membership, start=renews_on, today=ISSUED_ON, due_on=renews_on
    )
    return member, invoice


def owing_members() -> dict:
    """Anna, Bernd, Carla, Dieter, Emil (lapsed) and Frieda, owing 2026-0001 to 2026-0006."""
    people = {}
    for name, renews_on, lapsed in [
        ("Anna Achterberg", datetime.date(2026, 4, 1), False),
        ("Bernd Brückner", datetime.date(2026, 4, 1), False),
        ("Carla Conrady", datetime.date(2026, 4, 1), False),
        ("Dieter Dahlmann", datetime.date(2026, 4, 1), False),
        ("Emil Ehrlich", datetime.date(2026, 3, 1), True),
        ("Frieda Fröhlich", datetime.date(2026, 4, 1), False),
    ]:
        people[name.split()[0].lower()] = member_owing(name, renews_on=renews_on, lapsed=lapsed)
    numbers = [invoice.number for _member, invoice in people.values()]
    assert numbers == [f"2026-000{n}" for n in range(1, 7)], numbers
    return people


def statement_with_lines(
    count: int, *, status=StatementLine.Status.UNMATCHED, remittance="Beitrag", **line
) -> Statement:
    """A statement holding `count` lines of 60.00 (money in), each its own booking."""
    seed = f"{Statement.objects.count()}-{count}-{status}"
    statement = Statement.objects.create(
        format=Statement.Format.CAMT053,
        filename=f"statement-{seed}.xml",
        sha256=hashlib.sha256(seed.encode()).hexdigest(),
        account="DE89370400440532013000",
    )
    StatementLine.objects.bulk_create(
        StatementLine(
            statement=statement,
            booked_on=datetime.date(2026, 3, 1) + datetime.timedelta(days=n % 28),
            amount_cents=6000,
            currency="EUR",
            counterparty_name=f"Payer {n}",
            counterparty_iban="DE02120300000000202051",
            remittance=f"{remittance} ({n})",
            bank_reference=f"{seed}-{n}",
            fingerprint=hashlib.sha256(f"{seed}-{n}".encode()).hexdigest(),
            status=status,
            **line,
        )
        for n in range(count)
    )
    return statement
