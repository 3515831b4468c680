"""What the editor can do, read once from ``initialize``.

The server branches on a handful of client capabilities (lazy ``edit`` resolution, disabled
actions, the LSP 3.18 LLM-generated tag, versioned edits, edits the user confirms, work-done
progress, configuration pulls) and on one known client quirk (Eglot blocks while a command
runs). They are resolved once, when the client introduces itself, into one frozen object,
instead of being looked up in the capability tree on every code action.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types
from pygls.capabilities import get_capability


@dataclass(frozen=True)
class ClientFeatures:
    """The client capabilities the server acts on (all False until ``initialize``)."""

    name: str = ""
    resolves_edit: bool = False
    """Resolves a code action's ``edit`` lazily (``codeAction/resolve``)."""
    shows_disabled: bool = False
    """Shows ``disabled`` code actions with their reason."""
    accepts_llm_tag: bool = False
    """Accepts the LSP 3.18 ``LLMGenerated`` code action tag."""
    versions_edits: bool = False
    """Takes versioned ``documentChanges`` in a workspace edit."""
    shows_progress: bool = False
    """Shows server-initiated work-done progress."""
    has_configuration: bool = False
    """Answers ``workspace/configuration``."""
    blocks_on_commands: bool = False
    """Freezes (and gives up after 10 s) while a command runs: Eglot."""
    confirms_edits: bool = False
    """Asks the user to confirm an edit whose change annotation says ``needsConfirmation``."""

    @classmethod
    def from_initialize(cls, params: types.InitializeParams) -> ClientFeatures:
        """Read the features from the client's ``initialize`` request."""
        capabilities = params.capabilities
        name = params.client_info.name if params.client_info else ""

        def has(path: str) -> bool:
            return bool(get_capability(capabilities, path, False))

        resolve = get_capability(capabilities, "text_document.code_action.resolve_support", None)
        tags = get_capability(capabilities, "text_document.code_action.tag_support", None)
        return cls(
            name=name,
            resolves_edit=resolve is not None and "edit" in resolve.properties,
            shows_disabled=has("text_document.code_action.disabled_support"),
            accepts_llm_tag=tags is not None and types.CodeActionTag.LlmGenerated in tags.value_set,
            versions_edits=has("workspace.workspace_edit.document_changes"),
            shows_progress=has("window.work_done_progress"),
            has_configuration=has("workspace.configuration"),
            blocks_on_commands="eglot" in name.lower(),
            confirms_edits=has("workspace.workspace_edit.document_changes")
            and has("workspace.workspace_edit.change_annotation_support"),
        )
