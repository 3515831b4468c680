"""Operations on the site plan."""

from __future__ import annotations

import itertools

from survey.geometry import Pt, Vec
from survey.units import to_feet


def move_all(points: list[Pt], v: Vec) -> list[Pt]:
    """Return the points moved by v, as new points.

    >>> move_all([Pt(1.0, 2.0)], Vec(0.5, -1.0))
    [Pt(east=1.5, north=1.0)]
    """
    return [Pt(p.east + v.dx, p.north + v.dy) for p in points]


def bounding_box(points: list[Pt]) -> tuple[Pt, Pt]:
    """Return the south-west and north-east corners of the smallest box around the points."""
    easts = [p.east for p in points]
    norths = [p.north for p in points]
    return Pt(min(easts), min(norths)), Pt(max(easts), max(norths))


def walk_feet(points: list[Pt]) -> float:
    """Return the length in feet of the walk through the points in order."""
    metres = sum(
        Vec(b.east - a.east, b.north - a.north).length() for a, b in itertools.pairwise(points)
    )
    return to_feet(metres)


def displacement(a: Pt, b: Pt) -> Vec:
    """Return the displacement that takes a to b.

    >>> displacement(Pt(1.0, 1.0), Pt(4.0, 5.0)).length()
    5.0
    """
    return Vec(b.east - a.east, b.north - a.north)
