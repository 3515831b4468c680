"""Statements and checks on accounts."""

from __future__ import annotations

from ledger.accounts import OVERDRAFT_LIMIT_CENTS, Account, Entry, Standing
from ledger.money import format_cents


def fees_charged(entries: list[Entry]) -> int:
    """Return the total charged in fees, in cents.

    >>> fees_charged([Entry(250, "fee"), Entry(10000, "deposit"), Entry(100, "fee")])
    350
    """
    return sum(e.amount_cents for e in entries if e.kind == "fee")


def standing(account: Account) -> Standing:
    """Return how the account stands.

    A suspended account is suspended whatever its balance; otherwise it is overdrawn when its
    balance is below zero.
    """
    if account.suspended:
        return Standing.SUSPENDED
    return Standing.OVERDRAWN if account.balance_cents() < 0 else Standing.IN_CREDIT


def statement_line(entry: Entry) -> str:
    """Return the entry as a line of a statement: its memo, then the signed amount as money.

    Deposits are positive; withdrawals and fees are negative.

    >>> statement_line(Entry(2550, "withdrawal", "rent"))
    'rent -$25.50'
    """
    signed = entry.amount_cents if entry.kind == "deposit" else -entry.amount_cents
    return f"{entry.memo} {format_cents(signed)}"


def can_pay(account: Account, cents: int) -> bool:
    """Return True when the account may pay out this many cents.

    It may when it is not suspended and paying would not take it past its overdraft limit.
    """
    if account.suspended:
        return False
    return account.balance_cents() - cents >= -OVERDRAFT_LIMIT_CENTS
