"""Editing a docstring's examples: keep each once, correct what the function shows, drop the rest.

Explain (Codex-D) writes a docstring whose examples are then run against the function; this
module does the text surgery on the result: examples written twice are told apart from new ones
(:func:`example_key`, layout ignored), a doctest whose expected value is wrong gets the value the
function returned (:func:`shown_value`) and other failing examples go, along with an "Examples"
heading left empty (:func:`edit_examples`). Pure text in, text out: no model, no sandbox.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import replace

from codegen_lsp.sandbox.compare import output_matches
from codegen_lsp.sandbox.examples import extract_examples
from codegen_lsp.sandbox.types import Example, ExampleResult


def normalised(body: str) -> str:
    """Return the code's syntax tree (comments and layout ignored), or its stripped text."""
    try:
        return ast.dump(ast.parse(textwrap.dedent(body)))
    except SyntaxError:
        return body.strip()


def example_key(example: Example) -> tuple[object, ...]:
    """Return what makes two examples the same: call and expected result, layout ignored."""

    def code(text: str | None) -> str | None:
        return None if text is None else normalised(text)

    return (
        tuple(code(statement) for statement in example.setup),
        code(example.call),
        code(example.expected),
        (example.expected_output or "").strip() or None,
        example.expected_exception,
    )


