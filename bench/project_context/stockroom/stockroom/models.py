"""What the stockroom keeps."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    """A product line: its stock-keeping unit, price and how many are on the shelf."""

    sku: str
    unit_price_cents: int
    qty: int


@dataclass
class Bin:
    """A shelf location and the product lines stored in it."""

    code: str
    contents: list[Item] = field(default_factory=list)
