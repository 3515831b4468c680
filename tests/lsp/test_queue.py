"""The job queue as the README promises it: one generation at a time per model, newest request
first, at most 4 waiting (older ones answered with ServerCancelled), and a request cancelled while
another waits for the same job leaves that job running.

The scripted model holds each reply back, so that a generation is still running while the test
sends more requests; the order of events is read from the server's log, never from the clock.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from support.lsp_session import Session, until
from support.scripted_model import ScriptedModel, body, implementing

SERVER_CANCELLED = types.LSPErrorCodes.ServerCancelled.value
FUNCTIONS = 6
# Six functions, each 9 lines: head, 5 docstring lines, `...`, two blank lines.
SOURCE = "".join(
    f'def f{i}(x: int) -> int:\n    """Return x.\n\n    >>> f{i}(1)\n    1\n    """\n    ...\n\n\n'
    for i in range(FUNCTIONS)
)


def _body_line(index: int) -> int:
    return 9 * index + 6


def _started(session: Session) -> list[str]:
    """The functions whose generation started, in order."""
    return re.findall(r"job \('implement', '[^']*', \d+, '(f\d)@\d+'\) started", session.log_text())


def _queued(session: Session) -> int:
    return len(re.findall(r"job \('implement'.*\) queued", session.log_text()))


pytestmark = [pytest.mark.scripted_model, pytest.mark.lsp_clients("visual_studio_code")]


async def test_newest_first_and_at_most_four_waiting(
    session: Session, scripted: ScriptedModel
) -> None:
    # Bodies that fail their example: nothing is applied, so no edit cancels the other jobs.
    for index in range(FUNCTIONS):
        scripted.script(implementing(f"f{index}"), [body("return x + 1")])
    scripted.delay_s = 1.0
    session.open(SOURCE)
    generates = []
    for index in range(FUNCTIONS):
        (generate,) = await session.actions(_body_line(index))
        generates.append(generate)
    replies = [session.command_request(generates[0])]
    await until(lambda: _started(session) == ["f0"])
    for index in range(1, FUNCTIONS):  # one at a time, so that the queue order is the send order
        replies.append(session.command_request(generates[index]))
        await until(lambda index=index: _queued(session) == index + 1)
    outcomes = await asyncio.wait_for(asyncio.gather(*replies, return_exceptions=True), 120)
    # f1..f5 waited behind f0: five waiting is one too many, the oldest (f1) is dropped.
    dropped = outcomes[1]
    assert isinstance(dropped, JsonRpcException) and dropped.code == SERVER_CANCELLED, dropped
    for index in (0, 2, 3, 4, 5):
        assert isinstance(outcomes[index], dict), outcomes[index]
        assert outcomes[index]["function"] == f"f{index}" and outcomes[index]["passing"] == 0
    assert _started(session) == ["f0", "f5", "f4", "f3", "f2"]
    assert session.applied == []


async def test_cancelling_one_of_two_requests_that_share_a_job_leaves_it_running(
    session: Session, scripted: ScriptedModel
) -> None:
    scripted.script(implementing("f0"), [body("return x")])
    scripted.delay_s = 1.0
    session.open(SOURCE)
    (generate,) = await session.actions(_body_line(0))
    first = session.command_request(generate, msg_id="first")
    second = session.command_request(generate, msg_id="second")
    await until(lambda: _started(session) == ["f0"])
    session.cancel("first")
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(first, 30)
    summary = await asyncio.wait_for(second, 60)
    assert summary["applied"] is True and summary["passing"] == 1
    assert session.text.splitlines()[_body_line(0)] == "    return x"
    assert "stopped: cancelled" not in session.log_text()
    assert _started(session) == ["f0"]
