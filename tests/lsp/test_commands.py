"""Check examples, Fix with failing example, Explain code, inline completion."""

from __future__ import annotations

import asyncio
import time

import pytest
from codegen_lsp.lsp.actions import CHECK_TITLE, EXPLAIN_TITLE, GENERATE_TITLE, REPAIR_TITLE
from lsp_session import DOUBLE_EXAMPLE_LINE, DOUBLE_LINE, SOURCE, Session, edits_of
from lsp_session import until as _until
from lsprotocol import types


def _by_title(actions: list[types.CodeAction]) -> dict[str, types.CodeAction]:
    return {a.title: a for a in actions}


@pytest.mark.lsp_clients("emacs", "visual_studio_code")
async def test_check_examples_marks_failing_lines_and_unlocks_fix(session: Session) -> None:
    session.open()
    actions = _by_title(await session.actions(DOUBLE_LINE + 6))
    assert CHECK_TITLE in actions and EXPLAIN_TITLE in actions
    assert REPAIR_TITLE not in actions  # nothing is known to fail yet

    summary = await session.command_request(actions[CHECK_TITLE])
    assert summary == {"function": "double", "examples": 1, "passed": 0}
    (diagnostic,) = session.client.diagnostics[session.uri]
    assert diagnostic.range.start.line == DOUBLE_EXAMPLE_LINE
    assert "double(2)" in diagnostic.message and "6" in diagnostic.message
    assert "4" in diagnostic.message

    actions = _by_title(await session.actions(DOUBLE_LINE + 6))
    fix = actions[REPAIR_TITLE]
    assert fix.command is not None and "double(2)" in fix.command.arguments[0]["note"]

    # An edit makes the diagnostics' lines unreliable: they are cleared.
    session.edit(0, "import math\n")
    await _until(lambda: not session.client.diagnostics[session.uri], 10)


@pytest.mark.lsp_clients("emacs", "lsp_3_18")
async def test_explain_writes_a_docstring_checked_against_the_function(session: Session) -> None:
    session.open("def triple(x):\n    return x * 3\n")
    actions = _by_title(await session.actions(1))
    assert set(actions) == {EXPLAIN_TITLE}  # no docstring: nothing to check or fix
    summary = await session.command_request(actions[EXPLAIN_TITLE])
    assert summary["applied"] is True, summary
    assert 0 <= summary["examplesKept"] <= summary["examplesChecked"]
    ((version, text_edit),) = edits_of(session.applied[0])
    assert version == 1
    assert '"""' in text_edit.new_text
    assert session.text.startswith('def triple(x):\n    """')
    assert session.text.rstrip().endswith("return x * 3")


@pytest.mark.lsp_clients("visual_studio_code")
async def test_fix_with_failing_example_reports_evidence(session: Session) -> None:
    session.open()
    actions = _by_title(await session.actions(DOUBLE_LINE + 6))
    await session.command_request(actions[CHECK_TITLE])
    fix = _by_title(await session.actions(DOUBLE_LINE + 6))[REPAIR_TITLE]
    summary = await session.command_request(fix)
    assert summary["function"] == "double"
    if summary["passing"]:
        assert summary["applied"] is True
        assert "return x * 3" not in session.text
    else:
        assert session.applied == []
        assert session.text == SOURCE
        assert "no candidate passed" in summary["message"]


@pytest.mark.lsp_clients("lsp_3_18")
@pytest.mark.lsp_settings({"server": {"warmup": True, "warmupDelayMs": 50}})
async def test_inline_completion_serves_only_the_top_verified_candidate(session: Session) -> None:
    session.open()
    position = types.Position(line=8, character=4)
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=session.uri),
        position=position,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
    )
    assert not await session.client.text_document_inline_completion_async(params)
    deadline = time.monotonic() + 800
    actions = await session.actions(8)
    while [a.title for a in actions] == [GENERATE_TITLE]:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
        actions = await session.actions(8)
    answer = await session.client.text_document_inline_completion_async(params)
    items = (answer.items if isinstance(answer, types.InlineCompletionList) else answer) or []
    preferred = [a for a in actions if a.is_preferred]
    if not items:
        return  # nothing verified: ghost text stays empty (the actions still say why)
    (item,) = items
    (best,) = preferred
    resolved = await session.client.code_action_resolve_async(best)
    ((_, text_edit),) = edits_of(resolved.edit)
    # Offered from the cursor: the newline and indentation before it are already in the document.
    assert item.range.start == position and item.range.end == text_edit.range.end
    assert text_edit.new_text == "\n    " + item.insert_text
