"""Measures a parcel is weighed and sized in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weight:
    """A weight in whole grams."""

    grams: int


@dataclass(frozen=True)
class Size:
    """Outer dimensions in centimetres."""

    length_cm: int
    width_cm: int
    height_cm: int
