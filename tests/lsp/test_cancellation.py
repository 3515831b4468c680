"""Cancellation and staleness: every cancelled request is answered, no edit lands on new text."""

from __future__ import annotations

import asyncio
import re

import pytest
from codegen_lsp.lsp.actions import GENERATE_TITLE
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from support.lsp_session import ADD_LINE, Session
from support.lsp_session import until as _until

BODY_LINE = ADD_LINE + 8
CONTENT_MODIFIED = types.LSPErrorCodes.ContentModified.value
# Long enough generations that there is time to interrupt them.
SLOW = {"sampling": {"n": 8, "maxNewTokens": 256, "seed": 3}}

pytestmark = [
    pytest.mark.lsp_settings(SLOW),
    pytest.mark.lsp_clients("neovim", "visual_studio_code"),
]


def _progress(session: Session) -> list:
    return [r for reports in session.client.progress_reports.values() for r in reports]


def _sampling_started(session: Session) -> bool:
    return any(
        isinstance(r, types.WorkDoneProgressReport) and (r.message or "").startswith("sampling")
        for r in _progress(session)
    )


def _assert_clean_log(session: Session) -> None:
    text = session.log_text()
    assert "Traceback" not in text, text[-3000:]


async def _generate_until_sampling(session: Session, msg_id: str | None = None) -> asyncio.Future:
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    reply = session.command_request(generate, msg_id=msg_id)
    await _until(lambda: _sampling_started(session))
    return reply


async def test_cancel_request_mid_generation(session: Session) -> None:
    reply = await _generate_until_sampling(session, "generate-1")
    session.cancel("generate-1")
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(reply, 30)
    # The progress ends, the generation stops, nothing is applied, the server still answers.
    await _until(lambda: isinstance(_progress(session)[-1], types.WorkDoneProgressEnd), 60)
    await _until(lambda: "stopped: cancelled" in session.log_text(), 60)
    assert session.applied == []
    assert [a.title for a in await session.actions(BODY_LINE)] == [GENERATE_TITLE]
    _assert_clean_log(session)


async def test_cancel_from_the_progress_ui(session: Session) -> None:
    reply = await _generate_until_sampling(session)
    (token,) = session.client.progress_reports
    session.client.protocol.notify(
        types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token)
    )
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(reply, 60)
    assert session.applied == []
    _assert_clean_log(session)


async def test_edit_mid_generation_gets_content_modified(session: Session) -> None:
    reply = await _generate_until_sampling(session)
    session.edit(BODY_LINE + 3, "# the user keeps typing\n")
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wait_for(reply, 60)
    assert raised.value.code == CONTENT_MODIFIED
    assert session.applied == []
    await _until(lambda: "stopped: document changed" in session.log_text(), 60)
    _assert_clean_log(session)


@pytest.mark.scripted_model
@pytest.mark.lsp_settings({"sampling": {"n": 3, "maxNewTokens": 48}})
async def test_two_racing_requests_share_one_generation_and_apply_once(session: Session) -> None:
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    first = session.command_request(generate)
    second = session.command_request(generate)
    outcomes = await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 300)
    # One generation, one edit: the request that resumes second finds version 1 already
    # edited (the editor may not have said so yet) and gets ContentModified.
    (applied,) = [o for o in outcomes if isinstance(o, dict)]
    assert applied["applied"] is True and applied["passing"] == 1
    (refused,) = [o for o in outcomes if not isinstance(o, dict)]
    assert isinstance(refused, JsonRpcException) and refused.code == CONTENT_MODIFIED
    assert len(session.applied) == 1
    assert len(re.findall(r"job \('implement'.*\) started", session.log_text())) == 1
    _assert_clean_log(session)


@pytest.mark.lsp_clients("visual_studio_code")
@pytest.mark.lsp_settings({**SLOW, "server": {"warmup": True, "warmupDelayMs": 50}})
async def test_warm_up_starts_when_the_cursor_rests_and_stops_on_edit(session: Session) -> None:
    session.open()
    assert [a.title for a in await session.actions(BODY_LINE)] == [GENERATE_TITLE]
    await _until(lambda: "started (warm-up)" in session.log_text())
    session.edit(BODY_LINE + 3, "# typing again\n")
    await _until(lambda: "stopped: document changed" in session.log_text(), 60)
    # The edit moved nothing above the function: the next rest warms up the new version.
    await session.actions(BODY_LINE)
    await _until(lambda: session.log_text().count("started (warm-up)") >= 2, 120)
    assert session.applied == []
    _assert_clean_log(session)


@pytest.mark.lsp_clients("visual_studio_code")
@pytest.mark.lsp_settings({"sampling": {"n": 2, "maxNewTokens": 24}})
# pytest-lsp's checker knows only tokens made with window/workDoneProgress/create, not those a
# request carries (LSP's client-initiated progress); it warns about the latter.
@pytest.mark.filterwarnings("ignore:Unknown progress token")
async def test_progress_goes_to_the_requests_own_token_and_a_late_cancel_is_quiet(
    session: Session,
) -> None:
    # vscode-languageclient passes a workDoneToken with executeCommand (client-initiated
    # progress): the server reports on it and creates no token of its own.
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    assert generate.command is not None
    reply = await asyncio.wait_for(
        session.client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(
                command=generate.command.command,
                arguments=generate.command.arguments,
                work_done_token="client-token-1",
            ),
        ),
        300,
    )
    assert isinstance(reply, dict)
    assert list(session.client.progress_reports) == ["client-token-1"]
    reports = session.client.progress_reports["client-token-1"]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    # The user clicked cancel just as the work ended: nothing to stop, nothing to complain about.
    session.client.protocol.notify(
        types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
        types.WorkDoneProgressCancelParams(token="client-token-1"),
    )
    await session.actions(BODY_LINE)  # answered after the cancel was processed
    assert "unknown token" not in session.log_text()
    _assert_clean_log(session)
