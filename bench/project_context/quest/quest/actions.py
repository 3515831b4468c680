"""What the player can do."""

from __future__ import annotations

from quest.player import Player
from quest.world import Direction, Room


def go(world: dict[str, Room], player: Player, direction: Direction) -> bool:
    """Move the player out of their room in that direction and return True.

    When the room has no exit that way, the player stays and the answer is False.
    """
    target = world[player.at].exits.get(direction.value)
    if target is None:
        return False
    player.at = target
    return True


def look(world: dict[str, Room], player: Player) -> str:
    """Describe the player's room: its title, then its exits in alphabetical order.

    A dark room cannot be seen without a lit lamp: then say "It is too dark to see."

    >>> look({"hall": Room("Hall", {"n": "yard", "e": "den"})}, Player("hall"))
    'Hall. Exits: e, n'
    """
    room = world[player.at]
    if room.dark and not player.lamp_lit:
        return "It is too dark to see."
    return f"{room.title}. Exits: {', '.join(sorted(room.exits))}"


def take_all(world: dict[str, Room], player: Player) -> list[str]:
    """Move everything lying in the player's room into what they carry; return what was taken."""
    room = world[player.at]
    taken = list(room.loot)
    player.pack.extend(taken)
    room.loot.clear()
    return taken


def dead_ends(world: dict[str, Room]) -> list[str]:
    """Return the keys of the rooms with a single way out, sorted.

    >>> dead_ends({"a": Room("A", {"e": "b"}), "b": Room("B", {"w": "a", "n": "c"})})
    ['a']
    """
    return sorted(key for key, room in world.items() if len(room.exits) == 1)
