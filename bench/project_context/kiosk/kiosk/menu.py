"""What the kiosk sells."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass
class Snack:
    """One snack on the counter; its price is for the medium size."""

    name: str
    price_cents: int
    calories: int
    vegan: bool = False


class Size(Enum):
    """The sizes a snack comes in."""

    SMALL = "S"
    MEDIUM = "M"
    LARGE = "L"