def unique_examples(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """Split examples into the first of each kind and the repeats of one already seen."""
    unique: list[Example] = []
    repeated: list[Example] = []
    seen: set[tuple[object, ...]] = set()
    for example in examples:
        key = example_key(example)
        (repeated if key in seen else unique).append(example)
        seen.add(key)
    return unique, repeated


EXAMPLES_HEADER = re.compile(r"^\s*(?:examples?|for example|usage)\s*:?\s*$", re.IGNORECASE)


SHOWN_VALUE_CHARS = 120
"""Longest actual value written into a docstring in place of a wrong expected one."""


def shown_value(result: ExampleResult) -> str | None:
    """Return the value a failed doctest should show instead, or None when it cannot be shown.

    Only a doctest whose call returned a value (no exception expected, nothing printed) can
    be corrected, and only with a short repr that reads back as Python. Its expected output may
    be a value (``5``) or text doctest compares (``Price(600)``, which the repr
    ``Price(cents=600)`` fails, under doctest too).
    """
    example = result.example
    if result.status != "failed" or example.kind != "doctest":
        return None
    if example.expected is None and not (example.expected_output or "").strip():
        return None
    if result.stdout and not result.exception:
        return _printed(result)
    return showable(result)


def _printed(result: ExampleResult) -> str | None:
    """Return what doctest shows for a call that printed: the text, then a value's repr.

    None when doctest could not read it back as written: a blank line, a line with trailing
    blanks (editors strip them), one that starts a new example, or too much text.
    """
    shown = result.stdout
    if result.actual_repr not in (None, "None"):
        value = showable(replace(result, stdout=""))
        if value is None:
            return None
        shown += value + "\n"
    lines = shown.rstrip("\n").split("\n")
    if len(shown) > SHOWN_VALUE_CHARS or not shown.endswith("\n"):
        return None
    if any(not line.strip() or line != line.rstrip() for line in lines):
        return None
    if any(line.lstrip().startswith((">>>", "...")) for line in lines):
        return None
    return "\n".join(lines)


def showable(result: ExampleResult) -> str | None:
    """Return the repr of what ``result``'s call returned, if a docstring can promise it.

    Not after an exception or printed output, nor a long repr or one that does not read back
    as Python (``<object at 0x...>``, which changes from run to run); an Enum member's repr
    (``<Currency.EUR: 'EUR'>``, inside a dataclass's) is the same every run, and doctest
    compares it as text.
    """
    actual = result.actual_repr
    if actual is None or result.exception or result.stdout or len(actual) > SHOWN_VALUE_CHARS:
        return None
    try:
        ast.parse(_ENUM_MEMBER_REPR.sub("None", actual), mode="eval")
    except SyntaxError:
        return None
    return actual


_ENUM_MEMBER_REPR = re.compile(r"<[A-Za-z_][\w.]*: [^<>]*>")
"""An Enum member's repr, ``<Color.RED: 'red'>``: no memory address, so a docstring may show it."""


def shows_a_value(docstring: str, name: str, after: int = 0) -> bool:
    """Tell whether an example after line ``after`` shows a result (a value, output, a raise)."""
    return any(
        example.expected is not None
        or bool(example.expected_output)
        or example.expected_exception is not None
        for example in extract_examples(docstring, name)
        if example.line > after
    )


def append_examples(docstring: str, shown: list[tuple[str, str]]) -> str:
    """Return ``docstring`` with ``>>> call`` and its value added after its last line."""
    lines = [f">>> {call}\n{value}" for call, value in shown]
    return "\n".join([docstring.rstrip(), *lines])


def doctest_shows(result: ExampleResult) -> str | None:
    """Return what ``python -m doctest`` shows for a passing example that it would fail.

    The comparison here is by value, doctest's by text: an expected ``None`` (doctest shows
    nothing for None: "" is returned), ``u'abc'`` or ``"abc"`` for a repr ``'abc'``,
    ``(1,2)`` for ``(1, 2)``, ``0.3`` for ``0.30000000000000004`` (floats are compared here
    within a tolerance, :mod:`codegen_lsp.sandbox.compare`). None when doctest passes it too,
    or when the value cannot be shown.
    """
    example = result.example
    if result.status != "passed" or example.kind != "doctest" or example.expected is None:
        return None
    actual = result.actual_repr
    if actual is None or result.stdout or len(actual) >= SHOWN_VALUE_CHARS:
        return None
    want = example.expected.strip()
    if actual == "None":
        return "" if want == "None" else None
    try:
        ast.parse(want, mode="eval")
    except SyntaxError:
        return None
    if output_matches(actual + "\n", want + "\n", example.options):
        return None
    return showable(result)


def unused_setup(docstring: str, dropped: list[Example], kept: list[Example]) -> list[Example]:
    """Return the setup lines (``>>> xs = [4]``) of ``dropped`` examples that nothing kept uses.

    Each comes as an example on its own line, for :func:`edit_examples` to drop: a setup goes
    with its example unless a kept example after it reads a name it binds.
    """
    lines = docstring.split("\n")
    found: list[Example] = []
    for example in dropped:
        later = [e for e in kept if e.line > example.line]
        used = {name for e in later for name in _names(e.call, ast.Load)}
        used |= {
            name for e in later for statement in e.setup for name in _names(statement, ast.Load)
        }
        if any(_names(statement, ast.Store) & used for statement in example.setup):
            continue
        index, wanted = example.line - 2, len(example.setup)
        while index >= 0 and wanted:
            if lines[index].lstrip().startswith(">>>"):
                found.append(replace(example, line=index + 1, setup=()))
                wanted -= 1
            index -= 1
    return found


def _names(source: str, context: type[ast.expr_context]) -> set[str]:
    """Return the names that ``source`` reads (``ast.Load``) or binds (``ast.Store``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def _doctest_lines(lines: list[str], index: int) -> tuple[int, int]:
    """Return where a doctest's expected output starts and ends (after its ``...`` lines)."""
    start = index + 1
    while start < len(lines) and lines[start].lstrip().startswith("... "):
        start += 1
    end = start
    while end < len(lines) and lines[end].strip() and not lines[end].lstrip().startswith(">>>"):
        end += 1
    return start, end


def edit_examples(
    docstring: str, drop: list[Example], rewrites: dict[int, str] | None = None
) -> str:
    """Remove the ``drop`` examples' lines and rewrite other doctests' expected output.

    A doctest goes with its expected output; ``rewrites`` maps the 0-based line of a ``>>>`` to
    the value to show under it ("": no output line, as doctest shows a None). An "Examples"
    heading left with nothing under it goes too, and so do doubled blank lines.
    """
    rewrites = rewrites or {}
    if not drop and not rewrites:
        return docstring
    lines = docstring.split("\n")
    replaced: dict[int, str] = {}
    removed: set[int] = set()
    for example in drop:
        index = example.line - 1
        if not 0 <= index < len(lines):
            continue
        removed.add(index)
        if lines[index].lstrip().startswith(">>>"):
            removed.update(range(index + 1, _doctest_lines(lines, index)[1]))
    for index, value in rewrites.items():
        start, end = _doctest_lines(lines, index)
        indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
        if start >= end:
            continue
        if value:  # every line of it indented as the example is (printed text has several)
            replaced[start] = "\n".join(indent + line for line in value.split("\n"))
        removed.update(range(start + bool(value), end))
    kept = [replaced.get(i, line) for i, line in enumerate(lines) if i not in removed]
    return "\n".join(_without_empty_sections(kept)).strip()


def _indent_width(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


def _empty_section(lines: list[str], header: int) -> int | None:
    """Return where an "Examples" heading with nothing left under it ends, or None."""
    after = header + 1
    if after < len(lines) and set(lines[after].strip()) == {"-"}:
        after += 1  # numpydoc's underline
    following = next((i for i in range(after, len(lines)) if lines[i].strip()), None)
    if following is None or EXAMPLES_HEADER.match(lines[following]):
        return after
    text = lines[following]
    beside = following == after or text.lstrip().startswith(">>>")
    if beside or _indent_width(text) > _indent_width(lines[header]):
        return None  # the section still has content
    return after


def _without_empty_sections(lines: list[str]) -> list[str]:
    tidy: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        end = _empty_section(lines, index) if EXAMPLES_HEADER.match(line) else None
        if end is not None:
            index = end
            continue
        if not line.strip() and tidy and not tidy[-1].strip():
            index += 1
            continue
        tidy.append(line)
        index += 1
    return tidy


_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def balanced(source: str) -> str | None:
    """Return a one-line call with the brackets the model left out put back, else None.

    ``by_month([Entry(day=d, amount=Money(cents=1)))`` lost its ``]``: a closer that does not
    match the innermost open bracket closes that one first, a closer with nothing open goes,
    and what is still open at the end is closed there. Brackets inside strings do not count.
    None when nothing was missing or the result is still not Python; an example made so is
    run like any other, and kept only if it holds.
    """
    out: list[str] = []
    opened: list[str] = []
    quote = ""
    index = 0
    while index < len(source):
        char = source[index]
        if quote:
            out.append(char)
            if char == "\\" and index + 1 < len(source):
                out.append(source[index + 1])
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "#":
            break
        elif char in _CLOSERS:
            opened.append(char)
            out.append(char)
        elif char in ")]}":
            while opened and _CLOSERS[opened[-1]] != char:
                out.append(_CLOSERS[opened.pop()])
            if opened:
                opened.pop()
                out.append(char)
        else:
            out.append(char)
        index += 1
    if quote:
        return None
    fixed = "".join(out).rstrip() + "".join(_CLOSERS[bracket] for bracket in reversed(opened))
    if fixed == source.rstrip():
        return None
    try:
        ast.parse(fixed)
    except SyntaxError:
        return None
    return fixed


def with_brackets_closed(docstring: str, after: int = 0) -> str:
    """Return the docstring with its one-line doctests' brackets made whole (:func:`balanced`).

    Only doctests past line ``after`` that are no Python as written; other lines stay as they
    are.
    """
    lines = docstring.split("\n")
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index + 1 <= after or not stripped.startswith(">>>"):
            continue
        if index + 1 < len(lines) and lines[index + 1].strip().startswith("..."):
            continue
        source = stripped[3:].removeprefix(" ")
        try:
            ast.parse(source)
        except SyntaxError:
            fixed = balanced(source)
            if fixed is not None:
                lines[index] = line[: len(line) - len(line.lstrip())] + ">>> " + fixed
    return "\n".join(lines)


def broken_doctests(docstring: str, after: int = 0) -> list[Example]:
    """Return the doctests past line ``after`` whose source is not Python (1-based lines).

    A model that leaves out a quote writes ``>>> count("a b)``: the example reader skips it,
    and it would stay in the docstring as text that neither runs nor reads well.
    """
    lines = docstring.split("\n")
    broken = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index + 1 <= after or not stripped.startswith(">>>"):
            continue
        source = [stripped[3:].removeprefix(" ")]
        for following in lines[index + 1 :]:
            if not following.strip().startswith("..."):
                break
            source.append(following.strip()[3:].removeprefix(" "))
        try:
            ast.parse("\n".join(source))
        except SyntaxError:
            broken.append(Example(call=source[0], expected=None, line=index + 1))
    return broken
