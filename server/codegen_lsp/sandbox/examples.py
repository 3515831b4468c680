"""Finds the runnable examples in a function's docstring.

A docstring's examples are the specification codegen-lsp checks candidates against. Two families
are read:

- ``>>>`` doctests, through the standard library's parser: expected output, ``...``
  continuations, expected exceptions (``Traceback``), option flags such as ``+ELLIPSIS``, and
  statements (``>>> xs = [3, 1]``) that set up the examples after them. An example marked
  ``# doctest: +SKIP`` is left out, as doctest leaves it, unless asked for (``skipped``): the
  pipeline runs those too and judges by them only when some candidate reproduces them.
- Prose examples as real docstrings (and HumanEval) write them: ``f(x) == y``, ``f(x) ➞ y``,
  ``f(x) -> y``, ``f(x) => y``, ``f(x) ==> y``, ``f(x) = y``, ``f(x) should return y``,
  ``f(x) returns y``, ``f(x)  # returns y``, ``For x = 1 the output should be y`` and
  ``Input: ... / Output: ...`` blocks.

Boundaries are found by parsing, never by guessing: the call is the balanced ``f(...)`` that
``ast`` accepts, and the expected value is the longest piece of text after the arrow that ``ast``
accepts as one expression (so ``-> 3 # comment`` and ``should return 16.`` read as ``3`` and
``16``). Prose examples whose call or expected value needs a name other than a builtin are
dropped: they describe, they do not specify.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import io
import logging
import re
import tokenize
from collections.abc import Iterator

from codegen_lsp.sandbox.types import SKIP, Example

log = logging.getLogger(__name__)

_BUILTIN_NAMES = frozenset(dir(builtins))
_FLAG_NAMES = {flag: name for name, flag in doctest.OPTIONFLAGS_BY_NAME.items()}

# What may stand between a call and its expected value in prose.
_ARROW = re.compile(
    r"""[ \t]*(?:
        ==>|==|=>|➞|->|→|=(?!=)
        |\#\s*(?:==>|=>|->|==|returns?\b|result\s*:?)
        |,?\s*(?:should\s+(?:return|be|give|output)|returns?|gives?|outputs?|yields?)\b:?
    )[ \t]*""",
    re.VERBOSE,
)
_INPUT = re.compile(r"^\s*(?:[*-]\s*)?(?:Example\s*\d*\s*:?\s*)?Inputs?\s*:\s*(.*)$", re.I)
_OUTPUT = re.compile(r"^\s*(?:[*-]\s*)?Outputs?\s*:\s*(.*)$", re.I)
_FOR_OUTPUT = re.compile(
    r"^\s*(?:[*-]\s*)?for\s+(?P<args>.+?)\s*,?\s*the\s+(?:output|result|answer)\s+"
    r"should\s+be\s*:?\s*(?P<expected>.+)$",
    re.I,
)
_NAMED_VALUE = re.compile(r"^\s*([A-Za-z_]\w*)\s*[:=]\s*(.+)$")
_PROSE_WORDS = {"true": "True", "false": "False", "none": "None", "null": "None"}


def extract_examples(docstring: str, function_name: str, skipped: bool = False) -> list[Example]:
    """Return the runnable examples of ``function_name`` found in ``docstring``.

    Doctest examples come first, in order, then prose examples in order of their line. Lines are
    1-based within ``docstring`` as given (pass the raw docstring, not a cleaned one, to map lines
    back to the file). ``skipped``: keep the doctests marked ``+SKIP`` that show a result (their
    ``options`` say so); a skipped statement stays out, so no example's setup changes.
    """
    if not docstring or not function_name:
        return []
    doctests, covered = _doctest_examples(docstring, skipped)
    lines = docstring.splitlines()
    prose = _prose_examples(lines, function_name, covered)
    prose += _input_output_examples(lines, function_name, covered)
    prose += _for_output_examples(lines, function_name, covered)
    seen: set[tuple[int, str, str | None]] = set()
    unique: list[Example] = []
    for example in sorted(prose, key=lambda e: e.line):
        key = (example.line, example.call, example.expected)
        if key not in seen:
            seen.add(key)
            unique.append(example)
    return doctests + unique


# --- doctests --------------------------------------------------------------------------------


def _doctest_examples(docstring: str, skipped: bool = False) -> tuple[list[Example], set[int]]:
    """Return the doctest examples and the 0-based docstring lines they occupy."""
    parsed = _parse_doctests(docstring)
    examples: list[Example] = []
    covered: set[int] = set()
    pending_setup: list[str] = []
    for item in parsed:
        span = item.source.count("\n") + item.want.count("\n")
        covered.update(range(item.lineno, item.lineno + max(span, 1)))
        options = tuple(
            sorted(_FLAG_NAMES.get(flag, str(flag)) for flag, on in item.options.items() if on)
        )
        skip = SKIP in options
        if skip and not (skipped and (item.want or item.exc_msg is not None)):
            continue  # nothing shown to reproduce, or not asked for: as doctest, not run
        source = item.source.rstrip("\n")
        try:
            ast.parse(source, mode="eval")
            is_expression = True
        except SyntaxError:
            is_expression = False
            try:
                ast.parse(source, mode="exec")
            except SyntaxError:
                log.info("doctest line %d is not Python; skipped", item.lineno + 1)
                continue
        if not is_expression and not item.want and item.exc_msg is None:
            pending_setup.append(source)
            continue
        want = item.want
        expected: str | None = None
        expected_output: str | None = None
        expected_exception: str | None = None
        comparison = _split_comparison(source) if is_expression and not want.strip() else None
        if comparison is not None:
            # ">>> f(x) == y" with nothing under it is an assertion, not "prints nothing".
            source, expected = comparison
        elif item.exc_msg is not None:
            expected_exception = _exception_name(item.exc_msg)
            expected_output = item.exc_msg
        elif is_expression and _is_literal(want):
            expected = want.strip()
        else:
            expected_output = want
        examples.append(
            Example(
                call=source,
                expected=expected,
                line=item.lineno + 1,
                kind="doctest",
                expected_exception=expected_exception,
                expected_output=expected_output,
                setup=tuple(pending_setup),
                options=options,
            )
        )
        pending_setup = []
    return examples, covered


def _parse_doctests(docstring: str) -> list[doctest.Example]:
    """Parse doctests; when one block is malformed, keep the others (doctest drops all)."""
    parser = doctest.DocTestParser()
    try:
        return parser.get_examples(docstring)
    except ValueError as error:
        log.info("doctest parser refused the docstring (%s); parsing block by block", error)
    lines = docstring.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.lstrip().startswith(">>>")]
    parsed: list[doctest.Example] = []
    for number, start in enumerate(starts):
        stop = starts[number + 1] if number + 1 < len(starts) else len(lines)
        block = "".join(lines[start:stop])
        try:
            found = parser.get_examples(block)
        except ValueError:
            continue
        for item in found:
            item.lineno += start
            parsed.append(item)
    return parsed


def _split_comparison(source: str) -> tuple[str, str] | None:
    """Split ``call == expected`` into its two sides, or return None."""
    tree = _parse_expression(source)
    if (
        tree is None
        or not isinstance(tree.body, ast.Compare)
        or len(tree.body.ops) != 1
        or not isinstance(tree.body.ops[0], ast.Eq)
    ):
        return None
    left = ast.get_source_segment(source, tree.body.left)
    right = ast.get_source_segment(source, tree.body.comparators[0])
    if not left or not right:
        return None
    return left, right


def _exception_name(exc_msg: str) -> str:
    head = exc_msg.strip().splitlines()[0] if exc_msg.strip() else ""
    name = head.split(":", 1)[0].strip()
    return name.rsplit(".", 1)[-1] or "Exception"


def _is_literal(text: str) -> bool:
    if not text.strip():
        return False
    try:
        ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


# --- prose: f(x) <arrow> y --------------------------------------------------------------------


def _prose_examples(lines: list[str], function_name: str, covered: set[int]) -> list[Example]:
    text = "\n".join(lines)
    offsets = _line_offsets(lines)
    examples: list[Example] = []
    equations: list[Example] = []
    defines_by_equation = False
    pattern = re.compile(r"(?<![\w.])" + re.escape(function_name) + r"\s*\(")
    for match in pattern.finditer(text):
        line_index = _line_of(offsets, match.start())
        if line_index in covered:
            continue
        end = _balanced_end(text, match.end() - 1)
        if end is None:
            continue
        call = _parse_segment(text[match.start() : end])
        arrow = _ARROW.match(text, end)
        if call is None or arrow is None or not _is_call_to(call, function_name):
            continue
        is_equation = arrow.group().strip() == "="
        if not _only_builtins(call):
            # "f(n) = f(n - 1) + ...": this docstring defines f by equations, so its
            # "f(3) = ..." lines are steps of a definition, not input/output pairs.
            defines_by_equation = defines_by_equation or is_equation
            continue
        expected = _expected_after(text, arrow.end())
        if expected is None:
            continue
        example = Example(call=call, expected=expected, line=line_index + 1, kind="prose")
        (equations if is_equation else examples).append(example)
    return examples if defines_by_equation else examples + equations


_LITERAL = r"""-?\d+(?:\.\d+)?(?![\w.]\d)|"[^"\n]{0,80}"|'[^'\n]{0,80}'"""
_LITERAL_PAIR = re.compile(
    rf"(?<![\w.'\"])(?P<given>{_LITERAL})[ \t]*(?:\bas\b|->|→|=>|\bbecomes\b|\bgives\b)[ \t]*"
    rf"(?P<expected>{_LITERAL}|True\b|False\b|None\b)(?![\w'\"])"
)
"""A value shown with what a one-argument function makes of it, in prose: ``e.g. 1234567 as
"€12,345.67"``, ``"hello world" -> "Hello World"``, ``90 becomes "1m30s"``. Both sides are
literals, one a string; "to" is not among the words (``from 0 to 10`` is no example)."""


