"""Inline completion offers the body from the cursor, so editors can show it as ghost text."""

from __future__ import annotations

from codegen_lsp.lsp.inline import from_cursor
from codegen_lsp.outcomes import TextReplacement

LINES = [
    "def f(x):\n",
    '    """Return x.\n',
    '    """\n',
    "    \n",
    "\n",
    "def g():\n",
]
# What the pipeline writes for a function with no body: insert after the docstring's last line.
BODY = TextReplacement(2, 7, 2, 7, "\n    y = x\n    return y")


def test_body_line_cursor_gets_the_rest_of_the_body() -> None:
    rebased = from_cursor(LINES, BODY, (3, 4))
    assert (rebased.start_line, rebased.start_column) == (3, 4)
    assert (rebased.end_line, rebased.end_column) == (3, 4)
    assert rebased.new_text == "y = x\n    return y"


def test_cursor_at_the_start_of_the_line_keeps_the_indentation() -> None:
    assert from_cursor(LINES, BODY, (3, 0)).new_text == "    y = x\n    return y"


def test_replacement_over_a_placeholder_keeps_its_end() -> None:
    lines = [*LINES[:3], "    ...\n"]
    placeholder = TextReplacement(2, 7, 3, 7, "\n    return x")
    rebased = from_cursor(lines, placeholder, (3, 4))
    assert (rebased.start_line, rebased.start_column, rebased.end_line, rebased.end_column) == (
        3,
        4,
        3,
        7,
    )
    assert rebased.new_text == "return x"


def test_text_that_differs_before_the_cursor_leaves_the_replacement_alone() -> None:
    lines = [*LINES[:3], "    z = 1\n"]
    assert from_cursor(lines, BODY, (3, 9)) is BODY  # "z = 1" is not how the body starts
    assert from_cursor(LINES, BODY, (1, 4)) is BODY  # a cursor before the replacement
    assert from_cursor(LINES, BODY, (5, 0)) is BODY  # a cursor in the next function
