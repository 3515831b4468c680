"""Code actions: what the user sees when they ask for actions inside a function.

In a function with a docstring and no body:

- when candidates for this very version of the document are ready (warm-up or an earlier
  request made them), one action per top candidate, titled with its evidence in words and the
  gist of its code ("Implement: 3/3 examples pass — return a + b"), its evidence as data too
  (score included) for clients that show more than a title; the best is preferred, all are tagged as
  LLM-generated where the client knows the LSP 3.18 tag, and failing ones are shown disabled with
  the first failing example as the reason where the client shows disabled actions;
- otherwise a single "Generate implementations…", which runs the slow work as a command.

In a function with a body: "Explain code" (and, when it has a docstring, "Explain code: rewrite
the docstring"), and where its docstring has examples "Check examples"
and, once an example is known to fail, "Fix with failing example".

The answer comes from cached results only, so it takes milliseconds: nothing is sampled here.
Edits travel inline, or through ``codeAction/resolve`` for clients that resolve edits lazily.
"""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified
from pygls.workspace import TextDocument

from codegen_lsp.lsp import checks, warmup
from codegen_lsp.lsp.edits import workspace_edit
from codegen_lsp.lsp.evidence import (
    candidate_data,
    candidate_title,
    distinct_previews,
    failing_title,
    first_failure,
    passes,
)
from codegen_lsp.lsp.functions import FunctionAtCursor, function_at
from codegen_lsp.lsp.implement import EARLY
from codegen_lsp.lsp.payloads import CommandTarget
from codegen_lsp.lsp.server import CodegenServer
from codegen_lsp.outcomes import GenerationResult

log = logging.getLogger(__name__)

GENERATE = "codegenLsp.generate"
EXPLAIN = "codegenLsp.explain"
REPAIR = "codegenLsp.repair"
CHECK = "codegenLsp.checkExamples"

GENERATE_TITLE = "Generate implementations…"
REGENERATE_TITLE = "Generate implementations again…"
EXPLAIN_TITLE = "Explain code"
REWRITE_TITLE = "Explain code: rewrite the docstring"
REPAIR_TITLE = "Fix with failing example"
CHECK_TITLE = "Check examples"

KINDS = [types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite]
EARLY_MARK = " (more samples coming)"
"""Ends the title of a candidate offered while the rest of the samples are drawn."""
CANDIDATE_MARK = "codegenLsp.candidate"
"""The ``data.kind`` of a candidate action: clients tell candidates from tasks by it."""


def _wanted(params: types.CodeActionParams, kind: str) -> bool:
    only = params.context.only
    return not only or any(kind == o or kind.startswith(f"{o}.") for o in only)


def _target(
    document: TextDocument,
    function: FunctionAtCursor,
    *,
    fresh: bool = False,
    note: str | None = None,
    rewrite: bool = False,
) -> CommandTarget:
    """Return the command argument for this function in this document version."""
    return CommandTarget(
        uri=document.uri,
        line=function.def_line,
        version=document.version,
        function=function.name,
        fresh=fresh,
        note=note,
        rewrite=rewrite,
    )


def _command_action(
    ls: CodegenServer, title: str, command: str, target: CommandTarget, kind: str
) -> types.CodeAction:
    argument = ls.converter.unstructure(target)
    action = types.CodeAction(
        title=title,
        kind=kind,
        command=types.Command(title=title, command=command, arguments=[argument]),
    )
    if command in (GENERATE, EXPLAIN, REPAIR) and ls.features.accepts_llm_tag:
        action.tags = [types.CodeActionTag.LlmGenerated]
    return action


def candidate_actions(
    ls: CodegenServer, document: TextDocument, function: FunctionAtCursor, result: GenerationResult
) -> list[types.CodeAction]:
    """One action per top candidate, best first, with its evidence in the title.

    An early result (the first wave's, the rest still being drawn) offers only the candidates
    that pass every example, and says that more are coming.
    """
    actions: list[types.CodeAction] = []
    preferred_given = False
    shows_disabled = ls.features.shows_disabled
    resolves = ls.features.resolves_edit
    early = not result.complete
    shown = result.candidates[: ls.settings.server.max_actions]
    if early:
        shown = [candidate for candidate in shown if passes(candidate)]
    gists = distinct_previews([candidate.body for candidate in shown])
    for index, candidate in enumerate(shown):
        title = candidate_title(candidate, preview=True, gist=gists[index])
        if early:
            title += EARLY_MARK
        if not passes(candidate) and not shows_disabled:
            # A client that cannot grey an action out would list a failing body like a good
            # one: its title leads with the failure (see failing_title).
            title = failing_title(candidate, gists[index])
        action = types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix)
        if ls.features.accepts_llm_tag:
            action.tags = [types.CodeActionTag.LlmGenerated]
        # Which candidate this is (for resolve) and its evidence, for clients that read data.
        action.data = {
            "kind": CANDIDATE_MARK,
            "uri": document.uri,
            "version": document.version,
            "function": function.key,
            "index": index,
            "evidence": candidate_data(candidate),
        }
        if early:
            action.data["early"] = True
        if not passes(candidate) and shows_disabled:
            action.disabled = types.CodeActionDisabled(
                reason=first_failure(candidate.run) or "fails its examples"
            )
        elif not resolves:
            action.edit = workspace_edit(ls, document, candidate.file_edits)
        if passes(candidate) and not preferred_given:
            action.is_preferred = True
            preferred_given = True
        actions.append(action)
    if not preferred_given:
        # "Again" only to a user who asked before; after a warm-up the offer is the first one.
        asked = (document.uri, document.version or 0, function.key) in ls.asked_for
        actions.append(
            _command_action(
                ls,
                REGENERATE_TITLE if asked else GENERATE_TITLE,
                GENERATE,
                _target(document, function, fresh=True),
                types.CodeActionKind.QuickFix,
            )
        )
    return actions


