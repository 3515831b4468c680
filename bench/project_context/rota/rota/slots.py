"""Booked periods of one day."""

from __future__ import annotations

from dataclasses import dataclass

OPENING_MIN = 8 * 60
"""The building opens at 08:00."""
CLOSING_MIN = 18 * 60
"""The building closes at 18:00."""


@dataclass(frozen=True)
class Slot:
    """A booking of a room, in minutes after midnight (the end is exclusive)."""

    start_min: int
    end_min: int
    room: str
