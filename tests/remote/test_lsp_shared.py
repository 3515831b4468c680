"""Two real `codegen-lsp --stdio` servers (two editors) with `model.shared` share one daemon.

Nothing in the language server knows about sharing: the setting reaches `load_engine`, the first
server to need the model starts `codegen-lsp serve`, and both generate through it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest
from support.lsp_session import ADD_LINE, start_session, stop_session

BODY_LINE = ADD_LINE + 8
USING = re.compile(r"using the shared model process \(pid (\d+)\)")


async def test_two_editors_generate_through_one_daemon(
    tiny_model_dir: Path, runtime_dir: Path, tmp_path: Path
) -> None:
    settings: dict[str, Any] = {
        "model": {"name": str(tiny_model_dir), "precision": "fp32", "shared": True},
        "sampling": {"n": 2, "maxNewTokens": 16, "seed": 7},
        "ranking": {"verifier": False},
        "server": {"warmup": False},
    }
    sessions = []
    for name in ("neovim", "visual_studio_code"):
        directory = tmp_path / name
        directory.mkdir()
        sessions.append(await start_session(directory, name, settings))
    daemon_pid: int | None = None
    try:
        for session, _ in sessions:
            session.open()

        async def generate(session: Any) -> Any:
            actions = await session.actions(BODY_LINE)
            (action,) = [a for a in actions if a.command is not None]
            return await session.command_request(action)

        summaries = await asyncio.wait_for(
            asyncio.gather(*(generate(session) for session, _ in sessions)), 300
        )
        assert all(isinstance(summary, dict) for summary in summaries), summaries
        pids = set()
        for session, _ in sessions:
            found = USING.findall(session.log_text())
            assert found, f"{session.name} did not use the shared model:\n{session.log_text()}"
            pids.update(int(pid) for pid in found)
            # The model was never loaded in the editor's own server.
            assert "codegen_lsp.engine.onnx_backend: loaded" not in session.log_text()
        assert len(pids) == 1, pids  # one daemon for both editors
        daemon_pid = pids.pop()
        os.kill(daemon_pid, 0)  # it is alive and serves on after the editors asked
    finally:
        for session, client in sessions:
            await stop_session(client, session)
        if daemon_pid is not None:
            os.kill(daemon_pid, signal.SIGTERM)


pytestmark = pytest.mark.timeout(600)