def actions_at(ls: CodegenServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Everything the server offers at the request's position (cache lookups only)."""
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    line = params.range.start.line
    function = function_at(ls.lines(document), line)
    if function is None or (function.empty_body and not function.wants_body):
        return []  # outside a function, or a function with neither docstring nor body
    warmup.schedule(ls, uri, line)
    version = document.version or 0
    quick_fix = types.CodeActionKind.QuickFix
    if function.wants_body:
        if not _wanted(params, quick_fix):
            return []
        result = ls.results.get(uri, version, function.key, "implement")
        if result is not None:
            # The candidates, or (none usable came out) the honest way to try again.
            return candidate_actions(ls, document, function, result)
        first_wave = ls.results.get(uri, version, function.key, EARLY)
        if first_wave is not None:  # passing candidates while the rest are drawn
            return candidate_actions(ls, document, function, first_wave)
        return [
            _command_action(ls, GENERATE_TITLE, GENERATE, _target(document, function), quick_fix)
        ]
    return _body_actions(ls, params, document, function)


def _body_actions(
    ls: CodegenServer,
    params: types.CodeActionParams,
    document: TextDocument,
    function: FunctionAtCursor,
) -> list[types.CodeAction]:
    actions: list[types.CodeAction] = []
    rewrite = types.CodeActionKind.RefactorRewrite
    quick_fix = types.CodeActionKind.QuickFix
    if function.has_examples and _wanted(params, quick_fix):
        note = checks.failing_note(ls, document.uri, document.version or 0, function.def_line)
        for diagnostic in params.context.diagnostics:
            data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
            same_function = data.get("function", "").split(".")[-1] == function.name
            if diagnostic.source == checks.SOURCE and same_function:
                note = note or data.get("note")
        if note is not None:
            actions.append(
                _command_action(
                    ls, REPAIR_TITLE, REPAIR, _target(document, function, note=note), quick_fix
                )
            )
        actions.append(
            _command_action(ls, CHECK_TITLE, CHECK, _target(document, function), quick_fix)
        )
    if _wanted(params, rewrite):
        # Explain keeps a docstring the user wrote and adds checked examples to it; rewriting
        # their words is a separate choice.
        actions.append(
            _command_action(ls, EXPLAIN_TITLE, EXPLAIN, _target(document, function), rewrite)
        )
        if function.docstring and function.docstring.strip():
            argument = _target(document, function, rewrite=True)
            actions.append(_command_action(ls, REWRITE_TITLE, EXPLAIN, argument, rewrite))
    return actions


def register(server: CodegenServer) -> None:
    """Register the code-action handlers."""

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=True),
    )
    def code_action(
        ls: CodegenServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        try:
            return actions_at(ls, params)
        except Exception as error:  # never a crash, never a pop-up: "no action"
            log.warning("code actions failed: %s: %s", type(error).__name__, error)
            return None

    @server.feature(types.CODE_ACTION_RESOLVE)
    def resolve(ls: CodegenServer, action: types.CodeAction) -> types.CodeAction:
        data = action.data
        if not isinstance(data, dict) or data.get("kind") != CANDIDATE_MARK:
            return action  # not ours to resolve (VS Code resolves command actions too)
        document = ls.current_document(data["uri"], data["version"])
        kind = EARLY if data.get("early") else "implement"
        result = ls.results.get(data["uri"], data["version"], data["function"], kind)
        if result is None or not 0 <= data["index"] < len(result.candidates):
            raise JsonRpcContentModified("the candidates are gone; ask for code actions again")
        action.edit = workspace_edit(ls, document, result.candidates[data["index"]].file_edits)
        return action
