"""Put the imports a written body needs among the file's imports, where that is safe.

A body that uses ``math.gcd`` in a file without ``import math``, or ``Status`` shown from
``lodge.models`` in a file that imports only ``Booking`` from there, starts with the imports it
needs (:func:`codegen_lsp.postprocess.with_missing_imports`): that is what the sandbox runs. In
the user's file they belong at the top, so the edit that inserts the body moves them there:
after the file's last top-level import, one line each. Only what cannot change when or whether
the file imports: a usual standard-library module, or a name from a module the file already
imports from at the top (a project module the file never imported could import it back, a
cycle that an import inside the function avoids). Anything else stays in the body, as does
everything when the file has no top-level import to put them after.
"""

from __future__ import annotations

import re

from codegen_lsp.context import FunctionContext
from codegen_lsp.outcomes import TextReplacement
from codegen_lsp.postprocess import USUAL_MODULES

_IMPORT = re.compile(r"^import ([\w.]+)$")
_FROM = re.compile(r"^from ([\w.]+) import [\w, ]+$")
_TOP_IMPORT = re.compile(r"^(?:import|from)\s+([\w.]+)")


def _top_imports(ctx: FunctionContext) -> tuple[int, frozenset[str]] | None:
    """Return the line after the file's last top-level import, and the modules imported.

    Read from the source above the function (``ctx.prefix``); None when it has no import.
    """
    lines = ctx.prefix.split("\n")[: ctx.def_line]
    after = None
    modules: set[str] = set()
    index = 0
    while index < len(lines):
        match = _TOP_IMPORT.match(lines[index])
        if match:
            modules.add(match.group(1))
            if "(" in lines[index] and ")" not in lines[index]:
                while index < len(lines) - 1 and ")" not in lines[index]:
                    index += 1  # a parenthesised import runs on to its closing line
            elif lines[index].rstrip().endswith("\\"):
                while index < len(lines) - 1 and lines[index].rstrip().endswith("\\"):
                    index += 1
            after = index + 1
        index += 1
    return (after, frozenset(modules)) if after is not None else None


def _movable(line: str, imported: frozenset[str]) -> bool:
    plain = _IMPORT.match(line)
    if plain:
        return plain.group(1) in USUAL_MODULES
    named = _FROM.match(line)
    return bool(named and named.group(1) in imported)


def body_edits(ctx: FunctionContext, body: str) -> list[TextReplacement]:
    """Return the edits that put ``body`` into the function, its imports moved up when safe.

    One edit (the body as it is) when nothing moves; else the body without the moved lines,
    then the insertion of those lines after the file's imports (both on the original text).
    """
    whole = TextReplacement(*ctx.replace_start, *ctx.replace_end, "\n" + body)
    top = _top_imports(ctx)
    if top is None:
        return [whole]
    after, imported = top
    lines = body.split("\n")
    moved: list[str] = []
    while len(moved) < len(lines) - 1 and _movable(lines[len(moved)].strip(), imported):
        moved.append(lines[len(moved)].strip())
    if not moved:
        return [whole]
    rest = "\n".join(lines[len(moved) :])
    inserted = "".join(f"{line}\n" for line in moved)
    return [
        TextReplacement(*ctx.replace_start, *ctx.replace_end, "\n" + rest),
        TextReplacement(after, 0, after, 0, inserted),
    ]
