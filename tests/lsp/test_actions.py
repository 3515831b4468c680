"""Code actions, resolve, the generate command and its progress, per recorded client."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from codegen_lsp.lsp.actions import GENERATE, GENERATE_TITLE, REGENERATE_TITLE
from lsp_session import ADD_LINE, Session, edits_of
from lsprotocol import types

BODY_LINE = ADD_LINE + 8  # the `...` of add()
EVIDENCE = re.compile(
    r"^Implement: (?:(?P<passed>\d+)/(?P<total>\d+) examples pass|does not run|"
    r"no examples to check) · -?\d+\.\d\d(?: — \S.*)?$"
)

RESOLVES = {"neovim", "visual_studio_code", "lsp_3_18"}
SHOWS_DISABLED = {"visual_studio_code", "lsp_3_18"}
VERSIONED = {"emacs", "visual_studio_code", "lsp_3_18"}


def _tags(action: types.CodeAction) -> list[types.CodeActionTag] | None:
    return None if action.tags is None else list(action.tags)


def _passes(action: types.CodeAction) -> bool:
    match = EVIDENCE.match(action.title)
    assert match is not None, action.title
    if "does not run" in action.title:
        return False
    if match.group("total") is None:
        return True
    return match.group("passed") == match.group("total")


async def test_generate_is_offered_until_candidates_exist(session: Session) -> None:
    session.open()
    actions = await session.actions(BODY_LINE)
    assert [a.title for a in actions] == [GENERATE_TITLE]
    (action,) = actions
    assert action.command is not None and action.command.command == GENERATE
    assert action.edit is None
    expected_tags = [types.CodeActionTag.LlmGenerated] if session.name == "lsp_3_18" else None
    assert _tags(action) == expected_tags
    # Outside a function, nothing.
    assert await session.actions(BODY_LINE + 2, 0) == []


async def test_generate_reports_progress_and_applies_the_best(session: Session) -> None:
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    summary = await session.command_request(generate)

    # Work-done progress: begin (cancellable), stage reports, end.
    (reports,) = session.client.progress_reports.values()
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    stages = {r.message.split(" ")[0] for r in reports[1:-1] if r.message}
    assert "sampling" in stages

    # The best passing candidate is applied to the version it was computed on, or nothing is
    # applied and the user is told why.
    if summary["passing"]:
        assert summary["applied"] is True
        (edit,) = session.applied
        ((version, text_edit),) = edits_of(edit)
        assert version == (1 if session.name in VERSIONED else None)
        assert text_edit.range.start.line == BODY_LINE
        assert "..." not in session.text.splitlines()[BODY_LINE]
        assert await session.actions(BODY_LINE) != [generate]
    else:
        assert session.applied == []
        assert any("no candidate passed" in m.message for m in session.client.messages)


@pytest.mark.lsp_settings({"server": {"warmup": True, "warmupDelayMs": 50}})
async def test_ranked_candidates_become_actions(session: Session) -> None:
    session.open()
    actions = await session.actions(BODY_LINE)  # starts warm-up once the cursor rests
    deadline = time.monotonic() + 800
    while [a.title for a in actions] == [GENERATE_TITLE]:
        assert time.monotonic() < deadline, "warm-up produced no candidates"
        await asyncio.sleep(0.2)
        actions = await session.actions(BODY_LINE)
    candidates = [a for a in actions if a.title.startswith("Implement:")]
    assert len(candidates) <= 3
    if not candidates:  # the model wrote nothing usable: say so, offer to try again
        assert [a.title for a in actions] == [REGENERATE_TITLE]
    preferred = [a for a in candidates if a.is_preferred]
    passing = [a for a in candidates if _passes(a)]
    assert preferred == passing[:1]
    if not passing:
        assert actions[-1].title == REGENERATE_TITLE
    for action in candidates:
        expected_tags = [types.CodeActionTag.LlmGenerated] if session.name == "lsp_3_18" else None
        assert _tags(action) == expected_tags
        if not _passes(action) and session.name in SHOWS_DISABLED:
            assert action.disabled is not None
            assert "expected" in action.disabled.reason or "does not run" in action.disabled.reason
            assert action.edit is None and action.data is None
            continue
        assert action.disabled is None
        if session.name in RESOLVES:
            assert action.edit is None and action.data is not None
            resolved = await session.client.code_action_resolve_async(action)
            edit = resolved.edit
        else:
            assert action.data is None
            edit = action.edit
        assert edit is not None
        ((version, text_edit),) = edits_of(edit)
        assert version == (1 if session.name in VERSIONED else None)
        assert text_edit.range.start.line == BODY_LINE


async def test_resolve_returns_foreign_actions_unchanged(session: Session) -> None:
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    resolved = await session.client.code_action_resolve_async(generate)
    assert resolved == generate
    foreign = types.CodeAction(title="someone else's", data={"x": 1})
    assert await session.client.code_action_resolve_async(foreign) == foreign
