"""Inputs a docstring quotes, as in ``Parse "2024-03-01;-12.50;coffee" into an entry.``.

A docstring without examples often still shows what the function is given: a parser's line, a
duration like "1h30m", a slug such as "hello-world". Strings drawn from the type hints are short
random text (``'A)_'``), on which every candidate of a parser takes the same error path and all
of them "agree"; the text the user wrote is where they part ways. Each such string becomes a
call of the function, compared like a drawn one (only its argument is taken, never a result,
and it runs only in the sandbox).

Only for a function called by name (or a static or class method) whose one required parameter
is hinted ``str``: a string quoted in prose is then that argument, with nothing to guess.
"""

from __future__ import annotations

import ast
import re

from codegen_lsp import inputs
from codegen_lsp.context import FunctionContext
from codegen_lsp.ranking.candidate import RAISING_WORDS
from codegen_lsp.sandbox.examples import literal_pairs
from codegen_lsp.sandbox.types import Example

MAX_QUOTED_CALLS = 4
"""At most this many quoted strings become calls (the first ones in the docstring)."""

_QUOTED = re.compile(
    r"""(?:^|(?<=[\s(\[{:,=]))(?P<quote>["'])(?P<text>[^"'`\n]{1,80})(?P=quote)(?=$|[\s.,;:)\]}!?])"""
)
"""A string in double or single quotes, opened after a space or bracket and closed before one
or a punctuation mark: an apostrophe (``the entry's amount``) opens nothing."""
_CODE_SPAN = re.compile(r"`[^`]*`")


_PLACEHOLDER = re.compile(r"<[A-Za-z_][\w ]{0,30}>|\{[A-Za-z_]\w*(?:[:!][^{}]{0,10})?\}")
"""A part of a quoted template that stands for a value: ``<qty>``, ``{name}``, ``{total:.2f}``."""


def return_template(docstring: str) -> tuple[str, re.Pattern[str]] | None:
    """Return the one template the docstring quotes for a string, and the pattern it makes.

    ``Return "<sku> <name>: <qty> units"``: each placeholder (:data:`_PLACEHOLDER`) stands for
    some text, the rest is matched as written. A user's ``stock_line`` wrote ``"a1 saw: 3"``
    in all three samples of its first wave, which agreed, and the wave stopped there. None when
    no quoted string holds a placeholder and some other text, or more than one does (which
    one a string must fit is then not known).
    """
    found = [
        text
        for text in _quoted(docstring)
        if _PLACEHOLDER.search(text) and _PLACEHOLDER.sub("", text).strip()
    ]
    if len(found) != 1:
        return None
    (template,) = found
    parts = _PLACEHOLDER.split(template)
    # A placeholder may stand for nothing: a drawn sku or name is often the empty string.
    return template, re.compile(".*?".join(re.escape(part) for part in parts), re.DOTALL)


def quoted_strings(docstring: str) -> list[str]:
    """Return the distinct strings ``docstring``'s prose quotes: those it accepts, then the rest.

    Lines of examples (``>>>``) and code spans (```f("x")```) are not prose: their strings are
    the examples' business. See :func:`accepted_strings` for which come first.
    """
    accepted = accepted_strings(docstring)
    rest = [text for text in _quoted(docstring) if not _PLACEHOLDER.search(text)]
    return accepted + [text for text in rest if text not in accepted]


def accepted_strings(docstring: str) -> list[str]:
    """Return the quoted strings in clauses that speak of no error, in order.

    ``Parse "2024-03-01;-12.50;coffee" into an entry`` presents a line the function takes; a
    body that raises on it (even the ``ValueError`` the docstring documents for other lines)
    has it wrong. ``Raise ValueError for "a;b"`` quotes one it refuses. A clause ends at a
    semicolon or a sentence's end outside the quotes: ``Read a quantity such as "12" or
    "3 pcs"; raise ValueError when there is no number`` presents both as taken.
    """
    found: list[str] = []
    for clause, text in _quoted_lines(docstring):
        # A template ("<sku> <name>: <qty> units", :func:`return_template`) is no input.
        template = _PLACEHOLDER.search(text) is not None
        if not RAISING_WORDS.search(clause) and not template and text not in found:
            found.append(text)
    return found


def _quoted(docstring: str) -> list[str]:
    found: list[str] = []
    for _, text in _quoted_lines(docstring):
        if text not in found:
            found.append(text)
    return found


_CLAUSE_END = re.compile(r";|[!?](?=\s|$)|(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)\.(?=\s|$)")
"""Where a clause of prose ends: a semicolon, or a sentence's last mark (not "e.g.")."""


