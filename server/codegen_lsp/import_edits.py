"""Put the imports a written body needs among the file's imports, where that is safe.

A body that uses ``math.gcd`` in a file without ``import math``, or ``Status`` shown from
``lodge.models`` in a file that imports only ``Booking`` from there, starts with the imports it
needs (:func:`codegen_lsp.postprocess.with_missing_imports`): that is what the sandbox runs. In
the user's file they belong at the top, so the edit that inserts the body moves them there:
after the file's last top-level import, one line each, or, for a name from a module that the
file already imports names from on one plain line (``from lodge.models import Booking``), into
that line (``from lodge.models import Booking, Status``, in the line's order when its names are
sorted), unless that would make it longer than :data:`LONGEST_MERGED`. Only what cannot change
when or whether the file imports moves: a usual standard-library module, or a name from a module
the file already imports from at the top (a project module the file never imported could import
it back, a cycle that an import inside the function avoids). Anything else stays in the body, as
does everything when the file has no top-level import to put them after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codegen_lsp.context import FunctionContext
from codegen_lsp.outcomes import TextReplacement
from codegen_lsp.postprocess import USUAL_MODULES

_IMPORT = re.compile(r"^import ([\w.]+)$")
_FROM = re.compile(r"^from ([\w.]+) import [\w, ]+$")
_TOP_IMPORT = re.compile(r"^(?:import|from)\s+([\w.]+)")
_PLAIN_FROM = re.compile(r"^from ([\w.]+) import (\w+(?:, \w+)*)$")

LONGEST_MERGED = 88
"""The longest ``from M import a, b`` line a moved name is merged into (black's width)."""


@dataclass(frozen=True)
class _TopImports:
    """Where the file's top-level imports end, and what they import."""

    after: int
    """The line after the last top-level import."""
    modules: frozenset[str]
    plain_from: dict[str, tuple[int, str]]
    """Per module, the last one-line ``from M import a, b`` of it: its line and its text."""


def _top_imports(ctx: FunctionContext) -> _TopImports | None:
    """Read the file's top-level imports from the source above the function (``ctx.prefix``).

    None when it has no import.
    """
    lines = ctx.prefix.split("\n")[: ctx.def_line]
    after = None
    modules: set[str] = set()
    plain_from: dict[str, tuple[int, str]] = {}
    index = 0
    while index < len(lines):
        match = _TOP_IMPORT.match(lines[index])
        if match:
            modules.add(match.group(1))
            if _PLAIN_FROM.match(lines[index]):
                plain_from[match.group(1)] = (index, lines[index])
            if "(" in lines[index] and ")" not in lines[index]:
                while index < len(lines) - 1 and ")" not in lines[index]:
                    index += 1  # a parenthesised import runs on to its closing line
            elif lines[index].rstrip().endswith("\\"):
                while index < len(lines) - 1 and lines[index].rstrip().endswith("\\"):
                    index += 1
            after = index + 1
        index += 1
    return _TopImports(after, frozenset(modules), plain_from) if after is not None else None


def _movable(line: str, imported: frozenset[str]) -> bool:
    plain = _IMPORT.match(line)
    if plain:
        return plain.group(1) in USUAL_MODULES
    named = _FROM.match(line)
    return bool(named and named.group(1) in imported)


def _type_order(name: str) -> tuple[int, str]:
    """Sort as isort and ruff do by default: constants, then classes, then the rest."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def _merged(line: str, names: list[str]) -> str | None:
    """Return the one-line ``from M import ...`` with ``names`` added, or None if too long."""
    match = _PLAIN_FROM.match(line)
    assert match is not None  # only such lines are kept by _top_imports
    present = match.group(2).split(", ")
    added = present + [name for name in names if name not in present]
    if present == sorted(present, key=_type_order):
        added.sort(key=_type_order)  # a sorted line stays sorted; any other keeps its order
    merged = f"from {match.group(1)} import {', '.join(added)}"
    return merged if len(merged) <= LONGEST_MERGED else None


def body_edits(ctx: FunctionContext, body: str) -> list[TextReplacement]:
    """Return the edits that put ``body`` into the function, its imports moved up when safe.

    One edit (the body as it is) when nothing moves; else the body without the moved lines,
    then the lines merged into the file's ``from`` imports, then the insertion of the rest
    after the file's imports (all on the original text).
    """
    whole = TextReplacement(*ctx.replace_start, *ctx.replace_end, "\n" + body)
    top = _top_imports(ctx)
    if top is None:
        return [whole]
    lines = body.split("\n")
    moved: list[str] = []
    while len(moved) < len(lines) - 1 and _movable(lines[len(moved)].strip(), top.modules):
        moved.append(lines[len(moved)].strip())
    if not moved:
        return [whole]
    edits = [
        TextReplacement(*ctx.replace_start, *ctx.replace_end, "\n" + "\n".join(lines[len(moved) :]))
    ]
    # Per module with a plain from-line: the names it gains, and the line they make.
    into: dict[str, tuple[list[str], str]] = {}
    inserted = ""
    for line in moved:
        named = _PLAIN_FROM.match(line)
        existing = top.plain_from.get(named.group(1)) if named else None
        if named is None or existing is None:
            inserted += f"{line}\n"
            continue
        names = into.get(named.group(1), ([], ""))[0] + named.group(2).split(", ")
        merged = _merged(existing[1], names)
        if merged is None:
            inserted += f"{line}\n"
        else:
            into[named.group(1)] = (names, merged)
    for module, (_, merged) in into.items():
        line_index, text = top.plain_from[module]
        edits.append(TextReplacement(line_index, 0, line_index, len(text), merged))
    if inserted:
        edits.append(TextReplacement(top.after, 0, top.after, 0, inserted))
    return edits
