"""HumanEval+ (EvalPlus) rows in the project's own harness: stricter hidden tests, same prompts."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
from codegen_lsp.eval.datasets import find_data_file, load_tasks
from codegen_lsp.eval.harness import hidden_example
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.settings import SandboxSettings


@pytest.fixture(scope="module")
def judge() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(timeout_s=60.0, memory_mb=2048)) as box:
        yield box


def _rows() -> dict[str, dict[str, object]]:
    with gzip.open(find_data_file("HumanEvalPlus.jsonl.gz"), "rt", encoding="utf-8") as handle:
        return {row["task_id"]: row for row in map(json.loads, handle)}


def _passes(judge: Sandbox, task_id: str, body: str) -> bool:
    (task,) = [t for t in load_tasks("humaneval+") if t.task_id == task_id]
    run = judge.run(
        task.prompt + body + "\n\n" + task.test, task.entry_point, [hidden_example(task)]
    )
    return run.error is None and run.passed == run.total == 1


def test_humaneval_plus_keeps_the_prompts_and_judges_every_input() -> None:
    tasks = {t.task_id: t for t in load_tasks("humaneval+")}
    base = {t.task_id: t for t in load_tasks("humaneval")}
    assert len(tasks) == 164 and tasks.keys() == base.keys()
    rows = _rows()
    first = tasks["HumanEval/0"]
    inputs = len(rows["HumanEval/0"]["base_input"]) + len(rows["HumanEval/0"]["plus_input"])  # type: ignore[arg-type]
    assert first.entry_point == "has_close_elements" and inputs > 100
    assert "_PLUS_ATOL = 0.0\n" in first.test and "def check(candidate):" in first.test


def test_the_canonical_solution_passes_and_a_body_right_only_on_the_base_tests_fails(
    judge: Sandbox,
) -> None:
    canonical = str(_rows()["HumanEval/0"]["canonical_solution"])
    assert _passes(judge, "HumanEval/0", canonical)
    # Right on HumanEval's own tests (lists of at most 6 numbers), wrong on longer lists.
    short_sighted = "    if len(numbers) > 6:\n        return False\n" + canonical
    humaneval = {t.task_id: t for t in load_tasks("humaneval")}["HumanEval/0"]
    base_run = judge.run(
        humaneval.prompt + short_sighted + "\n\n" + humaneval.test,
        humaneval.entry_point,
        [hidden_example(humaneval)],
    )
    assert base_run.passed == 1
    assert not _passes(judge, "HumanEval/0", short_sighted)


def test_floats_within_atol_and_any_root_of_find_zero(judge: Sandbox) -> None:
    rows = _rows()
    # truncate_number (atol 1e-6): a body off by 1e-9 passes, one off by 1e-3 does not.
    assert _passes(judge, "HumanEval/2", "    return number % 1.0 + 1e-9\n")
    assert not _passes(judge, "HumanEval/2", "    return number % 1.0 + 1e-3\n")
    # find_zero: judged by the polynomial at the returned point, not by the reference's root.
    assert _passes(judge, "HumanEval/32", str(rows["HumanEval/32"]["canonical_solution"]))
    assert not _passes(judge, "HumanEval/32", "    return 0.0\n")
