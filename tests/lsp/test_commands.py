"""Check examples, Fix with failing example, Explain code, inline completion."""

from __future__ import annotations

import pytest
from codegen_lsp.lsp.actions import CHECK_TITLE, EXPLAIN_TITLE, REPAIR_TITLE, REWRITE_TITLE
from lsprotocol import types
from support.lsp_session import (
    ADD_FAILS_ONE,
    ADD_PASSES,
    ADD_RAISES,
    DOUBLE_EXAMPLE_LINE,
    DOUBLE_FAILS,
    DOUBLE_LINE,
    DOUBLE_PASSES,
    SOURCE,
    Session,
    edits_of,
)
from support.lsp_session import until as _until
from support.scripted_model import Reply, ScriptedModel, body, explaining, implementing


def _by_title(actions: list[types.CodeAction]) -> dict[str, types.CodeAction]:
    return {a.title: a for a in actions}


async def test_check_examples_marks_failing_lines_and_unlocks_fix(session: Session) -> None:
    session.open()
    actions = _by_title(await session.actions(DOUBLE_LINE + 6))
    assert CHECK_TITLE in actions and EXPLAIN_TITLE in actions
    assert REPAIR_TITLE not in actions  # nothing is known to fail yet

    summary = await session.command_request(actions[CHECK_TITLE])
    message = "double: 0 of 1 examples pass; the failing ones are marked"
    assert summary == {"function": "double", "examples": 1, "passed": 0, "message": message}
    # The diagnostics say it; a message on top would stop Neovim at "Press ENTER".
    assert all(shown.message != message for shown in session.client.messages)
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


async def _check_at(session: Session, source: str, line: int) -> dict[str, object]:
    """Open ``source``, run Check examples on the function at ``line``, return the summary."""
    session.open(source)
    actions = _by_title(await session.actions(line))
    summary: dict[str, object] = await session.command_request(actions[CHECK_TITLE])
    return summary


async def test_check_examples_says_so_when_everything_passes(session: Session) -> None:
    inc = 'def inc(x):\n    """Add one.\n\n    >>> inc(1)\n    2\n    """\n    return x + 1\n'
    summary = await _check_at(session, inc, 6)
    assert summary["message"] == "inc: 1 example passes"
    assert (session.client.messages[-1].type, session.client.messages[-1].message) == (
        types.MessageType.Info,
        "inc: 1 example passes",
    )
    assert not session.client.diagnostics[session.uri]


async def test_check_examples_says_where_doctest_would_differ(session: Session) -> None:
    reset = 'def reset(x):\n    """Reset.\n\n    >>> reset(1)\n    None\n    """\n    return None\n'
    summary = await _check_at(session, reset, 6)
    assert summary["message"] == "reset: 1 example passes"
    # Passing, but `python -m doctest` shows nothing for None: an information, not a failure.
    await _until(lambda: bool(session.client.diagnostics[session.uri]), 10)
    (diagnostic,) = session.client.diagnostics[session.uri]
    assert diagnostic.range.start.line == 3 and diagnostic.code == "doctest-differs"
    assert diagnostic.severity == types.DiagnosticSeverity.Information
    assert "python -m doctest" in diagnostic.message
    assert REPAIR_TITLE not in _by_title(await session.actions(6))


@pytest.mark.scripted_model
async def test_explain_writes_a_docstring_checked_against_the_function(session: Session) -> None:
    session.open("def triple(x):\n    return x * 3\n")
    actions = _by_title(await session.actions(1))
    assert set(actions) == {EXPLAIN_TITLE}  # no docstring: nothing to check or fix
    summary = await session.command_request(actions[EXPLAIN_TITLE])
    # The scripted docstring has two examples; `triple(1)` claims 4, the function says 3: the
    # docstring shows what the function does.
    assert summary["applied"] is True, summary
    assert (summary["examplesChecked"], summary["examplesKept"]) == (2, 2), summary
    ((version, _),) = edits_of(session.applied[0])
    assert version == (None if session.name == "neovim" else 1)  # Neovim takes unversioned
    assert session.text.startswith('def triple(x):\n    """Return x three times.')
    assert ">>> triple(2)\n    6\n    >>> triple(1)\n    3\n" in session.text
    assert session.text.rstrip().endswith("return x * 3")


HALF = 'def half(x):\n    """Halve x, rounding down: my words, kept."""\n    return x // 2\n'
CONFIRMS = {"lsp_3_18", "visual_studio_code"}  # clients that confirm annotated edits


