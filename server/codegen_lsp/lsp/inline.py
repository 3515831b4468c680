"""Inline completion (LSP 3.18): the top verified body as ghost text.

For clients that advertise ``textDocument/inlineCompletion``, a cursor inside a function with a
docstring and no body shows the best candidate that passed every example, once one is ready
(warm-up prepares it while the cursor rests). Unverified candidates are never offered here: ghost
text gives the user no room to read evidence.

The body is offered from the cursor on: editors show ghost text only for an edit that starts on
the cursor's line and keeps what is already typed there (VS Code drops the rest), so the part of
the replacement the document already holds up to the cursor (the newline and indentation after
the docstring) is taken off the suggestion.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from codegen_lsp.lsp import warmup
from codegen_lsp.lsp.edits import text_edit
from codegen_lsp.lsp.evidence import passes
from codegen_lsp.lsp.functions import function_at
from codegen_lsp.lsp.server import CodegenServer

log = logging.getLogger(__name__)


def inline_items(
    ls: CodegenServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList | None:
    """Return the top verified candidate for the function at the cursor, from the cache."""
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    line = _code_line(ls.lines(document), params.position.line)
    function = function_at(ls.lines(document), line)
    if function is None or not function.wants_body:
        return None
    result = ls.results.get(uri, document.version or 0, function.key, "implement")
    if result is None:
        warmup.schedule(ls, uri, line)
        return None
    verified = [c for c in result.candidates if passes(c) and c.verified]
    log.info("inline completion for %s: %d verified candidates", function.name, len(verified))
    if not verified:
        return None
    cursor = document.position_codec.position_from_client_units(ls.lines(document), params.position)
    replacement = from_cursor(
        ls.lines(document), verified[0].replacement, (cursor.line, cursor.character)
    )
    edit = text_edit(ls, document, replacement)
    return types.InlineCompletionList(
        items=[types.InlineCompletionItem(insert_text=edit.new_text, range=edit.range)]
    )


def _code_line(lines: Sequence[str], line: int) -> int:
    """Return the cursor's line or, from a blank line, the nearest line above with code on it.

    The blank line under a docstring is where one waits for a body, but a function's trailing
    blank lines belong to what follows it.
    """
    line = min(line, len(lines) - 1)  # the empty last line of a file ending in a newline
    while line > 0 and not lines[line].strip():
        line -= 1
    return line


def _text_between(lines: Sequence[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    if start[0] == end[0]:
        return lines[start[0]][start[1] : end[1]]
    middle = "".join(lines[start[0] + 1 : end[0]])
    return lines[start[0]][start[1] :] + middle + lines[end[0]][: end[1]]


def from_cursor(lines: Sequence[str], replacement: Any, cursor: tuple[int, int]) -> Any:
    """Rebase a replacement (code-point columns) to start at the cursor, where that is the same.

    Only when the text from the replacement's start to the cursor is where the new text starts,
    and whatever lies between the replacement's end and the cursor is blank: then inserting the
    rest at the cursor gives the same document. Otherwise the replacement comes back unchanged.
    """
    start = (replacement.start_line, replacement.start_column)
    end = (replacement.end_line, replacement.end_column)
    at = cursor
    if at < start or at[0] >= len(lines):
        return replacement
    typed = _text_between(lines, start, at)
    if not replacement.new_text.startswith(typed):
        return replacement
    if at > end and _text_between(lines, end, at).strip():
        return replacement
    end = max(end, at)
    return dataclasses.replace(
        replacement,
        start_line=at[0],
        start_column=at[1],
        end_line=end[0],
        end_column=end[1],
        new_text=replacement.new_text[len(typed) :],
    )


def register(server: CodegenServer) -> None:
    """Register the inline-completion handler."""

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    def inline_completion(
        ls: CodegenServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        try:
            return inline_items(ls, params)
        except Exception as error:
            log.warning("inline completion failed: %s: %s", type(error).__name__, error)
            return None
