"""Points and displacements on the site plan, in metres."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pt:
    """A point on the site plan."""

    east: float
    north: float


class Vec:
    """A displacement."""

    def __init__(self, dx: float, dy: float) -> None:
        self.dx = dx
        self.dy = dy

    def length(self) -> float:
        """Return the displacement's length."""
        return (self.dx**2 + self.dy**2) ** 0.5
