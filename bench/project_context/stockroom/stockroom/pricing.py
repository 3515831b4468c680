"""Prices, tax and stock rules."""

VAT_BASIS_POINTS = 2000
"""VAT in hundredths of a percent (20.00 %)."""

REORDER_LEVEL = 5
"""A product line at or below this many units must be reordered."""


def with_vat(cents: int) -> int:
    """Return ``cents`` with VAT added, rounded half up to whole cents."""
    return (cents * (10_000 + VAT_BASIS_POINTS) + 5_000) // 10_000
