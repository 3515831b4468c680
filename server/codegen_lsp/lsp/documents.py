"""Keeping work honest as the user types: edits stop outdated generations.

Every change to a document stops the generations computed on its older versions (a request
waiting on one gets ContentModified), forgets their cached candidates and clears example
diagnostics that no longer point at the right lines. Saving a document whose examples the user
checked checks them again.
"""

from __future__ import annotations

from lsprotocol import types

from codegen_lsp.lsp import checks, warmup
from codegen_lsp.lsp.server import CodegenServer


def register(server: CodegenServer) -> None:
    """Register the document-sync handlers."""

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CodegenServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        version = params.text_document.version
        ls.cancel_document(uri, newer_than=version)
        if ls.check_diagnostics.pop(uri, None):
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[], version=version)
            )
        last = params.content_changes[-1] if params.content_changes else None
        if isinstance(last, types.TextDocumentContentChangePartial):
            warmup.schedule(ls, uri, last.range.start.line)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CodegenServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        timer = ls.warmup_timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        ls.cancel_document(uri)
        ls.forget_lines(uri)
        ls.checked_documents.discard(uri)
        if ls.check_diagnostics.pop(uri, None):
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: CodegenServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri in ls.checked_documents:
            await checks.check_document(ls, uri, line=None)
