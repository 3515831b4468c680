"""``codegen-lsp compare``: two eval reports side by side, paired task by task."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from codegen_lsp.eval.compare import compare, markdown


def _report(top1: dict[str, list[float | None]]) -> dict[str, object]:
    tasks = len(next(iter(top1.values())))
    return {
        "outcomes": [
            {"task_id": f"T/{i}", "top1": {name: values[i] for name, values in top1.items()}}
            for i in range(tasks)
        ]
    }


def test_the_difference_is_paired_over_the_shared_tasks() -> None:
    new = _report({"combined": [1, 1, 1, 0], "reviewer": [None, 1, 1, 1]})
    old = _report({"combined": [1, 0, 0, 0], "reviewer": [1, 1, 1, 1]})
    old["outcomes"].append({"task_id": "T/9", "top1": {"combined": 1}})  # type: ignore[attr-defined]
    differences, tasks = compare(new, old)
    assert tasks == 4
    (combined,) = differences  # a ranker missing on a task in either run is left out
    assert (combined.ranker, combined.new, combined.old) == ("combined", 0.75, 0.25)
    assert combined.difference == pytest.approx(0.5)
    assert 0.0 <= combined.low <= 0.5 <= combined.high <= 1.0
    assert "| combined | 75.0% | 25.0% | +50.0 [" in markdown(differences, tasks)


def test_the_command_prints_the_table_and_refuses_what_is_no_report(tmp_path: Path) -> None:
    new, old, bad = tmp_path / "new.json", tmp_path / "old.json", tmp_path / "bad.json"
    new.write_text(json.dumps(_report({"combined": [1, 1]})))
    old.write_text(json.dumps(_report({"combined": [0, 1]})))
    bad.write_text(json.dumps({"rankers": {}}))
    command = [sys.executable, "-m", "codegen_lsp", "compare"]
    done = subprocess.run([*command, str(new), str(old)], capture_output=True, text=True)
    assert done.returncode == 0 and "| combined | 100.0% | 50.0% | +50.0 [" in done.stdout
    refused = subprocess.run([*command, str(bad), str(old)], capture_output=True, text=True)
    assert refused.returncode == 2 and "not an eval report" in refused.stderr
