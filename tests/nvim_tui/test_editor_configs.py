"""The shipped editor configurations (editors/) load in their editors and carry valid settings.

The settings in each file (Neovim's lsp/codegen_lsp.lua, Emacs' eglot workspace configuration,
Helix's languages.toml) go through the server's own settings parser (a mistyped value would be a
warning the user sees at start-up) and are checked against the settings tree (a misspelt key
would be ignored without a word).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from codegen_lsp.settings import Settings, parse_settings, to_camel
from nvim_tmux import NVIM, ROOT

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
EDITORS = ROOT / "editors"
EMACS = shutil.which("emacs")
EGLOT = next(Path("/usr/share/emacs/site-lisp/elpa").glob("eglot-*/eglot-autoloads.el"), None)


def unknown_keys(tree: dict, node: object = None, prefix: str = "") -> list[str]:
    """Keys the server's settings tree does not have (the parser ignores them silently)."""
    node = Settings() if node is None else node
    known = {to_camel(f.name): f.name for f in dataclasses.fields(node)}
    unknown = []
    for key, value in tree.items():
        if key not in known:
            unknown.append(prefix + key)
        elif isinstance(value, dict):
            unknown += unknown_keys(value, getattr(node, known[key]), f"{prefix}{key}.")
    return unknown


def assert_valid_settings(tree: dict) -> None:
    _, warnings = parse_settings(tree)
    assert warnings == []
    assert unknown_keys(tree) == []


def test_a_misspelt_key_is_caught() -> None:
    assert unknown_keys({"sampling": {"n": 2, "temprature": 0.2}, "modle": {}}) == [
        "sampling.temprature",
        "modle",
    ]


@pytest.mark.skipif(NVIM is None, reason="nvim missing")
def test_neovim_config_is_a_valid_vim_lsp_config(tmp_path: Path) -> None:
    script = (
        f"local c = dofile({json.dumps(str(EDITORS / 'nvim/lsp/codegen_lsp.lua'))}) "
        "io.stdout:write(vim.json.encode(c))"
    )
    proc = subprocess.run(
        [NVIM, "--headless", "--clean", "-n", "-i", "NONE", "-l", "-"],
        input=script,
        capture_output=True,
        text=True,
        timeout=30,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    config = json.loads(proc.stdout)
    assert config["cmd"] == ["codegen-lsp", "--stdio"]
    assert config["filetypes"] == ["python"]
    assert_valid_settings(config["settings"]["codegenLsp"])


@pytest.mark.skipif(EMACS is None or EGLOT is None, reason="emacs or eglot missing")
def test_emacs_config_registers_the_server_with_eglot(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            str(EMACS),
            "--batch",
            "-Q",
            "-l",
            str(EGLOT),
            "-l",
            str(EDITORS / "emacs" / "codegen-lsp.el"),
            "--eval",
            "(progn (require 'json)"
            " (princ (json-encode (list (cons 'program (cdr (assoc '(python-mode python-ts-mode)"
            " eglot-server-programs))) (cons 'settings eglot-workspace-configuration)"
            " (cons 'confirm eglot-confirm-server-initiated-edits)))))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout)
    assert loaded["program"] == ["codegen-lsp", "--stdio"]
    assert loaded["confirm"] is None  # nil: the server's edit applies without a prompt
    assert_valid_settings(loaded["settings"]["codegenLsp"])


def test_helix_config_declares_the_server_next_to_another() -> None:
    config = tomllib.loads((EDITORS / "helix" / "languages.toml").read_text())
    server = config["language-server"]["codegen-lsp"]
    assert [server["command"], *server["args"]] == ["codegen-lsp", "--stdio"]
    python = next(lang for lang in config["language"] if lang["name"] == "python")
    assert "codegen-lsp" in python["language-servers"]
    assert_valid_settings(server["config"]["codegenLsp"])
