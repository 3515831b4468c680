"""Settings over LSP: initializationOptions, workspace/configuration, told once, missing model."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from support.lsp_session import FAST_SETTINGS, Session, start_session, stop_session, until
from support.scripted_model import ScriptedModel


async def _stop(session: Session) -> None:
    await stop_session(session.client, session)


def _warnings(session: Session, text: str) -> list[str]:
    return [m.message for m in session.client.messages if text in m.message]


async def test_invalid_settings_fall_back_and_are_told_once(tmp_path: Path) -> None:
    settings = {**FAST_SETTINGS, "sampling": {"n": "many"}, "sandbox": {"level": "docker"}}
    session, client = await start_session(tmp_path, "visual_studio_code", settings)
    try:
        await until(
            lambda: _warnings(session, "sampling.n") and _warnings(session, "sandbox.level")
        )
        # The same bad value again, three configuration changes: no new pop-up. Then a new
        # mistake, worth one new message; the server handles notifications in order, so once
        # that message is here the three changes before it have been handled too.
        client.set_configuration({"sampling": {"n": "many"}}, section="codegenLsp")
        for _ in range(3):
            client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings=None)
            )
        client.set_configuration(
            {"sampling": {"n": "many"}, "server": {"maxActions": 0}}, section="codegenLsp"
        )
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await until(lambda: _warnings(session, "server.maxActions"), 10)
        assert len(_warnings(session, "sampling.n")) == 1
        assert len(_warnings(session, "sandbox.level")) == 1
        assert len(_warnings(session, "server.maxActions")) == 1
    finally:
        await _stop(session)


async def test_workspace_configuration_overrides_initialization_options(
    tmp_path: Path, scripted: ScriptedModel
) -> None:
    # Three distinct bodies for add(); the configuration (not the initialization options)
    # switches warm-up on and allows one action.
    configuration = {"server": {"maxActions": 1, "warmup": True, "warmupDelayMs": 50}}
    settings = {**FAST_SETTINGS, "model": {"remoteUrl": scripted.url, "remoteRetries": 0}}
    session, _ = await start_session(tmp_path, "emacs", settings, configuration)
    try:
        session.open()
        actions = await session.warmed_actions(8)
        assert [a.title.split(" — ")[0] for a in actions] == ["Implement: 2/2 examples pass"]
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

        def told() -> list[str]:
            return [
                m.message for m in session.client.messages if "no candidate passed" in m.message
            ]

        # The progress ends when the work is done; the edit (a request of its own) or the
        # message follows it, later on a loaded machine.
        await until(lambda: session.applied or told(), 60)
        assert len(session.applied) + len(told()) == 1  # an edit, or why there is none
        assert "Traceback" not in session.log_text()
    finally:
        await _stop(session)
