"""The counter: the snacks on offer and the till."""

from __future__ import annotations

from kiosk.menu import Size, Snack


class Counter:
    """The snacks on offer, in the order they are laid out, and the cash taken."""

    def __init__(self, snacks: list[Snack], cash_cents: int = 0) -> None:
        self.snacks = snacks
        self.cash_cents = cash_cents
        self.sold: list[str] = []

    def cheapest(self, vegan_only: bool) -> Snack | None:
        """Return the cheapest snack on offer, only among vegan ones when vegan_only.

        None when no snack fits; of equally cheap ones, the first laid out.
        """
        pool = [snack for snack in self.snacks if snack.vegan or not vegan_only]
        return min(pool, key=lambda snack: snack.price_cents, default=None)

    def sell(self, name: str) -> int:
        """Sell the first snack called name: take it off the counter and put its price in the till.

        Record its name in sold and return the price. When no snack has that name, change
        nothing and return 0.
        """
        for index, snack in enumerate(self.snacks):
            if snack.name == name:
                del self.snacks[index]
                self.cash_cents += snack.price_cents
                self.sold.append(name)
                return snack.price_cents
        return 0

    def lighter_than(self, calories: int) -> list[str]:
        """Return the names of the snacks with fewer calories than given, fewest calories first.

        Snacks with as many calories keep the order they are laid out in.
        """
        return [
            s.name for s in sorted(self.snacks, key=lambda s: s.calories) if s.calories < calories
        ]

    def price_for(self, name: str, size: Size) -> int:
        """Return the price of the named snack in that size, in whole cents.

        Medium is the listed price; small costs a quarter less and large half as much again,
        both rounded down. Raise KeyError when no snack has that name.
        """
        for snack in self.snacks:
            if snack.name == name:
                factor = {Size.SMALL: 75, Size.MEDIUM: 100, Size.LARGE: 150}[size]
                return snack.price_cents * factor // 100
        raise KeyError(name)

    @property
    def stock_value_cents(self) -> int:
        """The price of everything on the counter, in cents."""
        return sum(snack.price_cents for snack in self.snacks)

    @staticmethod
    def split(cents: int, people: int) -> list[int]:
        """Split an amount among people in whole cents, as evenly as possible, larger shares first.

        The shares add up to the amount.
        """
        share, left = divmod(cents, people)
        return [share + 1] * left + [share] * (people - left)
