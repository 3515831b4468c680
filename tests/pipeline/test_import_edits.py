"""The imports a body starts with move to the file's imports when that is safe."""

from __future__ import annotations

from codegen_lsp.context import FunctionContext, find_function
from codegen_lsp.import_edits import LONGEST_MERGED, body_edits
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
    body, merged, inserted = edits
    # A project module the file never imported (it could import this one back) and a module
    # that is not a usual standard one stay, with everything after them.
    kept = BODY.split("\n", 2)[2]
    assert body == TextReplacement(*ctx.replace_start, *ctx.replace_end, "\n" + kept)
    # A name from a module the file imports names from on one plain line joins that line.
    line = GUESTS.splitlines().index("from lodge.models import Booking")
    assert merged == TextReplacement(
        line, 0, line, len("from lodge.models import Booking"),
        "from lodge.models import Booking, Status",
    )  # fmt: skip
    # Others go after the last top-level import (past its parentheses), one line each.
    after = GUESTS.splitlines().index(")") + 1
    assert inserted == TextReplacement(after, 0, after, 0, "import math\n")
    applied = _apply(GUESTS, edits)
    assert "\nfrom lodge.models import Booking, Status\nfrom datetime import (" in applied
    assert ")\nimport math\n\nLIMIT = 3" in applied
    assert "    from lodge.rates import season\n    import numpy\n    return {" in applied
    compile(applied, "guests.py", "exec")


def _merged_line(imports: str, body: str) -> str:
    """Return the file's text from its first line to the function, after the edits."""
    source = GUESTS.replace("from lodge.models import Booking\n", imports)
    applied = _apply(source, body_edits(_function(source), body + "\n    return {}"))
    return applied.split("from __future__ import annotations\n\n", 1)[1].split("\nLIMIT")[0]


def test_a_moved_name_keeps_a_sorted_line_sorted_and_an_unsorted_line_in_its_order() -> None:
    body = "    from lodge.models import Room, Status, LIMIT, free"
    assert _merged_line("from lodge.models import Booking, booked\n", body).startswith(
        "from lodge.models import LIMIT, Booking, Room, Status, booked, free\n"
    )
    assert _merged_line("from lodge.models import booked, Booking\n", body).startswith(
        "from lodge.models import booked, Booking, Room, Status, LIMIT, free\n"
    )
    # Two lines of the body from one module join the file's line together, in one edit.
    two = "    from lodge.models import Status\n    from lodge.models import Room"
    assert _merged_line("from lodge.models import Booking\n", two).startswith(
        "from lodge.models import Booking, Room, Status\n"
    )


def test_a_moved_name_gets_its_own_line_where_joining_is_not_plain_or_too_long() -> None:
    body = "    from lodge.models import Status"
    parenthesised = "from lodge.models import (\n    Booking,\n)\n"
    assert _merged_line(parenthesised, body).endswith(
        "    timedelta,\n)\nfrom lodge.models import Status\n"
    )
    aliased = "from lodge.models import Booking as Stay\n"
    assert _merged_line(aliased, body).startswith(aliased)
    long_names = ", ".join(f"Name{index}" for index in range(11))
    assert len(f"from lodge.models import {long_names}, Status") > LONGEST_MERGED
    long_line = f"from lodge.models import {long_names}\n"
    assert _merged_line(long_line, body).startswith(long_line)
    assert _merged_line(long_line, body).endswith(")\nfrom lodge.models import Status\n")


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
