"""Accounts and their entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

OVERDRAFT_LIMIT_CENTS = 50_00
"""How far below zero an account's balance may go."""


@dataclass(frozen=True)
class Entry:
    """One movement of money; the amount is never negative, the kind says which way it goes."""

    amount_cents: int
    kind: Literal["deposit", "withdrawal", "fee"]
    memo: str = ""


class Standing(Enum):
    """How an account stands."""

    IN_CREDIT = "in credit"
    OVERDRAWN = "overdrawn"
    SUSPENDED = "suspended"


@dataclass
class Account:
    """A customer's account."""

    holder: str
    entries: list[Entry] = field(default_factory=list)
    suspended: bool = False

    def balance_cents(self) -> int:
        """Return the balance: deposits less withdrawals and fees."""
        return sum(e.amount_cents if e.kind == "deposit" else -e.amount_cents for e in self.entries)
