"""The imports a body starts with move to the file's imports when that is safe."""

from __future__ import annotations

from codegen_lsp.context import FunctionContext, find_function
from codegen_lsp.import_edits import body_edits
from codegen_lsp.outcomes import TextReplacement

GUESTS = '''"""Text about bookings."""

from __future__ import annotations

from lodge.models import Booking
from datetime import (
    date,
    timedelta,
)

LIMIT = 3


def nights_per_guest(bookings: list[Booking]) -> dict[str, int]:
    """Each guest's booked nights, leaving out cancelled bookings."""
    ...
'''
BODY = (
    "    from lodge.models import Status\n"
    "    import math\n"
    "    from lodge.rates import season\n"
    "    import numpy\n"
    "    return {b.guest: math.ceil(b.nights) for b in bookings if b.status is not Status.HELD}"
)


def _function(source: str) -> FunctionContext:
    lines = source.splitlines()
    return find_function(source, next(i for i, line in enumerate(lines) if line.startswith("def ")))


def test_a_standard_module_and_a_name_from_a_module_the_file_imports_move_up() -> None:
    ctx = _function(GUESTS)
    edits = body_edits(ctx, BODY)
    body, inserted = edits
    # A project module the file never imported (it could import this one back) and a module
    # that is not a usual standard one stay, with everything after them.
    kept = BODY.split("\n", 2)[2]
    assert body == TextReplacement(*ctx.replace_start, *ctx.replace_end, "\n" + kept)
    # After the last top-level import (past its parentheses), one line each.
    after = GUESTS.splitlines().index(")") + 1
    assert inserted == TextReplacement(
        after, 0, after, 0, "from lodge.models import Status\nimport math\n"
    )
    applied = _apply(GUESTS, edits)
    assert ")\nfrom lodge.models import Status\nimport math\n\nLIMIT = 3" in applied
    assert "    from lodge.rates import season\n    import numpy\n    return {" in applied
    compile(applied, "guests.py", "exec")


def test_nothing_moves_without_a_top_level_import_or_anything_safe_to_move() -> None:
    bare = GUESTS.split("LIMIT = 3\n", 1)[1]
    ctx = _function(bare)
    assert body_edits(ctx, BODY) == [
        TextReplacement(*ctx.replace_start, *ctx.replace_end, "\n" + BODY)
    ]
    ctx = _function(GUESTS)
    plain = "    import numpy\n    return {}"
    assert len(body_edits(ctx, plain)) == 1
    only = "    import math"  # a body is never left empty
    assert len(body_edits(ctx, only)) == 1


def _apply(source: str, edits: list[TextReplacement]) -> str:
    """Apply edits made on ``source`` as an editor does: later positions first."""
    lines = source.split("\n")
    for edit in sorted(edits, key=lambda e: (e.start_line, e.start_column), reverse=True):
        text = "\n".join(lines)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line) + 1)
        start = offsets[edit.start_line] + edit.start_column
        end = offsets[edit.end_line] + edit.end_column
        lines = (text[:start] + edit.new_text + text[end:]).split("\n")
    return "\n".join(lines)
