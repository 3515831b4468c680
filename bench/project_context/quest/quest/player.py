"""The player."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Player:
    """Where the player is (a room key) and what they carry."""

    at: str
    pack: list[str] = field(default_factory=list)
    lamp_lit: bool = False
