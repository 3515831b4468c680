"""Take the examples out of a task's docstring: the condition of ``eval --strip-examples``.

Most docstrings people write have no examples, while every HumanEval prompt but a few has some;
measuring the ranking on prompts stripped of them shows what it does for the common case. The
examples are found the way the sandbox finds the ones it runs: doctest's parser for ``>>>``
blocks (every one, runnable or not, with its expected output) and
:func:`~codegen_lsp.sandbox.examples.extract_examples` for prose examples (``f(x) == y``,
``f(x) -> y``, ``For x = 1 the output should be y``, ``Input: ... / Output: ...``). Each is
removed with the lines that only explain it (a ``# ...`` comment or an ``Explanation:`` under
it) and an ``Example(s):`` heading left with nothing under it. The description stays as written;
an example that starts after a sentence on its line keeps that sentence.

The docstring is edited in the prompt's source text (escapes as written), so the line numbers the
extractor reports are the prompt's lines.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import doctest
import logging
import re

from codegen_lsp.eval.datasets import Task
from codegen_lsp.sandbox.examples import extract_examples

log = logging.getLogger(__name__)

_HEADING = re.compile(r"^\s*(?:for\s+)?(?:examples?|e\.g\.)\s*\d*\s*:?\s*$", re.IGNORECASE)
_INPUT = re.compile(r"^\s*(?:[*-]\s*)?(?:Example\s*\d*\s*:?\s*)?Inputs?\s*:", re.IGNORECASE)
_OUTPUT = re.compile(r"^\s*(?:[*-]\s*)?Outputs?\s*:", re.IGNORECASE)
_EXPLANATION = re.compile(r"^\s*Explanation\b", re.IGNORECASE)
_PROSE = re.compile(r"[A-Za-z]{2,}(?:\s+[A-Za-z]{2,}){2}")
"""Three words in a row: a sentence, not a worked value like ``30 = 2 * 3 * 5``."""
_SENTENCE_END = re.compile(r"[.!?](?=\s)")
_WORDS = {"True": ("true",), "False": ("false",), "None": ("none", "null")}
"""Expected values the extractor normalises from prose (``=> true``): search for the prose."""
_BUILTINS = frozenset(dir(builtins))
_MAX_ROUNDS = 3
"""Removing examples could expose more (a line the extractor skipped as a doctest's); rare."""


def strip_task(task: Task) -> Task:
    """Return ``task`` with the examples taken out of its target function's docstring."""
    from codegen_lsp.eval.harness import target_function  # the harness imports the datasets

    ctx = target_function(task)
    if ctx.docstring_line is None or not ctx.docstring:
        return task
    prompt = strip_examples(task.prompt, ctx.docstring_line, ctx.name)
    return dataclasses.replace(task, prompt=prompt)


def strip_examples(source: str, docstring_line: int, function_name: str) -> str:
    """Return ``source`` without the examples of the docstring opening on ``docstring_line``.

    ``docstring_line`` is the 0-based line of the docstring's opening quotes (as
    :class:`~codegen_lsp.context.FunctionContext` gives it); ``function_name`` is the function the
    prose examples call. A source whose docstring cannot be found is returned unchanged.
    """
    for _ in range(_MAX_ROUNDS):
        stripped = _strip_once(source, docstring_line, function_name)
        if stripped == source:
            break
        source = stripped
    return source


def _strip_once(source: str, docstring_line: int, function_name: str) -> str:
    span = _docstring_span(source, docstring_line)
    if span is None:
        log.info("no docstring literal on line %d: nothing stripped", docstring_line + 1)
        return source
    head, inner, tail = span
    lines = inner.split("\n")
    removed, prefixes = _example_lines(inner, lines, function_name)
    if not removed and not prefixes:
        return source
    _add_sections(lines, removed, function_name)
    return head + "\n".join(_rebuild(lines, removed, prefixes)) + tail


def _docstring_span(source: str, docstring_line: int) -> tuple[str, str, str] | None:
    """Split ``source`` into (up to the opening quotes, the docstring as written, the rest)."""
    literal = _docstring_node(source, docstring_line)
    if literal is None or literal.end_lineno is None or literal.end_col_offset is None:
        return None
    lines = source.splitlines(keepends=True)
    start = _offset(lines, literal.lineno - 1, literal.col_offset)
    end = _offset(lines, literal.end_lineno - 1, literal.end_col_offset)
    opening = re.match(r"[A-Za-z]*('''|\"\"\"|'|\")", source[start:end])
    if opening is None or end - start < opening.end() + len(opening.group(1)):
        return None
    inner_start = start + opening.end()
    inner_end = end - len(opening.group(1))
    return source[:inner_start], source[inner_start:inner_end], source[inner_end:]


def _docstring_node(source: str, docstring_line: int) -> ast.Expr | None:
    """Return the string statement of a definition's body that starts on ``docstring_line``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        # Not only the first statement: the context also reads a docstring written after
        # imports (HumanEval/115 has ``import math`` above it).
        for statement in node.body:
            if (
                isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
                and statement.lineno - 1 == docstring_line
            ):
                return statement
    return None


def _offset(lines: list[str], row: int, byte_col: int) -> int:
    """Return the character offset of ``ast``'s (row, UTF-8 byte column) in the joined ``lines``."""
    column = len(lines[row].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
    return sum(len(line) for line in lines[:row]) + column


def _example_lines(
    inner: str, lines: list[str], function_name: str
) -> tuple[set[int], dict[int, str]]:
    """Return the 0-based lines to remove, and lines to cut to the prose before an example."""
    removed: set[int] = set()
    prefixes: dict[int, str] = {}
    for start, stop in _doctest_spans(inner):
        removed.update(range(start, stop))
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for example in extract_examples(inner, function_name):
        first = example.line - 1
        if example.kind != "prose" or first in removed or not 0 <= first < len(lines):
            continue
        anchor, call_start = _anchor(inner, lines, offsets, first, example.call)
        last = _expected_line(inner, offsets, anchor, example.expected)
        before = lines[first][: call_start - offsets[first]] if call_start is not None else ""
        kept = _sentences_before(before)
        if kept:
            prefixes[first] = min(prefixes.get(first, kept), kept, key=len)
            first += 1
        span = set(range(first, last + 1))
        removed |= span | _explanations(lines, last + 1, function_name)
    for index in removed:
        prefixes.pop(index, None)
    return removed, prefixes


def _doctest_spans(inner: str) -> list[tuple[int, int]]:
    """Return the 0-based [start, stop) lines of each ``>>>`` example and its expected output."""
    parser = doctest.DocTestParser()
    try:
        found = parser.get_examples(inner)
    except ValueError:
        # One malformed block makes doctest refuse the whole docstring; the extractor then
        # reads block by block, and so does this.
        lines = inner.splitlines(keepends=True)
        starts = [i for i, line in enumerate(lines) if line.lstrip().startswith(">>>")]
        found = []
        for number, start in enumerate(starts):
            stop = starts[number + 1] if number + 1 < len(starts) else len(lines)
            try:
                block = parser.get_examples("".join(lines[start:stop]))
            except ValueError:
                block = [doctest.Example(lines[start].lstrip()[3:], "", lineno=0)]
            for item in block:
                item.lineno += start
            found += block
    spans = []
    for item in found:
        size = item.source.count("\n") + item.want.count("\n")
        spans.append((item.lineno, item.lineno + max(size, 1)))
    return spans


def _anchor(
    inner: str, lines: list[str], offsets: list[int], first: int, call: str
) -> tuple[int, int | None]:
    """Return where the example's expected value is searched from, and where its call starts."""
    found = inner.find(call, offsets[first])
    if 0 <= found < offsets[first + 1]:
        return found + len(call), found
    if _INPUT.match(lines[first]):
        # "Input: ..." (and maybe named values) then "Output: ...": the value is after Output.
        for index in range(first + 1, min(first + 10, len(lines))):
            if _OUTPUT.match(lines[index]):
                return offsets[index], None
    return offsets[first], None


def _expected_line(inner: str, offsets: list[int], anchor: int, expected: str | None) -> int:
    """Return the 0-based line where the expected value written after ``anchor`` ends."""
    row = max(i for i, offset in enumerate(offsets[:-1]) if offset <= anchor)
    if expected is None:
        return row
    window = inner[anchor : offsets[min(row + 3, len(offsets) - 1)]]
    hits = []
    for spelling in (expected, *_WORDS.get(expected, ())):
        match = re.search(re.escape(spelling), window, re.IGNORECASE)
        if match is not None:
            hits.append(match.end())
    if not hits:
        return row
    end = anchor + min(hits)
    return max(i for i, offset in enumerate(offsets[:-1]) if offset < end)


def _sentences_before(before: str) -> str:
    """Return the whole sentences written before an example on its line ("" when none)."""
    ends = list(_SENTENCE_END.finditer(before + " "))
    return before[: ends[-1].end()].rstrip() if ends else ""


def _explanations(lines: list[str], start: int, function_name: str) -> set[int]:
    """Return the lines under an example that only explain it (``# ...``, ``Explanation:``)."""
    found: set[int] = set()
    index = start
    explaining = False
    while index < len(lines):
        text = lines[index].strip()
        if text.startswith("#") or _EXPLANATION.match(text):
            explaining = explaining or bool(_EXPLANATION.match(text))
        elif not (explaining and text and f"{function_name}(" not in text):
            break
        found.add(index)
        index += 1
    return found


def _add_sections(lines: list[str], removed: set[int], function_name: str) -> None:
    """Also remove what only belonged to the examples.

    That is a heading (``Examples:``, ``for examble:``) whose first line under it was an
    example, with the lines of its paragraph that are not sentences (``30 = 2 * 3 * 5`` under
    HumanEval/75's example),
    and a line calling the function like the examples did that the extractor could not read
    (HumanEval/158's ``== ""aaaaaaa"``).
    """
    if not removed:
        return
    removed.update(i for i, line in enumerate(lines) if _literal_call(line, function_name))
    for index, line in enumerate(lines):
        if index in removed or not _is_heading(line):
            continue
        below = next((i for i in range(index + 1, len(lines)) if lines[i].strip()), None)
        if below is None or below not in removed:
            continue
        removed.add(index)
        for following in range(below + 1, len(lines)):
            text = lines[following]
            if following not in removed and (
                not text.strip() or _is_heading(text) or _PROSE.search(text)
            ):
                break  # a sentence after the examples (HumanEval/110) is description
            removed.add(following)


def _literal_call(line: str, function_name: str) -> bool:
    """Whether ``line`` starts with a call of the function on values (``f([1, 2])``, not ``f(n)``).

    ``f(n) -> f(n - 1) + ...`` defines the function (HumanEval/46): it is description.
    """
    match = re.match(r"\s*(?:[*-]\s*|for\s+)?(" + re.escape(function_name) + r"\s*\()", line)
    if match is None:
        return False
    text = line[match.start(1) :]
    for end in range(len(text), match.end(1) - match.start(1), -1):
        if text[end - 1] != ")":
            continue
        try:
            tree = ast.parse(text[:end], mode="eval")
        except SyntaxError:
            continue
        if isinstance(tree.body, ast.Call):
            arguments = [*tree.body.args, *(k.value for k in tree.body.keywords)]
            names = [n.id for a in arguments for n in ast.walk(a) if isinstance(n, ast.Name)]
            return all(name in _BUILTINS for name in names)
    return False


def _is_heading(line: str) -> bool:
    """Whether ``line`` heads examples: ``Examples:``, ``Example 2``, another short ``...:``."""
    text = line.strip()
    return bool(_HEADING.match(text)) or (text.endswith(":") and len(text.split()) <= 3)


def _rebuild(lines: list[str], removed: set[int], prefixes: dict[int, str]) -> list[str]:
    """Return the kept lines; where something was cut, its blank lines around become one."""
    last = len(lines) - 1
    out: list[str] = []
    blanks: list[str] = []
    cut = False
    for index, line in enumerate(lines):
        text = prefixes.get(index, line)
        if index == 0:  # the opening quotes' line stays (emptied when it held an example)
            out.append("" if index in removed else text)
            continue
        if index in removed:
            if index != last:
                cut = True
                continue
            text = line[: len(line) - len(line.lstrip())]  # the closing quotes' indentation
        if index != last and not text.strip():
            blanks.append(text)
            continue
        if index == last and not text.strip():
            out += [] if cut else blanks  # no blank line left before the closing quotes
        else:
            out += blanks[:1] if cut else blanks
        out.append(text)
        blanks, cut = [], False
    return out
