"""Reports over a statement."""

from __future__ import annotations

from decimal import Decimal

from statement.models import Account, Entry, Kind


def signed(entry: Entry) -> Decimal:
    """Return the entry's amount, negative for a debit."""
    return -entry["amount"] if entry["kind"] == "debit" else entry["amount"]


def total(entries: list[Entry]) -> Decimal:
    """Return the balance the entries add up to: credits minus debits."""
    balance = Decimal(0)
    for entry in entries:
        balance += entry["amount"] if entry["kind"] == "credit" else -entry["amount"]
    return balance


def by_month(entries: list[Entry]) -> dict[str, Decimal]:
    """Sum the signed amounts per month, keyed "YYYY-MM"."""
    months: dict[str, Decimal] = {}
    for entry in entries:
        month = entry["day"][:7]
        amount = entry["amount"] if entry["kind"] == "credit" else -entry["amount"]
        months[month] = months.get(month, Decimal(0)) + amount
    return months


def memos(entries: list[Entry], kind: Kind) -> list[str]:
    """Return the memos of the entries of that kind, in order."""
    return [entry["memo"] for entry in entries if entry["kind"] == kind]


def largest(entries: list[Entry]) -> Entry | None:
    """Return the entry with the largest amount (the first of equals), or None if there is none."""
    best = None
    for entry in entries:
        if best is None or entry["amount"] > best["amount"]:
            best = entry
    return best


def parse_line(line: str) -> Entry:
    """Parse "2024-03-01;-12.50;coffee" into an entry.

    A negative amount is a debit, a positive one a credit; the entry's amount is never
    negative. Raise ValueError when the line does not have three fields.
    """
    fields = line.split(";")
    if len(fields) != 3:
        raise ValueError(f"expected three fields: {line!r}")
    day, amount, memo = fields
    value = Decimal(amount)
    kind: Kind = "debit" if value < 0 else "credit"
    return {"day": day, "amount": abs(value), "kind": kind, "memo": memo}


def balance(account: Account) -> Decimal:
    """Return the account's balance: its credits minus its debits."""
    credits = sum(e["amount"] for e in account.entries if e["kind"] == "credit")
    debits = sum(e["amount"] for e in account.entries if e["kind"] == "debit")
    return Decimal(credits) - Decimal(debits)
