"""Entries of a statement and the account that holds them."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, TypedDict

Kind = Literal["debit", "credit"]


class Entry(TypedDict):
    """One line of a bank statement."""

    day: str  # ISO date, e.g. "2024-03-01"
    amount: Decimal  # never negative: the kind says which way it went
    kind: Kind
    memo: str


class Account:
    """An account holding the entries posted to it."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.entries: list[Entry] = []

    def post(self, entry: Entry) -> None:
        """Record an entry."""
        self.entries.append(entry)