def literal_pairs(docstring: str) -> list[tuple[str, str, int]]:
    """Return (given, expected, 1-based line) for each value the prose pairs with its result.

    For a function of one argument only: the caller checks that (and that the given value is
    of the argument's hinted type); the docstring's ``>>>`` lines are not prose.
    """
    _, covered = _doctest_examples(docstring)
    found: list[tuple[str, str, int]] = []
    for index, line in enumerate(docstring.splitlines()):
        if index in covered or line.strip().startswith((">>>", "...")):
            continue
        for match in _LITERAL_PAIR.finditer(line):
            given, expected = match.group("given"), match.group("expected")
            quoted = given[0] in "'\"" or expected[0] in "'\""
            # A string on one side at least: "treat 0 as None" says how 0 is read, not what
            # the function returns.
            if quoted and _parse_expression(given) and _parse_expression(expected):
                found.append((given, expected, index + 1))
    return found


def _input_output_examples(
    lines: list[str], function_name: str, covered: set[int]
) -> list[Example]:
    examples: list[Example] = []
    index = 0
    while index < len(lines):
        match = _INPUT.match(lines[index])
        if match is None or index in covered:
            index += 1
            continue
        start = index
        arguments = match.group(1).strip()
        named: list[str] = []
        index += 1
        output: str | None = None
        while index < len(lines) and index - start <= 8:
            out = _OUTPUT.match(lines[index])
            if out is not None:
                output = out.group(1)
                break
            pair = _NAMED_VALUE.match(lines[index])
            if not arguments and pair is not None:
                named.append(pair.group(2).strip())
            index += 1
        if output is None:
            continue
        if not arguments:
            arguments = ", ".join(named)
        call = _call_from_arguments(function_name, arguments)
        expected = _expected_after(output, 0)
        if call is not None and expected is not None:
            examples.append(Example(call=call, expected=expected, line=start + 1, kind="prose"))
        index += 1
    return examples


