"""Showing amounts of money."""


def format_cents(cents: int) -> str:
    """Format signed cents as dollars with two decimals, e.g. -2550 -> ``-$25.50``."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100}.{abs(cents) % 100:02d}"
