"""Amounts typed by staff, and the RF references on every invoice."""

import pytest

from membership.money import (
    creditor_reference,
    find_creditor_references,
    format_cents,
    is_creditor_reference,
    parse_amount,
)


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("60", 6000),
        ("60.00", 6000),
        ("60,00", 6000),
        ("60.5", 6050),
        (" 1.234,50 ", 123450),
        ("1,234.50", 123450),
        ("1.234.567", 123456700),
        ("0,01", 1),
        ("-15,00", -1500),
    ],
)
def test_it_reads_an_amount_as_people_type_it(typed, cents):
    assert parse_amount(typed) == cents


@pytest.mark.parametrize("typed", ["", "abc", "60.001", "1.234", "60,1234", "1e3", "12.34.56,7"])
def test_it_refuses_an_amount_it_would_have_to_guess(typed):
    with pytest.raises(ValueError):
        parse_amount(typed)


def test_it_formats_cents_in_the_active_language(settings):
    from django.utils import translation

    with translation.override("en"):
        assert format_cents(123450, "EUR") == "1234.50 EUR"
    with translation.override("de"):
        assert format_cents(6000, "EUR") == "60,00 EUR"


def test_a_creditor_reference_is_valid_and_found_in_a_remittance_text():
    reference = creditor_reference("PDK2026-00042")

    assert reference.startswith("RF")
    assert is_creditor_reference(reference)
    # One wrong character fails the check.
    assert not is_creditor_reference(reference[:-1] + ("1" if reference[-1] != "1" else "2"))
    spaced = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    assert find_creditor_references(f"Mitgliedsbeitrag {spaced} danke") == [reference]
