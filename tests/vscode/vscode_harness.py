"""Drives a real VS Code (code-server in headless Chromium) with the packaged extension.

The .vsix is built on demand (npm ci, tsc, vsce package) once per session. code-server is built
by scripts/install-test-tools.sh (tests/vscode/setup_code_server.sh); the UI tests skip when it
is missing locally, and CI builds it before running them. Every editor run gets HOME and XDG_*
in a temp dir, so nothing is written to the real home directory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from codegen_lsp.engine.models import cache_root

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client-vscode"
HERE = Path(__file__).resolve().parent
CODE_SERVER = ROOT / ".test-tools" / "code-server" / "node_modules" / ".bin" / "code-server"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Screenshots and logs of the editor runs stay here after the test (the repo's ignored out/).
ARTIFACTS = ROOT / "out" / "editors"


def run(command: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a build step; fail the test with its output when it fails."""
    proc = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def home_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VSCODE_")}
    env["HOME"] = str(home)
    for kind in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{kind}_HOME"] = str(home / kind.lower())
    # The server finds the prepared models where they are, not under the temp HOME.
    env["CODEGEN_LSP_CACHE"] = str(cache_root())
    return env


@dataclass
class VSCodeRun:
    """What one UI run left: the driver's report, the file, the server's log."""

    result: dict[str, Any]
    text: str
    log: str
    shots: Path

    @property
    def errors(self) -> list[str]:
        """Error notifications the user saw."""
        return [t["message"] for t in self.result.get("toasts", []) if t["severity"] == "error"]


@dataclass
class VSCode:
    """code-server with the packaged extension installed, driven by vscode_ui.js."""

    binary: Path
    extensions: Path
    root: Path

    def drive(
        self,
        name: str,
        source: str,
        scenario: dict[str, Any],
        settings: dict[str, Any],
        timeout_s: float = 300,
        file: str = "mod.py",
        project: Callable[[Path], None] | None = None,
    ) -> VSCodeRun:
        """Open ``source`` as ``file`` in a fresh workspace and run one scenario.

        ``project``, when given, fills the workspace folder first (a package, a ``.venv``).
        """
        base = self.root / name
        workspace, home, data, shots = (base / d for d in ("ws", "home", "data", "shots"))
        for directory in (workspace, home, data / "User", shots):
            directory.mkdir(parents=True, exist_ok=True)
        if project is not None:
            project(workspace)
        target = workspace / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)
        user_settings = {
            "workbench.startupEditor": "none",
            "workbench.tips.enabled": False,
            "security.workspace.trust.enabled": False,
            "telemetry.telemetryLevel": "off",
            "extensions.autoCheckUpdates": False,
            "extensions.autoUpdate": False,
            "update.mode": "none",
            "editor.minimap.enabled": False,
            "workbench.colorTheme": "Default Dark Modern",
            "codegenLsp.interpreter": [sys.executable],
            **settings,
        }
        (data / "User" / "settings.json").write_text(json.dumps(user_settings, indent=2))
        config = base / "config.yaml"
        config.write_text("auth: none\ncert: false\n")
        port = _free_port()
        env = home_env(home)
        log_path = base / "code-server.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [
                    str(self.binary),
                    "--config",
                    str(config),
                    "--user-data-dir",
                    str(data),
                    "--extensions-dir",
                    str(self.extensions),
                    "--bind-addr",
                    f"127.0.0.1:{port}",
                    "--disable-telemetry",
                    "--disable-update-check",
                    "--disable-workspace-trust",
                    "--disable-getting-started-override",
                    str(workspace),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            _wait_healthy(port, server)
            spec = {
                "url": f"http://127.0.0.1:{port}/?folder={workspace}",
                "file": file,
                "shots": str(shots),
                "result": str(base / "result.json"),
                "chromium": CHROMIUM,
                "chromeProfile": str(base / "chrome"),
                "timeoutMs": int(timeout_s * 1000),
                "logGlob": f"{data}/logs/*/exthost*/codegen-lsp.codegen-lsp/*.log",
                **scenario,
            }
            (base / "spec.json").write_text(json.dumps(spec))
            subprocess.run(
                ["node", str(HERE / "vscode_ui.js"), str(base / "spec.json")],
                cwd=HERE,
                env=env,
                timeout=timeout_s + 120,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
            )
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        result = json.loads((base / "result.json").read_text())
        keep = ARTIFACTS / name
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(shots, keep)
        shutil.copy(log_path, keep / "code-server.log")
        server_log = _server_log(data)
        (keep / "codegen-lsp.log").write_text(server_log)  # what the server said, for a failure
        return VSCodeRun(result=result, text=target.read_text(), log=server_log, shots=keep)


def _wait_healthy(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            pytest.fail(f"code-server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("code-server did not become healthy in 60 s")


def _server_log(data: Path) -> str:
    """The extension's output channel (the server's stderr log included), as VS Code wrote it."""
    logs = sorted(data.glob("logs/**/*codegen-lsp*.log"))
    return "\n".join(path.read_text(errors="replace") for path in logs)