@pytest.mark.scripted_model
async def test_explain_keeps_the_users_docstring_and_says_why_examples_went(
    session: Session, scripted: ScriptedModel
) -> None:
    # The model goes on after the user's words: one example holds, one raises and is dropped.
    scripted.script(explaining("half"), [Reply(' half(4)\n2\n>>> half(\'a\')\n0\n"""')])
    session.open(HALF)
    actions = _by_title(await session.actions(1))
    assert set(actions) == {EXPLAIN_TITLE, REWRITE_TITLE}
    assert actions[REWRITE_TITLE].command.arguments[0]["rewrite"] is True
    summary = await session.command_request(actions[EXPLAIN_TITLE])
    assert summary["applied"] is True, summary
    assert (summary["examplesChecked"], summary["examplesKept"]) == (2, 1), summary
    assert session.text == (
        'def half(x):\n    """Halve x, rounding down: my words, kept.\n\n    Examples:\n'
        '    >>> half(4)\n    2\n    """\n    return x // 2\n'
    )
    # The message says why the other example went, as the CLI does.
    assert summary["message"] == session.client.messages[-1].message
    assert summary["message"].startswith("Explain half: 1/2 generated examples kept")
    assert (
        "Dropped an example that does not hold: `half('a')` raised TypeError"
        in (summary["message"])
    )
    # Where the client can ask before applying, the edit says it needs confirmation.
    (edit,) = session.applied
    annotations = edit.change_annotations or {}
    if session.name in CONFIRMS:
        (annotation,) = annotations.values()
        assert annotation.needs_confirmation and annotation.label.startswith("Explain half")
        (change,) = edit.document_changes or []
        assert all(isinstance(e, types.AnnotatedTextEdit) for e in change.edits)
    else:
        assert annotations == {}


@pytest.mark.scripted_model
async def test_fix_with_failing_example_reports_evidence(
    session: Session, scripted: ScriptedModel
) -> None:
    session.open()
    actions = _by_title(await session.actions(DOUBLE_LINE + 6))
    await session.command_request(actions[CHECK_TITLE])
    fix = _by_title(await session.actions(DOUBLE_LINE + 6))[REPAIR_TITLE]
    summary = await session.command_request(fix)
    assert summary["function"] == "double"
    assert (summary["candidates"], summary["passing"], summary["applied"]) == (2, 1, True)
    assert f"    {DOUBLE_PASSES}\n" in session.text and "return x * 3" not in session.text
    # The failing example and the current body went into the prompt.
    (prompt,) = [p for p in scripted.prompts if "double(2)` returned 6, expected 4" in p]
    assert "return x * 3" in prompt


@pytest.mark.scripted_model
async def test_fix_that_finds_nothing_better_leaves_the_text_alone(
    session: Session, scripted: ScriptedModel
) -> None:
    scripted.script(implementing("double"), [body(DOUBLE_FAILS)])
    session.open()
    actions = _by_title(await session.actions(DOUBLE_LINE + 6))
    await session.command_request(actions[CHECK_TITLE])
    fix = _by_title(await session.actions(DOUBLE_LINE + 6))[REPAIR_TITLE]
    summary = await session.command_request(fix)
    assert (summary["passing"], summary["applied"]) == (0, False)
    assert "no candidate passed" in summary["message"]
    assert session.applied == []
    assert session.text == SOURCE


@pytest.mark.scripted_model
@pytest.mark.lsp_clients("lsp_3_18")
@pytest.mark.lsp_settings({"server": {"warmup": True, "warmupDelayMs": 50}})
async def test_inline_completion_serves_only_the_top_verified_candidate(
    session: Session, scripted: ScriptedModel
) -> None:
    # Verified: passes every example and holds most of the model's probability.
    scripted.script(implementing("add"), [body(ADD_PASSES, -0.1), body(ADD_FAILS_ONE, -1.5)])
    session.open()
    position = types.Position(line=8, character=4)
    assert await session.inline_items(position) == []  # nothing computed yet
    actions = await session.warmed_actions(8)
    items = await session.inline_items(position)
    (best,) = [a for a in actions if a.is_preferred]
    (item,) = items  # the scripted passing body is verified: the one item
    resolved = await session.client.code_action_resolve_async(best)
    ((_, text_edit),) = edits_of(resolved.edit)
    # Offered from the cursor: the newline and indentation before it are already in the document.
    assert item.range.start == position and item.range.end == text_edit.range.end
    assert text_edit.new_text == "\n    " + item.insert_text
    assert item.insert_text == ADD_PASSES


@pytest.mark.scripted_model
@pytest.mark.lsp_clients("lsp_3_18")
@pytest.mark.lsp_settings({"server": {"warmup": True, "warmupDelayMs": 50}})
async def test_inline_completion_stays_empty_when_nothing_is_verified(
    session: Session, scripted: ScriptedModel
) -> None:
    scripted.script(implementing("add"), [body(ADD_FAILS_ONE), body(ADD_RAISES)])
    session.open()
    actions = await session.warmed_actions(8)
    assert len(actions) == 3 and not any(a.is_preferred for a in actions)
    assert await session.inline_items(types.Position(line=8, character=4)) == []
