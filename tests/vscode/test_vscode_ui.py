"""codegen-lsp in real VS Code: the packaged .vsix in code-server, driven from the keyboard.

Each test opens a file in VS Code 1.100.3 (code-server in headless Chromium), asks for the
Quick Fix menu with Ctrl+., picks an entry with the arrow keys and Enter, saves with Ctrl+S,
then checks the saved file, that no error notification appeared and that the server logged no
traceback. Screenshots stay in out/editors/<test>/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from vscode_harness import ROOT, VSCode

pytestmark = pytest.mark.editor

SOURCE = '''\
def add(a: int, b: int) -> int:
    """Return the sum of a and b.

    >>> add(1, 2)
    3
    >>> add(-1, 1)
    0
    """
    ...


def double(x: int) -> int:
    """Return twice x.

    >>> double(2)
    4
    """
    return x * 3
'''

# No model work in the fast tests: nothing generates unless asked.
FAST = {"codegenLsp.server.warmup": False, "codegenLsp.model.name": "smollm2-135m"}
# The real default model, as a user gets it.
REAL = {"codegenLsp.server.warmup": True}


def hidden_test(saved: str, test: str, where: Path) -> subprocess.CompletedProcess[str]:
    """Run a test the generator never saw against the saved file, in a fresh interpreter."""
    module = where / "hidden" / "mod.py"
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(saved)
    code = f"import sys; sys.path.insert(0, {str(module.parent)!r}); import mod\n" + test
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def keep_for_readme(shot: Path, name: str) -> None:
    """Refresh the README's screenshot when asked (CODEGEN_LSP_UPDATE_SCREENSHOTS=1)."""
    if os.environ.get("CODEGEN_LSP_UPDATE_SCREENSHOTS") == "1" and shot.exists():
        target = ROOT / "docs" / "img" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target)


def test_quick_fix_menu_runs_check_examples(vscode: VSCode) -> None:
    # The cursor in `double` (wrong body, failing example): Ctrl+. lists the server's actions;
    # picking "Check examples" publishes the failing example as a diagnostic on the docstring.
    run = vscode.drive(
        "check-examples",
        SOURCE,
        {
            "scenario": "quickfix",
            "line": 13,
            "column": 9,
            "waitFor": "Check examples",
            "pick": "^Check examples",
            "expectSelector": ".monaco-editor [class*='squiggly-']",
        },
        FAST,
        timeout_s=120,
    )
    assert "error" not in run.result, run.result
    menu = run.result["menus"][-1]
    assert any("Explain code" in entry for entry in menu), menu
    assert run.result["picked"].startswith("Check examples")
    assert run.text == SOURCE  # checking changes nothing
    assert run.errors == [], run.result["toasts"]
    assert "Traceback" not in run.log
    assert "codegen" in run.result["statusBar"]


@pytest.mark.slow
def test_quick_fix_implements_a_function_with_the_default_model(vscode: VSCode) -> None:
    # Warm-up generates while the cursor rests in `add`; Ctrl+. then lists the candidates with
    # their evidence; the first that passes every example is picked, accepted and saved.
    run = vscode.drive(
        "quickfix-implement",
        SOURCE,
        {
            "scenario": "quickfix",
            "line": 2,
            "column": 9,
            "waitFor": r"Implement: 2/2 examples pass",
            "pick": r"^Implement: 2/2 examples pass",
            "expect": r"return ",
        },
        REAL,
        timeout_s=420,
    )
    assert "error" not in run.result, run.result
    keep_for_readme(run.shots / "quickfix-menu.png", "vscode-quickfix.png")
    assert run.errors == [], run.result["toasts"]
    assert "Traceback" not in run.log
    assert "    ...\n" not in run.text.split("def double")[0]
    check = hidden_test(
        run.text,
        textwrap.dedent(
            """
            assert mod.add(2, 3) == 5
            assert mod.add(-7, 7) == 0
            assert mod.add(10**12, 1) == 10**12 + 1
            """
        ),
        run.shots,
    )
    assert check.returncode == 0, check.stderr
