"""The model runs in a child process of the server (``server.modelProcess``), or in-process.

The child is started on first use, serves only its server, is restarted when it is lost, and
goes away with the server however the server ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from pathlib import Path

from codegen_lsp.engine.models import MANIFEST
from lsprotocol import types
from pytest_lsp import LanguageClient
from support.lsp_session import (
    ADD_LINE,
    FAST_SETTINGS,
    SOURCE,
    Session,
    alive,
    start_session,
    stop_session,
    until,
)

BODY_LINE = ADD_LINE + 8


def _model_pids(session: Session) -> list[int]:
    return [int(pid) for pid in re.findall(r"model process (\d+) started", session.log_text())]


def _wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"model process {pid} outlived its server"
        time.sleep(0.1)


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[1])


def _restore(session: Session) -> None:
    """Put the original text back (a generate may have applied a body)."""
    session.version += 1
    session.text = SOURCE
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=session.uri, version=session.version
            ),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=SOURCE)],
        )
    )


async def _generate(session: Session) -> dict:
    (generate,) = await session.actions(BODY_LINE)
    reply = await asyncio.wait_for(session.command_request(generate), 300)
    assert isinstance(reply, dict)
    return reply


async def test_the_model_runs_in_a_child_that_ends_with_the_server(tmp_path: Path) -> None:
    session, client = await start_session(tmp_path, "neovim", FAST_SETTINGS)
    session.open()
    assert _model_pids(session) == []  # nothing started before it is needed
    await _generate(session)
    (pid,) = _model_pids(session)
    server_pid = client._server.pid if client._server is not None else None
    assert _parent_of(pid) == server_pid
    # A lost child is replaced on the next request.
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    _restore(session)
    await _generate(session)
    first, second = _model_pids(session)
    assert second != first and alive(second)
    await stop_session(client, session)
    _wait_gone(second)
    assert "Traceback" not in session.log_text()


async def _kill_server_and_expect_the_child_gone(
    client: LanguageClient, pid: int, within_s: float = 2.0
) -> None:
    """SIGKILL the server (no shutdown, no exit): its model child must end on its own."""
    assert client._server is not None and alive(pid)
    client._server.kill()
    try:
        _wait_gone(pid, timeout=within_s)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):  # the client may complain that its server vanished
            await asyncio.wait_for(client.stop(), 10)


async def test_the_child_ends_when_the_server_is_killed_while_idle(tmp_path: Path) -> None:
    session, client = await start_session(tmp_path, "neovim", FAST_SETTINGS)
    session.open()
    await _generate(session)
    (pid,) = _model_pids(session)
    await _kill_server_and_expect_the_child_gone(client, pid)


async def test_the_child_ends_when_the_server_is_killed_while_it_decodes(tmp_path: Path) -> None:
    settings = {**FAST_SETTINGS, "sampling": {"n": 8, "maxNewTokens": 256, "seed": 3}}
    session, client = await start_session(tmp_path, "neovim", settings)
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    pending = session.command_request(generate)
    await until(
        lambda: any(
            (getattr(r, "message", "") or "").startswith("sampling")
            for reports in session.client.progress_reports.values()
            for r in reports
        )
    )
    (pid,) = _model_pids(session)
    await _kill_server_and_expect_the_child_gone(client, pid)
    pending.cancel()


async def test_the_child_ends_when_the_server_is_killed_while_it_loads(tmp_path: Path) -> None:
    # A model folder whose manifest never finishes reading (a FIFO nobody writes, as a hung
    # network file system would behave): the child is stuck loading, its main thread blocked,
    # and only its watch on the parent can end it.
    model = tmp_path / "stuck-model"
    model.mkdir()
    (model / "model.onnx").write_bytes(b"")
    (model / "tokenizer.json").write_text("{}")
    os.mkfifo(model / MANIFEST)
    settings = {**FAST_SETTINGS, "model": {"name": str(model)}}
    session, client = await start_session(tmp_path, "neovim", settings)
    session.open()
    (generate,) = await session.actions(BODY_LINE)
    pending = session.command_request(generate)
    await until(lambda: bool(_model_pids(session)))
    (pid,) = _model_pids(session)
    await asyncio.sleep(0.5)  # well into the load
    await _kill_server_and_expect_the_child_gone(client, pid)
    pending.cancel()


async def test_in_process_mode_loads_the_model_in_the_server(tmp_path: Path) -> None:
    settings = {**FAST_SETTINGS, "server": {"warmup": False, "modelProcess": "inProcess"}}
    session, client = await start_session(tmp_path, "neovim", settings)
    try:
        session.open()
        reply = await _generate(session)
        assert "candidates" in reply  # the summary of a generation that ran
        assert _model_pids(session) == []
        log = session.log_text()
        assert "model[" not in log
        assert re.search(r"INFO codegen_lsp\.engine\.onnx_backend: loaded smollm2", log)
    finally:
        await stop_session(client, session)


async def test_a_frozen_child_mid_generation_does_not_hold_the_server(tmp_path: Path) -> None:
    session, client = await start_session(tmp_path, "neovim", FAST_SETTINGS)
    session.open()
    await _generate(session)  # the child is up
    (pid,) = _model_pids(session)
    _restore(session)
    (generate,) = await session.actions(BODY_LINE)
    pending = session.command_request(generate)
    await asyncio.sleep(0.5)
    os.kill(pid, signal.SIGSTOP)  # the child stops answering in the middle of the request
    try:
        started = time.monotonic()
        await stop_session(client, session, grace_s=30)
        assert time.monotonic() - started < 30
        _wait_gone(pid, timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):  # the request ended with the server, answered or not
        await asyncio.wait_for(pending, 5)
