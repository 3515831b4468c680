"""Points and displacements on the site plan, in metres."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Pt:
    """A point on the site plan."""

    east: float
    north: float


@dataclass(frozen=True)
class Vec:
    """A displacement: metres east and metres north."""

    dx: float
    dy: float

    def length(self) -> float:
        """Return how long the displacement is."""
        return math.hypot(self.dx, self.dy)

    def scaled(self, factor: float) -> Vec:
        """Return the displacement made ``factor`` times as long."""
        return Vec(self.dx * factor, self.dy * factor)
