"""Inline completion (LSP 3.18): the top verified body as ghost text.

For clients that advertise ``textDocument/inlineCompletion``, a cursor inside a function with a
docstring and no body shows the best candidate that passed every example, once one is ready
(warm-up prepares it while the cursor rests). Unverified candidates are never offered here: ghost
text gives the user no room to read evidence.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from codegen_lsp.lsp import warmup
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
    function = function_at(ls.lines(document), params.position.line)
    if function is None or not function.wants_body:
        return None
    result = ls.results.get(uri, document.version or 0, function.key, "implement")
    if result is None:
        warmup.schedule(ls, uri, params.position.line)
        return None
    verified = [c for c in result.candidates if passes(c) and c.verified]
    if not verified:
        return None
    text_edit = ls.text_edit(document, verified[0].replacement)
    return types.InlineCompletionList(
        items=[types.InlineCompletionItem(insert_text=text_edit.new_text, range=text_edit.range)]
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
