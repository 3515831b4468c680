"""The README's install path, as a user takes it: build the wheel, install it into a fresh
virtualenv outside the checkout, and run the console script there.

The virtualenv gets the wheel's own dependencies from PyPI (pip's cache makes a second run
fast); nothing of the checkout's `.venv` or source tree is importable there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FUNCTION = '''\
def add(a, b):
    """Return the sum.

    >>> add(1, 2)
    3
    >>> add(2, 2)
    5
    """
    return a + b
'''


def _run(command: list[str], cwd: Path, timeout: float = 600) -> str:
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.mark.timeout(900)
def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", str(REPO), "--no-deps", "-w", str(dist)],
        tmp_path,
    )
    (wheel,) = dist.glob("codegen_lsp-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path)
    user = tmp_path / "user"
    user.mkdir()
    tool = str(venv / "bin" / "codegen-lsp")

    where = _run(
        [str(venv / "bin" / "python"), "-c", "import codegen_lsp; print(codegen_lsp.__file__)"],
        user,
    )
    assert Path(where.strip()).is_relative_to(venv), where  # not the checkout's copy
    assert _run([tool, "--version"], user).strip().startswith("codegen-lsp ")
    listed = _run([tool, "models", "--cache-dir", str(tmp_path / "cache"), "list"], user)
    assert listed.count("(default)") == 1 and "smollm2-135m" in listed
    (user / "mathy.py").write_text(FUNCTION)
    done = subprocess.run(
        [tool, "check", "--json", "mathy.py"], cwd=user, capture_output=True, text=True, timeout=120
    )
    (report,) = json.loads(done.stdout)
    assert [e["status"] for e in report["examples"]] == ["passed", "failed"], report
    assert report["examples"][1]["actual"] == "4"
    assert done.returncode == 1  # a failing example is a failing check
