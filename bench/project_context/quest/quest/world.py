"""The map of the game."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Direction(Enum):
    """A way out of a room; its value is the key of the room's exits."""

    NORTH = "n"
    SOUTH = "s"
    EAST = "e"
    WEST = "w"


@dataclass
class Room:
    """A place: its title, its exits (direction key to room key) and what lies on the floor."""

    title: str
    exits: dict[str, str]
    loot: list[str] = field(default_factory=list)
    dark: bool = False
