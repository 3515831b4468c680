"""Operations on a day's parcels."""

from __future__ import annotations

from parcels.models import Address, Parcel
from parcels.units import Size, Weight


def heaviest(parcels: list[Parcel]) -> Parcel | None:
    """Return the heaviest parcel (the first of equals), or None when there are none."""
    best = None
    for parcel in parcels:
        if best is None or parcel.weight.grams > best.weight.grams:
            best = parcel
    return best


def total_kg(parcels: list[Parcel]) -> float:
    """Return the parcels' total weight in kilograms."""
    return sum(parcel.weight.grams for parcel in parcels) / 1000


def over_limit(parcels: list[Parcel], limit: Weight) -> list[str]:
    """Return the refs of the parcels heavier than the limit, in the order given."""
    return [parcel.ref for parcel in parcels if parcel.weight.grams > limit.grams]


def by_city(parcels: list[Parcel]) -> dict[str, list[str]]:
    """Return the parcels' refs grouped by the city each goes to, in the order given."""
    grouped: dict[str, list[str]] = {}
    for parcel in parcels:
        grouped.setdefault(parcel.to.city, []).append(parcel.ref)
    return grouped


def volume_litres(parcel: Parcel) -> float:
    """Return the parcel's volume in litres (1000 cubic centimetres each).

    >>> volume_litres(Parcel("a", Weight(10), Size(10, 10, 10), Address("Main St 1", "Leeds")))
    1.0
    """
    size = parcel.size
    return size.length_cm * size.width_cm * size.height_cm / 1000


def fits(parcel: Parcel, box: Size) -> bool:
    """Tell whether the parcel fits in the box as it stands: no side longer than the box's."""
    size = parcel.size
    return (
        size.length_cm <= box.length_cm
        and size.width_cm <= box.width_cm
        and size.height_cm <= box.height_cm
    )


def going_to(parcels: list[Parcel], address: Address) -> list[str]:
    """Return the refs of the parcels for this address, in the order given."""
    return [parcel.ref for parcel in parcels if parcel.to == address]
