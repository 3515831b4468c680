"""Reports on the stock."""

from __future__ import annotations

from stockroom.models import Bin, Item
from stockroom.pricing import REORDER_LEVEL, with_vat


def stock_value(items: list[Item]) -> int:
    """Return what the stock is worth, in cents.

    >>> stock_value([Item("A-1", 250, 4), Item("B-2", 100, 1)])
    1100
    """
    return sum(item.unit_price_cents * item.qty for item in items)


def needs_reorder(items: list[Item]) -> list[str]:
    """Return the SKUs of the product lines that have fallen to the reorder level, in order."""
    return [item.sku for item in items if item.qty <= REORDER_LEVEL]


def invoice_total(items: list[Item]) -> int:
    """Return what an order of these lines costs in cents, VAT included.

    VAT is added once, to the order's net total, not line by line.
    """
    return with_vat(sum(item.unit_price_cents * item.qty for item in items))


def locate(bins: list[Bin], sku: str) -> str | None:
    """Return the code of the first bin that stores the SKU, or None when no bin does.

    >>> locate([Bin("R1", [Item("A-1", 250, 4)]), Bin("R2", [Item("B-2", 100, 1)])], "B-2")
    'R2'
    """
    for shelf in bins:
        if any(item.sku == sku for item in shelf.contents):
            return shelf.code
    return None
