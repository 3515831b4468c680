"""Worker homes: a killed server's are removed by the next server's first sandbox.

A real server-like process opens a real sandbox, runs a candidate that writes into its home,
and is killed with SIGKILL, so nothing of its own can clean up; the next sandbox sweeps what it
left, and leaves alone what a running process (this one) still uses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from codegen_lsp.sandbox import homes
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.sandbox.types import Example
from codegen_lsp.settings import SandboxSettings

KILLED_SERVER = textwrap.dedent(
    """
    import sys, time
    from codegen_lsp.sandbox.runner import Sandbox
    from codegen_lsp.sandbox.types import Example
    from codegen_lsp.settings import SandboxSettings

    box = Sandbox(SandboxSettings(workers=1, timeout_s=5.0))
    code = "def touch():\\n    open('left-behind.txt', 'w').write('x')\\n    return 1\\n"
    run = box.run(code, "touch", [Example(call="touch()", expected="1", line=1)])
    print(run.passed, flush=True)
    time.sleep(60)  # killed here, before anything could clean up
    """
)


def _stale_home(root: Path) -> Path:
    """A home named for a process that has exited (its id is not reused this soon)."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    path = root / f"{homes.PREFIX}{gone.stdout.strip()}-abc123"
    path.mkdir()
    (path / "written-by-a-candidate").write_text("x")
    return path


def test_the_sweep_removes_only_homes_of_servers_no_longer_running(tmp_path: Path) -> None:
    stale = _stale_home(tmp_path)
    mine = tmp_path / f"{homes.PREFIX}{os.getpid()}-def456"
    mine.mkdir()
    running = tmp_path / f"{homes.PREFIX}1-ghi789"  # init: always running
    running.mkdir()
    unnamed = tmp_path / f"{homes.PREFIX}old"  # no process id: not ours to judge
    unnamed.mkdir()
    target = tmp_path / "not-a-home"
    target.mkdir()
    link = tmp_path / f"{homes.PREFIX}999999999-link"
    link.symlink_to(target)
    assert homes.sweep(str(tmp_path)) == [str(stale)]
    assert not stale.exists()
    assert mine.exists() and running.exists() and unnamed.exists()
    assert link.is_symlink() and target.exists()


def test_a_killed_servers_worker_home_is_swept_by_the_next_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-c", KILLED_SERVER], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "1"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    left = [p for p in tmp_path.iterdir() if p.name.startswith(f"{homes.PREFIX}{server.pid}-")]
    assert left, "the killed server's worker home should still be there"
    # A new server in the same temporary directory: its first sandbox sweeps.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    monkeypatch.setattr(homes, "_swept", False)
    with Sandbox(SandboxSettings(workers=1, timeout_s=5.0)) as box:
        run = box.run(
            "def one():\n    return 1\n", "one", [Example(call="one()", expected="1", line=1)]
        )
        assert run.passed == 1
        assert not any(path.exists() for path in left)
        # Its own worker's home is there while it runs, named for this process.
        assert [p.name for p in tmp_path.iterdir()] and all(
            p.name.startswith(f"{homes.PREFIX}{os.getpid()}-") for p in tmp_path.iterdir()
        )
