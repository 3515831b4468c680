"""codegen-lsp in real VS Code: the packaged .vsix in code-server, driven from the keyboard.

Each test opens a file in VS Code 1.100.3 (code-server in headless Chromium), asks for the
Quick Fix menu with Ctrl+., picks an entry with the arrow keys and Enter, saves with Ctrl+S,
then checks the saved file, that no error notification appeared and that the server logged no
traceback. Screenshots stay in out/editors/<test>/.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.projects import OPS, SHIFT_HIDDEN_TEST, SHIFT_LINE, run_hidden, write_shapes_project
from vscode_harness import ROOT, VSCode, VSCodeRun

pytestmark = pytest.mark.editor

SOURCE = '''\
def count_vowels(text: str) -> int:
    """Count the vowels (a, e, i, o, u) in text, ignoring case.

    >>> count_vowels("Hello World")
    3
    >>> count_vowels("xyz")
    0
    """
    ...


def triple(x: int) -> int:
    """Return three times x.

    >>> triple(2)
    6
    """
    return x * 2
'''
# count_vowels with no body at all: the cursor waits on the indented line under the docstring.
NO_BODY = SOURCE.replace('    """\n    ...\n', '    """\n    \n', 1)
HIDDEN_TEST = """
assert mod.count_vowels("AEIOU and xyz") == 6
assert mod.count_vowels("") == 0
assert mod.count_vowels("rhythm") == 0
"""

# No model work in the fast tests: nothing generates unless asked.
FAST = {"codegenLsp.server.warmup": False, "codegenLsp.model.name": "smollm2-135m"}
# The default model as users get it; fewer, shorter samples keep the test within CI's budget.
REAL = {
    "codegenLsp.server.warmup": True,
    "codegenLsp.sampling.n": 6,
    "codegenLsp.sampling.maxNewTokens": 160,
}


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
    # The cursor in `triple` (wrong body, failing example): Ctrl+. lists the server's actions;
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


def test_changing_a_setting_restarts_the_server_with_it(vscode: VSCode) -> None:
    run = vscode.drive(
        "settings-restart",
        SOURCE,
        {
            "scenario": "settings",
            "line": 2,
            "column": 9,
            "newSettings": {"codegenLsp.sampling.n": 5, "codegenLsp.sandbox.timeoutS": 2.5},
        },
        FAST,
        timeout_s=120,
    )
    assert "error" not in run.result, run.result
    assert "restarting the server: settings changed" in run.log
    started = [line for line in run.log.splitlines() if "settings: Settings(" in line]
    assert "n=8" in started[0] and "n=5" in started[-1]  # the restarted server has the new value
    assert "timeout_s=2.5" in started[-1]
    assert run.errors == [], run.result["toasts"]


@pytest.mark.slow
def test_quick_fix_implements_a_function_with_the_default_model(vscode: VSCode) -> None:
    # Warm-up generates while the cursor rests in count_vowels; Ctrl+. then lists the candidates
    # with their evidence; the first that passes every example is picked, applied and saved.
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
        timeout_s=600,
    )
    assert "error" not in run.result, run.result
    keep_for_readme(run.shots / "quickfix-menu.png", "vscode-quickfix.png")
    assert_implemented(run)


@pytest.mark.slow
def test_generate_command_previews_and_accepts_a_candidate(vscode: VSCode) -> None:
    # "codegen: Generate implementations": a QuickPick of candidates with their evidence, a diff
    # preview of the best, "Accept", save.
    run = vscode.drive(
        "command-generate",
        SOURCE,
        {
            "scenario": "command",
            "line": 2,
            "column": 9,
            "waitFor": r"2/2 examples pass",
            "expect": r"return ",
        },
        {**REAL, "codegenLsp.server.warmup": False},
        timeout_s=600,
    )
    assert "error" not in run.result, run.result
    keep_for_readme(run.shots / "generate-quickpick.png", "vscode-generate-quickpick.png")
    assert re.search(r"2/2 examples pass", run.result["picked"]), run.result["quickPick"]
    # The status bar showed the server's stage with its count while it worked.
    assert re.search(r"(sampling|running examples|loading model) \d+/\d+", run.result["progress"])
    assert_implemented(run)


@pytest.mark.slow
def test_inline_suggestion_writes_a_verified_body_accepted_with_tab(vscode: VSCode) -> None:
    # The cursor on the empty line under count_vowels' docstring; Alt+\ (Trigger Inline
    # Suggestion) asks the server (textDocument/inlineCompletion), which starts warm-up; once it
    # has ranked the candidates, the verified best shows as ghost text and Tab accepts it.
    run = vscode.drive(
        "inline-implement",
        NO_BODY,
        {"scenario": "inline", "line": 9, "column": 5, "expect": r"return "},
        # The learned verifier's own bar is above what it gives this function's passing bodies
        # (0.68 here); with it off, ghost text takes the 0.5 verifiedThreshold setting's bar.
        {**REAL, "codegenLsp.ranking.verifier": False},
        timeout_s=600,
    )
    assert "error" not in run.result, run.result
    assert "return" in run.result["ghostText"]
    assert_implemented(run)


def assert_implemented(run: VSCodeRun) -> None:
    """The body is in the saved file, passes a hidden test, and nothing went wrong on the way."""
    assert run.errors == [], run.result["toasts"]
    assert "Traceback" not in run.log
    assert "    ...\n" not in run.text.split("def triple")[0]
    assert "return x * 2" in run.text  # the other function is untouched
    check = hidden_test(run.text, HIDDEN_TEST, run.shots)
    assert check.returncode == 0, check.stderr


@pytest.mark.slow
def test_quick_fix_implements_inside_a_multi_module_project(
    vscode: VSCode, project_venv_python: Path
) -> None:
    # The workspace is the shapes project with its own .venv (whose library ops.py imports);
    # the Quick Fix implements `shift`, whose types live in shapes/geometry.py.
    def project(workspace: Path) -> None:
        write_shapes_project(workspace)
        os.symlink(project_venv_python.parent.parent, workspace / ".venv")

    run = vscode.drive(
        "quickfix-project",
        OPS,
        {
            "scenario": "quickfix",
            "line": SHIFT_LINE + 2,
            "column": 9,
            "waitFor": r"Implement: 1/1 examples? pass",
            "pick": r"^Implement: 1/1 examples? pass",
            "expect": r"return ",
        },
        REAL,
        timeout_s=600,
        file="shapes/ops.py",
        project=project,
    )
    assert "error" not in run.result, run.result
    assert run.errors == [], run.result["toasts"]
    assert "Traceback" not in run.log and "ModuleNotFoundError" not in run.log
    assert ".venv virtualenv in the project" in run.log
    root = run.shots / "project"
    write_shapes_project(root)
    (root / "shapes" / "ops.py").write_text(run.text)
    hidden = run_hidden(root, project_venv_python, SHIFT_HIDDEN_TEST)
    assert hidden.returncode == 0, hidden.stderr + run.text


@pytest.mark.slow
def test_clicking_the_status_bar_cancels_a_generation(vscode: VSCode) -> None:
    run = vscode.drive(
        "cancel-generate",
        SOURCE,
        {"scenario": "cancel", "line": 2, "column": 9},
        {**REAL, "codegenLsp.server.warmup": False},
        timeout_s=300,
    )
    assert "error" not in run.result, run.result
    assert run.result["progress"].startswith("codegen: ")
    assert run.result["afterCancel"] == "codegen"
    assert run.result["quickPickAfterCancel"] == []
    assert run.text == SOURCE  # nothing applied
    assert run.errors == [], run.result["toasts"]
    assert "Traceback" not in run.log


@pytest.mark.slow
def test_closing_the_window_mid_generation_leaves_a_clean_log(
    vscode: VSCode, tmp_path: Path
) -> None:
    # Reloading the window deactivates the extension as closing VS Code does: the extension
    # stops its server while the generation runs. The output channel goes with the old
    # extension host, so the server also writes its log to a file, through a wrapper.
    log = tmp_path / "server.log"
    wrapper = tmp_path / "python-with-log-file"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} "$@" --log-file {log}\n')
    wrapper.chmod(0o755)
    run = vscode.drive(
        "reload-mid-generation",
        SOURCE,
        {"scenario": "reload", "line": 2, "column": 9},
        {**REAL, "codegenLsp.server.warmup": False, "codegenLsp.interpreter": [str(wrapper)]},
        timeout_s=300,
    )
    assert "error" not in run.result, run.result
    assert run.result["progress"].startswith("codegen: ")
    assert run.text == SOURCE  # nothing applied on the way out
    text = log.read_text()
    # The job had started and never finished: the window went mid-generation (how far the
    # server got in logging its stop depends on when the extension host let go of it).
    assert "started (requested)" in text, text[-3000:]
    assert not re.search(r"implement of count_vowels\S* in \S+ v\d+: done", text), text[-3000:]
    signs = ("Traceback", " ERROR ", " WARNING ", "CancelledError", "never retrieved", "BrokenPipe")
    for sign in signs:
        assert sign not in text and sign not in run.log, text[-4000:]


@pytest.mark.slow
def test_explain_command_writes_a_checked_docstring(vscode: VSCode) -> None:
    source = "def squares(n: int) -> list[int]:\n    return [i * i for i in range(n)]\n"
    run = vscode.drive(
        "command-explain",
        source,
        {
            "scenario": "palette",
            # Explain shows the new docstring beside the old one first; the user accepts it.
            "commands": [{"command": "codegen: Explain code", "accept": True}],
            "line": 2,
            "column": 9,
            "expect": '"""',
        },
        {**REAL, "codegenLsp.server.warmup": False},
        timeout_s=300,
    )
    assert "error" not in run.result, run.result
    assert run.errors == [], run.result["toasts"]
    assert "Traceback" not in run.log
    function = ast.parse(run.text).body[0]
    assert isinstance(function, ast.FunctionDef)
    assert ast.get_docstring(function)
    assert run.text.endswith("    return [i * i for i in range(n)]\n")  # the body is untouched
    keep_for_readme(run.shots / "command-diff.png", "vscode-explain-diff.png")
    # The server says how many of the docstring's examples held against the function.
    assert any("examples kept" in t["message"] for t in run.result["toasts"]), run.result["toasts"]


@pytest.mark.slow
def test_check_then_repair_commands_fix_a_wrong_body(vscode: VSCode) -> None:
    # "codegen: Check examples" underlines triple's failing example; "codegen: Repair" rewrites
    # the body from that failure; the repaired file passes a hidden test.
    run = vscode.drive(
        "command-repair",
        SOURCE,
        {
            "scenario": "palette",
            "commands": [
                {
                    "command": "codegen: Check examples",
                    "thenSelector": ".monaco-editor [class*='squiggly-']",
                },
                {"command": "codegen: Repair"},
            ],
            "line": 18,
            "column": 9,
            "expect": r"return (?!x \* 2)",  # any body but the wrong one
        },
        {**REAL, "codegenLsp.server.warmup": False},
        timeout_s=420,
    )
    assert "error" not in run.result, run.result
    assert run.errors == [], run.result["toasts"]
    assert "Traceback" not in run.log
    assert run.text.startswith(SOURCE.split("def triple")[0])  # count_vowels untouched
    check = hidden_test(
        run.text, "assert mod.triple(4) == 12\nassert mod.triple(-3) == -9\n", run.shots
    )
    assert check.returncode == 0, check.stderr