def _for_output_examples(lines: list[str], function_name: str, covered: set[int]) -> list[Example]:
    examples: list[Example] = []
    for index, line in enumerate(lines):
        match = _FOR_OUTPUT.match(line)
        if match is None or index in covered:
            continue
        call = _call_from_arguments(function_name, match.group("args"))
        expected = _expected_after(match.group("expected"), 0)
        if call is not None and expected is not None:
            examples.append(Example(call=call, expected=expected, line=index + 1, kind="prose"))
    return examples


def _call_from_arguments(function_name: str, arguments: str) -> str | None:
    """Build ``f(arguments)`` from the longest run of comma-separated pieces that parses."""
    pieces = _split_top_level(arguments.strip().rstrip(".").strip(), ",")
    for count in range(len(pieces), 0, -1):
        joined = ",".join(pieces[:count]).strip()
        if not joined:
            continue
        source = f"{function_name}({joined})"
        tree = _parse_expression(source)
        if tree is not None and _only_builtins(source):
            return source
    return None


# --- expected values ---------------------------------------------------------------------------


def _expected_after(text: str, start: int) -> str | None:
    """Return the expected-value source that starts at ``text[start]``, or None."""
    end = len(text)
    for index, char, depth in _code_chars(text, start):
        if char == "\n" and depth <= 0:
            end = index
            break
    segment = text[start:end].strip()
    if not segment:
        return None
    # "== 1 + 9 + 0 + 0 = 10": the value after the last top-level "=" is the result.
    parts = _split_top_level(segment, "=")
    if len(parts) > 1:
        last = _longest_expression(parts[-1])
        if last is not None:
            return _normalise_word(last)
    found = _longest_expression(segment)
    return _normalise_word(found) if found is not None else None


