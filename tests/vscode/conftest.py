"""Fixtures for the VS Code tests: the packaged extension and a real VS Code (code-server).

The .vsix is built on demand (npm ci, tsc, vsce package) once per session. code-server is built
by scripts/install-test-tools.sh (tests/vscode/setup_code_server.sh); the UI tests skip when it
is missing locally, and CI builds it before running them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from vscode_harness import CHROMIUM, CLIENT, CODE_SERVER, VSCode, home_env, run


@pytest.fixture(scope="session")
def client_modules() -> Path:
    """client-vscode with its node_modules installed from package-lock.json."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    lock = CLIENT / "package-lock.json"
    stamp = CLIENT / "node_modules" / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], CLIENT)
    return CLIENT


@pytest.fixture(scope="session")
def vsix(client_modules: Path) -> Path:
    """The extension packaged by `vsce package` from the current sources."""
    target = client_modules / "codegen-lsp.vsix"
    target.unlink(missing_ok=True)
    run(["npm", "run", "package"], client_modules)
    assert target.exists()
    return target


@pytest.fixture(scope="session")
def vscode(vsix: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VSCode]:
    """code-server 4.100.3 (VS Code 1.100.3) with the freshly packaged extension installed."""
    if not CODE_SERVER.exists() or not Path(CHROMIUM).exists():
        pytest.skip("code-server or chromium missing: run scripts/install-test-tools.sh")
    root = tmp_path_factory.mktemp("vscode")
    extensions = root / "extensions"
    env = home_env(root / "install-home")
    proc = subprocess.run(
        [str(CODE_SERVER), "--extensions-dir", str(extensions), "--install-extension", str(vsix)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert any(extensions.glob("codegen-lsp.codegen-lsp-*")), proc.stdout
    yield VSCode(binary=CODE_SERVER, extensions=extensions, root=root)
