"""Settings over LSP: initializationOptions, workspace/configuration, told once, missing model."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from codegen_lsp.lsp.actions import GENERATE_TITLE
from lsp_session import FAST_SETTINGS, Session, start_session, stop_session, until
from lsprotocol import types


async def _stop(session: Session) -> None:
    await stop_session(session.client, session)


def _warnings(session: Session, text: str) -> list[str]:
    return [m.message for m in session.client.messages if text in m.message]


async def test_invalid_settings_fall_back_and_are_told_once(tmp_path: Path) -> None:
    settings = {**FAST_SETTINGS, "sampling": {"n": "many"}, "sandbox": {"level": "docker"}}
    session, client = await start_session(tmp_path, "visual_studio_code", settings)
    try:
        await asyncio.sleep(0.5)
        assert len(_warnings(session, "sampling.n")) == 1
        assert len(_warnings(session, "sandbox.level")) == 1
        # The same bad value again (a configuration change): no new pop-up.
        client.set_configuration({"sampling": {"n": "many"}}, section="codegenLsp")
        for _ in range(3):
            client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings=None)
            )
        await asyncio.sleep(0.5)
        assert len(_warnings(session, "sampling.n")) == 1
        # A new mistake is worth one new message.
        client.set_configuration({"server": {"maxActions": 0}}, section="codegenLsp")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        deadline = time.monotonic() + 10
        while not _warnings(session, "server.maxActions"):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert len(_warnings(session, "server.maxActions")) == 1
    finally:
        await _stop(session)


async def test_workspace_configuration_overrides_initialization_options(tmp_path: Path) -> None:
    configuration = {"server": {"maxActions": 1, "warmup": True, "warmupDelayMs": 50}}
    session, _ = await start_session(tmp_path, "emacs", FAST_SETTINGS, configuration)
    try:
        session.open()
        deadline = time.monotonic() + 800
        actions = await session.actions(8)
        while [a.title for a in actions] == [GENERATE_TITLE]:
            assert time.monotonic() < deadline, "warm-up (enabled by configuration) never ran"
            await asyncio.sleep(0.2)
            actions = await session.actions(8)
        assert len([a for a in actions if a.title.startswith("Implement:")]) <= 1
    finally:
        await _stop(session)


async def test_a_missing_model_is_explained_once(tmp_path: Path) -> None:
    settings = {**FAST_SETTINGS, "model": {"name": str(tmp_path / "no-such-model")}}
    session, _ = await start_session(tmp_path, "neovim", settings)
    try:
        session.open()
        (generate,) = await session.actions(8)
        for _ in range(2):
            summary = await session.command_request(generate)
            assert summary["applied"] is False
        told = _warnings(session, "codegen-lsp models pull")
        assert len(told) == 1
        assert session.client.messages[-1].type == types.MessageType.Error
        assert "Traceback" not in session.log_text()
    finally:
        await _stop(session)


async def test_eglot_gets_its_command_reply_at_once_and_the_work_follows(tmp_path: Path) -> None:
    # Eglot's executeCommand blocks Emacs and gives up after 10 s: answer first, work after.
    info = types.ClientInfo(name="Eglot", version="1.17")
    session, _ = await start_session(tmp_path, "emacs", FAST_SETTINGS, client_info=info)
    try:
        session.open()
        (generate,) = await session.actions(8)
        reply = await asyncio.wait_for(session.command_request(generate), 10)
        assert reply["started"] is True
        await until(
            lambda: any(
                isinstance(r, types.WorkDoneProgressEnd)
                for reports in session.client.progress_reports.values()
                for r in reports
            ),
            600,
        )
        told = [m.message for m in session.client.messages if "no candidate passed" in m.message]
        assert len(session.applied) + len(told) == 1  # an edit, or why there is none
        assert "Traceback" not in session.log_text()
    finally:
        await _stop(session)
