"""Parcels and where they go."""

from __future__ import annotations

from dataclasses import dataclass

from parcels.units import Size, Weight


@dataclass(frozen=True)
class Address:
    """Where a parcel is delivered."""

    street: str
    city: str


@dataclass
class Parcel:
    """One parcel: its reference, weight, size and destination."""

    ref: str
    weight: Weight
    size: Size
    to: Address
    express: bool = False
