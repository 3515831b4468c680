"""``codegen-lsp complete``: target parsing, clear errors, and end to end on the real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from codegen_lsp.cli import main
from codegen_lsp.commands.complete import parse_target, why_not_passing
from codegen_lsp.sandbox.types import CandidateRun, Example, ExampleResult

TASK = '''def second_largest(numbers: list[int]) -> int:
    """Return the second largest distinct value in ``numbers``.

    >>> second_largest([1, 5, 3, 5])
    3
    >>> second_largest([10, 20])
    10
    """
'''
HIDDEN = [(([4, 4, 9, 1, 7],), 7), (([-1, -5, -3],), -3), (([2, 8, 8, 2, 6],), 6)]


def test_parse_target() -> None:
    assert parse_target("a/b.py:12") == (Path("a/b.py"), 12)
    assert parse_target("a/b.py") == (Path("a/b.py"), None)
    assert parse_target("C:/x/b.py") == (Path("C:/x/b.py"), None)
    with pytest.raises(ValueError, match="numbered from 1"):
        parse_target("a.py:0")


def test_missing_file_and_no_target_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["complete", str(tmp_path / "nope.py")]) == 1
    assert "No such file" in capsys.readouterr().err
    done = tmp_path / "done.py"
    done.write_text("def f():\n    return 1\n")
    assert main(["complete", str(done)]) == 1
    assert "no function with a docstring and no body" in capsys.readouterr().err
    assert main(["complete", f"{done}:99"]) == 1
    assert "line 99 is past the end of the file" in capsys.readouterr().err
    assert main(["complete", f"{done}:2"]) == 1  # inside a function that already has a body
    assert "has a body" in capsys.readouterr().err
    assert main(["explain", str(done)]) == 1
    assert "needs PATH:LINE" in capsys.readouterr().err


@pytest.mark.slow
def test_complete_on_the_real_model_puts_a_correct_body_on_top(tmp_path: Path) -> None:
    source = tmp_path / "task.py"
    source.write_text(TASK)
    env = dict(os.environ)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen_lsp",
            "complete",
            str(source),
            "--n",
            "6",
            "--json",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1500,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows and rows[0]["rank"] == 1
    for key in (
        "code",
        "mean_logprob",
        "examples_passed",
        "examples_total",
        "verifier",
        "score",
        "verified",
    ):
        assert key in rows[0]
    top = rows[0]
    assert top["examples_passed"] == top["examples_total"] == 2
    namespace: dict[str, object] = {}
    exec(TASK + top["code"] + "\n", namespace)  # the hidden test: inputs the model never saw
    function = namespace["second_largest"]
    for args, expected in HIDDEN:
        assert function(*args) == expected  # type: ignore[operator]


def test_the_table_says_why_a_candidate_failed() -> None:
    example = Example(call="f(2)", expected="4", line=1)
    failing = CandidateRun(
        results=[
            ExampleResult(example=example, status="passed"),
            ExampleResult(example=example, status="failed", actual_repr="5"),
        ]
    )
    assert why_not_passing(failing) == "`f(2)` returned 5, expected 4"
    broken = CandidateRun(error="ModuleNotFoundError: No module named 'models'")
    assert why_not_passing(broken) == "ModuleNotFoundError: No module named 'models'"
    assert why_not_passing(CandidateRun(error="x" * 200), width=10) == "x" * 9 + "…"
    assert why_not_passing(CandidateRun(results=[ExampleResult(example, "passed")])) == ""
