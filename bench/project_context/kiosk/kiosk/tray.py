"""A customer's tray: the snacks picked on the way to the till, and a coupon."""

from __future__ import annotations

from kiosk.menu import Snack


class Tray:
    """The snacks a customer has picked, in the order picked, and the coupon they hold."""

    def __init__(self, owner: str, coupon_cents: int = 0) -> None:
        self.owner = owner
        self.coupon_cents = coupon_cents
        self.snacks: list[Snack] = []

    def put(self, snack: Snack) -> None:
        """Put a snack on the tray."""
        self.snacks.append(snack)

    def total_cents(self) -> int:
        """Return what the tray costs: the snacks' prices less the coupon, never below zero.

        >>> tray = Tray("ann", coupon_cents=50)
        >>> tray.put(Snack("crisps", 150, 530, True))
        >>> tray.put(Snack("apple", 80, 95, True))
        >>> tray.total_cents()
        180
        """
        return max(sum(snack.price_cents for snack in self.snacks) - self.coupon_cents, 0)

    def heaviest(self) -> str:
        """Return the name of the snack with the most calories, or "" for an empty tray.

        Of snacks with as many calories, the first picked.

        >>> tray = Tray("bo")
        >>> tray.put(Snack("toffee", 80, 450))
        >>> tray.put(Snack("nuts", 200, 600, True))
        >>> tray.heaviest()
        'nuts'
        """
        best = None
        for snack in self.snacks:
            if best is None or snack.calories > best.calories:
                best = snack
        return best.name if best is not None else ""

    def names_by_price(self) -> list[str]:
        """Return the names of the snacks on the tray, dearest first.

        Snacks of the same price keep the order they were picked in.

        >>> tray = Tray("cy")
        >>> tray.put(Snack("apple", 80, 95, True))
        >>> tray.put(Snack("nuts", 200, 600, True))
        >>> tray.names_by_price()
        ['nuts', 'apple']
        """
        return [s.name for s in sorted(self.snacks, key=lambda s: s.price_cents, reverse=True)]

    def count(self, name: str) -> int:
        """Return how many snacks called name are on the tray.

        >>> tray = Tray("dee")
        >>> tray.put(Snack("apple", 80, 95, True))
        >>> tray.put(Snack("apple", 80, 95, True))
        >>> tray.count("apple")
        2
        """
        return sum(1 for snack in self.snacks if snack.name == name)

    def calories_over(self, limit: int) -> int:
        """Return by how many calories the snacks on the tray exceed the limit; 0 if they do not.

        >>> tray = Tray("eve")
        >>> tray.put(Snack("nuts", 200, 600, True))
        >>> tray.calories_over(500)
        100
        """
        return max(sum(snack.calories for snack in self.snacks) - limit, 0)

    def vegan_share(self) -> float:
        """Return the share of the snacks on the tray that are vegan, from 0.0 to 1.0.

        An empty tray has a share of 0.0.

        >>> tray = Tray("flo")
        >>> tray.put(Snack("apple", 80, 95, True))
        >>> tray.put(Snack("toffee", 80, 450))
        >>> tray.vegan_share()
        0.5
        """
        if not self.snacks:
            return 0.0
        return sum(snack.vegan for snack in self.snacks) / len(self.snacks)
