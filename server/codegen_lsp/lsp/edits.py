"""The server's edits: pipeline replacements as LSP edits, applied to one document version only.

The pipeline speaks in code-point columns; the client in its own position units (UTF-16 for
most). An edit is built for the exact document version its replacements were computed on, as a
versioned ``documentChanges`` edit where the client accepts those, so that an editor refuses it
if the text moved on; one the user should see first carries a change annotation that asks for
confirmation. :func:`apply_edit` sends it with ``workspace/applyEdit`` and never twice for one
version.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument

from codegen_lsp.lsp.server import CodegenServer

log = logging.getLogger(__name__)

CONFIRM_ID = "codegenLsp.confirm"
"""The change annotation of an edit the user confirms before it is applied."""


def text_edit(ls: CodegenServer, document: TextDocument, replacement: Any) -> types.TextEdit:
    """Turn one pipeline replacement (code-point columns) into a client-unit text edit."""
    lines = ls.lines(document)
    codec = document.position_codec
    start = types.Position(line=replacement.start_line, character=replacement.start_column)
    end = types.Position(line=replacement.end_line, character=replacement.end_column)
    return types.TextEdit(
        range=types.Range(
            start=codec.position_to_client_units(lines, start),
            end=codec.position_to_client_units(lines, end),
        ),
        new_text=replacement.new_text,
    )


def workspace_edit(
    ls: CodegenServer,
    document: TextDocument,
    replacements: Sequence[Any],
    confirm: types.ChangeAnnotation | None = None,
) -> types.WorkspaceEdit:
    """Return an edit of this document version only (versioned where the client allows).

    With ``confirm``, a client that supports change annotations shows the edit and asks
    before applying it; the others apply it as usual.
    """
    edits = [text_edit(ls, document, replacement) for replacement in replacements]
    if ls.features.versions_edits:
        identifier = types.OptionalVersionedTextDocumentIdentifier(
            uri=document.uri, version=document.version
        )
        annotations = None
        listed: list[types.TextEdit | types.AnnotatedTextEdit] = list(edits)
        if confirm is not None and ls.features.confirms_edits:
            annotations = {CONFIRM_ID: confirm}
            listed = [
                types.AnnotatedTextEdit(
                    range=edit.range, new_text=edit.new_text, annotation_id=CONFIRM_ID
                )
                for edit in edits
            ]
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=identifier, edits=listed)],
            change_annotations=annotations,
        )
    return types.WorkspaceEdit(changes={document.uri: edits})


async def apply_edit(
    ls: CodegenServer,
    uri: str,
    version: int,
    replacements: Sequence[Any],
    label: str,
    confirm: types.ChangeAnnotation | None = None,
) -> bool:
    """Apply replacements computed on ``uri`` at ``version``; never on any other version.

    ``confirm`` asks the user first where the client can (see :func:`workspace_edit`).
    """
    document = ls.current_document(uri, version)
    edit = workspace_edit(ls, document, replacements, confirm)
    # Mark before awaiting: a racing request must not send a second edit for this version.
    ls.applied_versions[uri] = version
    response = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=label)
    )
    if not response.applied:
        ls.applied_versions.pop(uri, None)
        log.info("client declined the edit: %s", response.failure_reason)
    return bool(response.applied)
