"""Planning the day's bookings."""

from __future__ import annotations

from rota.clock import hhmm
from rota.slots import CLOSING_MIN, OPENING_MIN, Slot


def booked_minutes(slots: list[Slot]) -> int:
    """Return how many minutes the bookings take altogether.

    >>> booked_minutes([Slot(540, 600, "Elm"), Slot(660, 690, "Oak")])
    90
    """
    return sum(slot.end_min - slot.start_min for slot in slots)


def clashes(a: Slot, b: Slot) -> bool:
    """Return True when the two bookings want the same room at the same time.

    A booking that ends when the other starts does not clash with it.
    """
    return a.room == b.room and a.start_min < b.end_min and b.start_min < a.end_min


def agenda(slots: list[Slot]) -> list[str]:
    """Return one line per booking, earliest first: "start-end room" on the 24-hour clock.

    >>> agenda([Slot(600, 630, "Oak"), Slot(545, 600, "Elm")])
    ['09:05-10:00 Elm', '10:00-10:30 Oak']
    """
    ordered = sorted(slots, key=lambda slot: slot.start_min)
    return [f"{hhmm(s.start_min)}-{hhmm(s.end_min)} {s.room}" for s in ordered]


def free_periods(slots: list[Slot]) -> list[tuple[int, int]]:
    """Return the free periods of the opening hours as (start, end) pairs, earliest first.

    The bookings do not overlap each other and lie within the opening hours.
    """
    free = []
    at = OPENING_MIN
    for slot in sorted(slots, key=lambda s: s.start_min):
        if slot.start_min > at:
            free.append((at, slot.start_min))
        at = max(at, slot.end_min)
    if at < CLOSING_MIN:
        free.append((at, CLOSING_MIN))
    return free