def _quoted_lines(docstring: str) -> list[tuple[str, str]]:
    """Return (clause, quoted string) for each string the prose quotes, in order.

    The clause is the part of its line between the marks of :data:`_CLAUSE_END` that lie
    outside every quoted string (``"a;b"`` ends nothing).
    """
    found = []
    for line in docstring.splitlines():
        stripped = line.strip()
        if stripped.startswith((">>>", "...")):
            continue
        prose = _CODE_SPAN.sub(" ", stripped)
        matches = list(_QUOTED.finditer(prose))
        inside = [match.span() for match in matches]
        ends = [
            end.start()
            for end in _CLAUSE_END.finditer(prose)
            if not any(start <= end.start() < stop for start, stop in inside)
        ]
        for match in matches:
            text = match.group("text")
            if text.strip():
                before = max((end for end in ends if end < match.start()), default=-1)
                after = min((end for end in ends if end >= match.end()), default=len(prose))
                found.append((prose[before + 1 : after], text))
    return found


def quoted_calls(ctx: FunctionContext) -> list[str]:
    """Return calls of ``ctx`` with each string its docstring quotes as its one argument.

    None for a method called on an instance (the instance would have to be drawn too), a
    function with more than one required parameter, or one whose parameter is not hinted
    ``str``.
    """
    found = _one_argument(ctx)
    if found is None or not _is_str(found[2].annotation):
        return []
    kind, owner, _ = found
    texts = quoted_strings(ctx.docstring or "")[:MAX_QUOTED_CALLS]
    return [inputs.call_text(kind, owner, ctx.name, [repr(text)]) for text in texts]


def _one_argument(ctx: FunctionContext) -> tuple[str, str, ast.arg] | None:
    """Return how ``ctx`` is called and its one required parameter; None for another shape.

    A function called by name, or a static or class method; not a method on an instance
    (which would have to be drawn too), nor a function of more than one required parameter.
    """
    reached = inputs.callee(ctx)
    if reached is None or reached[0] not in ("function", "static", "classmethod"):
        return None
    kind, owner = reached
    try:
        parameters = inputs.required_parameters(ctx)
    except (inputs.Unsupported, SyntaxError):
        return None
    if kind == "classmethod":
        parameters = parameters[1:]
    return (kind, owner, parameters[0]) if len(parameters) == 1 else None


def accepted_count(ctx: FunctionContext) -> int:
    """Return how many of :func:`quoted_calls` (they come first) pass strings it accepts."""
    if not quoted_calls(ctx):
        return 0
    return min(len(accepted_strings(ctx.docstring or "")), MAX_QUOTED_CALLS)


def _is_str(annotation: ast.expr | None) -> bool:
    if isinstance(annotation, ast.Name):
        return annotation.id == "str"
    return isinstance(annotation, ast.Constant) and annotation.value == "str"


_LITERAL_TYPES = {"int": (int,), "float": (int, float), "str": (str,)}
"""The types of a given value that a parameter's simple hint takes (``bool`` is no ``int``)."""


def literal_examples(ctx: FunctionContext) -> list[Example]:
    """Return the examples the prose gives as a value and its result, for one argument.

    ``Format a price in cents as euros, e.g. 1234567 as "€12,345.67"`` gives
    ``format_price(1234567)`` expected to be ``"€12,345.67"``: a user's formatter had no
    other example, and its candidates were compared on drawn prices only. For a function
    called by name (or a static or class method) with one required parameter, hinted
    ``int``, ``float`` or ``str`` or not at all, and a given value of that type.
    """
    found = _one_argument(ctx)
    if found is None:
        return []
    kind, owner, parameter = found
    hint = parameter.annotation
    allowed = _LITERAL_TYPES.get(ast.unparse(hint)) if hint is not None else (object,)
    if allowed is None:
        return []
    examples = []
    for given, expected, line in literal_pairs(ctx.raw_docstring or ""):
        value = ast.literal_eval(given)
        if isinstance(value, allowed) and not isinstance(value, bool):
            call = inputs.call_text(kind, owner, ctx.name, [given])
            examples.append(Example(call=call, expected=expected, line=line, kind="prose"))
    return examples


_CELL = r"[`'\"]?[A-Za-z_]\w*[`'\"]?"
_NAMES = rf"{_CELL}(?:\s*[,;]\s*{_CELL}|\s*,?\s+and\s+{_CELL})+"
_HEADER = re.compile(
    rf"\b(?:header(?:\s+(?:row|line))?|columns?)\b(?:\s+(?:is|are|reads|named))?\s*:?\s*"
    rf"[`'\"]?(?P<names>{_NAMES})"
)
"""A file's header named in prose: "whose header is payer,amount_cents,note", "with columns
`day; amount; memo`", "columns name, qty and price", "columns `payer`, `amount_cents` and
`note`"."""


def file_header(docstring: str) -> tuple[str, ...]:
    """Return the header line a docstring names for the file its function reads, as its cells.

    ``Read entries from a CSV file whose header is payer,amount_cents,note``: files drawn for a
    ``Path`` otherwise hold rows such as ``ann,3.5`` under no header, where every reader that
    looks its columns up raised the same ``KeyError`` on every file (14 of a user's 16). The
    first separator the header uses (``,`` or ``;``) is the file's; () when none is named.
    """
    match = _HEADER.search(docstring)
    if match is None:
        return ()
    names = match.group("names")
    separator = ";" if ";" in names else ","
    cells = re.split(r"\s*[,;]\s*|\s*,?\s+and\s+", names)
    return (separator, *(cell.strip("`'\"") for cell in cells))
