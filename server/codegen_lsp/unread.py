"""Which of a function's parameters a candidate body never reads.

A parameter is there to be used: a user's ``total_paid(entries: list[Entry], payer: str)``
("Return the cents that ``payer`` paid") drew four samples that summed every entry and never
looked at ``payer``; they agreed with each other on every input, and outvoted the one that
filtered by payer. No HumanEval solution leaves a parameter unread (0 of 164), nor do 461 of
MBPP's 465 train and validation solutions (those four take a list's length as well as the
list, or a coefficient the answer does not need). The ranking holds a body that ignores a
parameter against it where another body reads them all (:mod:`codegen_lsp.ranking.combine`).

``self`` and ``cls``, names starting with ``_`` (unused by convention), and ``*args`` and
``**kwargs`` are not asked for; ``del name`` counts as a read (an unused parameter said so),
and a body that calls ``locals()``, ``vars()`` or ``eval`` reads what it likes. A body that
does not parse reads nothing here: nothing is claimed about it.
"""

from __future__ import annotations

import ast
import textwrap

from codegen_lsp import inputs
from codegen_lsp.context import FunctionContext

_READ_ANYTHING = frozenset({"locals", "vars", "eval", "exec"})


def asked_parameters(ctx: FunctionContext) -> tuple[str, ...]:
    """Return the parameters a body is expected to read, in the signature's order."""
    positional, keyword_only = inputs.parameter_names(ctx)
    return tuple(
        name
        for name in (*positional, *keyword_only)
        if name not in ("self", "cls") and not name.startswith("_")
    )


def unread_parameters(parameters: tuple[str, ...], body: str) -> tuple[str, ...]:
    """Return those of ``parameters`` that ``body`` never reads; () when it does not parse."""
    if not parameters:
        return ()
    try:
        tree = ast.parse(textwrap.dedent(body))
    except SyntaxError:
        return ()
    read = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store)
    }
    if read & _READ_ANYTHING:
        return ()
    return tuple(name for name in parameters if name not in read)