def _normalise_word(source: str) -> str:
    return _PROSE_WORDS.get(source.strip().lower(), source)


def _longest_expression(segment: str) -> str | None:
    """Return the longest prefix of ``segment`` (cut at token ends) that is one expression."""
    segment = segment.strip()
    candidates: list[str] = [segment.rstrip(".").rstrip(), segment]
    tokens: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(segment).readline):
            tokens.append(token)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    lines = segment.splitlines()
    for token in reversed(tokens):
        if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.COMMENT):
            continue
        row, col = token.end
        prefix = "\n".join([*lines[: row - 1], lines[row - 1][:col]]) if lines else ""
        candidates.append(prefix)
    for candidate in candidates:
        rest = segment[len(candidate) :]
        if rest and not rest[0].isspace() and rest[0] not in "#.,;:":
            continue  # '""abc"' is not the value '""' followed by words
        source = _parse_segment(candidate)
        if source is not None and _only_builtins(_normalise_word(source)):
            return source
    return None


def _parse_segment(text: str) -> str | None:
    """Return the exact source of ``text`` if it is one expression (comments removed)."""
    stripped = text.strip()
    tree = _parse_expression(stripped)
    if tree is None:
        return None
    segment = ast.get_source_segment(stripped, tree.body)
    return segment if segment else None


def _parse_expression(source: str) -> ast.Expression | None:
    if not source or source.startswith((")", "]", "}")):
        return None
    try:
        return ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _is_call_to(source: str, function_name: str) -> bool:
    tree = _parse_expression(source)
    return (
        tree is not None
        and isinstance(tree.body, ast.Call)
        and isinstance(tree.body.func, ast.Name)
        and tree.body.func.id == function_name
    )


def _only_builtins(source: str) -> bool:
    """Whether every free name in ``source`` (besides the called function) is a builtin."""
    tree = _parse_expression(source)
    if tree is None:
        return False
    callee = tree.body.func if isinstance(tree.body, ast.Call) else None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node is not callee and node.id not in _BUILTIN_NAMES:
            return False
    return True


# --- text helpers ------------------------------------------------------------------------------


def _code_chars(text: str, start: int) -> Iterator[tuple[int, str, int]]:
    """Yield ``(index, char, depth)`` for characters outside string literals from ``start``.

    ``depth`` counts open brackets after ``char``. A one-line string that runs into a newline
    ends the scan there, reported as that newline at depth 0 (the text is prose, not code).
    """
    depth = 0
    index = start
    quote: str | None = None
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                index += 2
                continue
            if text.startswith(quote, index):
                index += len(quote)
                quote = None
                continue
            if char == "\n" and len(quote) == 1:
                yield index, char, 0  # the line ends here, and so does the code
                return
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            index += len(quote)
            continue
        else:
            depth += (char in "([{") - (char in ")]}")
            yield index, char, depth
        index += 1


def _balanced_end(text: str, open_index: int) -> int | None:
    """Return the index after the bracket that closes ``text[open_index]``, or None."""
    for index, char, depth in _code_chars(text, open_index):
        if depth == 0 and char in ")]}":
            return index + 1
    return None


def _split_top_level(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside brackets and strings (``==``, ``<=`` are not ``=``)."""
    pieces: list[str] = []
    current = 0
    for index, char, depth in _code_chars(text, 0):
        if char != separator or depth != 0:
            continue
        if separator == "=" and (
            text[index - 1 : index] in ("=", "<", ">", "!") or text[index + 1 : index + 2] == "="
        ):
            continue
        pieces.append(text[current:index])
        current = index + 1
    pieces.append(text[current:])
    return pieces


def _line_offsets(lines: list[str]) -> list[int]:
    offsets = []
    position = 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1
    return offsets


def _line_of(offsets: list[int], position: int) -> int:
    low, high = 0, len(offsets) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if offsets[middle] <= position:
            low = middle
        else:
            high = middle - 1
    return low
