"""The till: the sales of one shift, rung up one at a time."""

from __future__ import annotations

from kiosk.menu import Snack


class Till:
    """What one cashier rang up during a shift, in the order rung up, and what was refunded."""

    def __init__(self, cashier: str) -> None:
        self.cashier = cashier
        self.sales = []
        self.refunded_cents = 0

    def ring(self, snack: Snack, quantity: int) -> None:
        """Ring up a quantity of a snack, sold at its price."""
        self.sales.append((snack, quantity))

    def refund(self, cents: int) -> None:
        """Give money back to a customer."""
        self.refunded_cents += cents

    def takings_cents(self) -> int:
        """Return the money taken this shift: what was sold, less what was refunded."""
        sold = sum(snack.price_cents * quantity for snack, quantity in self.sales)
        return sold - self.refunded_cents

    def units_sold(self, name: str) -> int:
        """Return how many of the snack called name were sold this shift."""
        return sum(quantity for snack, quantity in self.sales if snack.name == name)

    def best_seller(self) -> str:
        """Return the name of the snack sold in the largest quantity this shift.

        A snack rung up several times counts all its quantities. Of snacks sold in equal
        quantities, the one rung up first; "" when nothing was sold.
        """
        totals: dict[str, int] = {}
        for snack, quantity in self.sales:
            totals[snack.name] = totals.get(snack.name, 0) + quantity
        best = ""
        for name, total in totals.items():
            if not best or total > totals[best]:
                best = name
        return best

    def vegan_share(self) -> float:
        """Return the share of the units sold that were vegan, from 0.0 to 1.0.

        0.0 when nothing was sold.
        """
        units = sum(quantity for _, quantity in self.sales)
        vegan = sum(quantity for snack, quantity in self.sales if snack.vegan)
        return vegan / units if units else 0.0

    def calories_sold(self) -> int:
        """Return the calories of every unit sold this shift."""
        return sum(snack.calories * quantity for snack, quantity in self.sales)
