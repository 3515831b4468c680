"""models/verifier/crossfit.py: MBPP-train scored by verifiers that never saw the task.

The mark's thresholds may be chosen on MBPP-train rows only if each row's score comes from a
verifier fitted without its task, and only if the offline rescoring ranks as the run time does.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "models" / "verifier"


def _module(name: str) -> ModuleType:
    sys.path.insert(0, str(VERIFIER))
    spec = importlib.util.spec_from_file_location(f"verifier_{name}", VERIFIER / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def crossfit() -> ModuleType:
    return _module("crossfit")


def _rows(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_rescoring_with_the_shipped_verifier_gives_the_runs_own_marks(
    crossfit: ModuleType,
) -> None:
    # The committed choice rows were dumped by `eval` with the shipped verifier: scoring them
    # again offline must mark the same tops at the same scores, or rows rescored out of fold
    # would not speak for the run time.
    verified = _module("verified")
    from codegen_lsp.ranking.verifier import VerifierModel

    shipped = VerifierModel.load()
    assert shipped is not None
    mark = json.loads((ROOT / "server/codegen_lsp/data/verifier.json").read_text())["verified_mark"]

    def marked(tops: list[tuple[bool, bool, float, float, int]]) -> list[tuple[int, bool]]:
        return [
            (task, right)
            for task, (right, markable, score, share, agreeing) in enumerate(tops)
            if markable
            and score >= mark["threshold"]
            and share >= mark["near_agreement"]
            and agreeing >= mark["near_samples"]
        ]

    for path in sorted((VERIFIER / "mark").glob("mbpp-validation-*-rows.jsonl")):
        rows = _rows(path)
        x = crossfit.features(rows).astype(np.float32)
        again = crossfit.rescored(rows, shipped.predict(x))
        before, after = verified.tops(rows), verified.tops(again)
        assert len(before) == len(after) == 90
        assert marked(after) == marked(before) != [], path.name
        same_score = sum(1 for a, b in zip(before, after, strict=True) if abs(a[2] - b[2]) < 1e-3)
        assert same_score == 90, path.name


def test_a_tasks_score_does_not_depend_on_its_own_labels(crossfit: ModuleType) -> None:
    fit = _rows(VERIFIER / "data" / "mbpp-train-601-700-rows.jsonl")
    probs = crossfit.out_of_fold(fit, fit)
    task = fit[0]["task_id"]
    fold = crossfit.fold_of(task)
    own = [i for i, row in enumerate(fit) if row["task_id"] == task]
    flipped = [
        {**row, "label": 1 - row["label"]} if crossfit.fold_of(row["task_id"]) == fold else row
        for row in fit
    ]
    again = crossfit.out_of_fold(flipped, fit)
    assert np.allclose(probs[own], again[own])
    # The other folds' labels do move it: the fit is not a constant.
    others = [
        {**row, "label": 1 - row["label"]} if crossfit.fold_of(row["task_id"]) != fold else row
        for row in fit
    ]
    assert not np.allclose(probs[own], crossfit.out_of_fold(others, fit)[own], atol=0.05)


def test_folds_are_fixed_by_the_task_and_about_even(crossfit: ModuleType) -> None:
    ids = [f"MBPP/{n}" for n in range(601, 975)]
    counts = np.bincount([crossfit.fold_of(task) for task in ids], minlength=crossfit.FOLDS)
    assert counts.min() > 0.7 * len(ids) / crossfit.FOLDS
    assert [crossfit.fold_of(task) for task in ids] == [crossfit.fold_of(task) for task in ids]


def test_a_top_that_breaks_on_an_empty_argument_is_never_marked_offline(tmp_path: Path) -> None:
    # The run time never marks a top that raises on an empty list near the examples (HumanEval/9
    # read `numbers[0]` first); the rows `eval --dump-rows` writes say so, and verified.py, which
    # chooses and reports the mark from rows, must not mark it either.
    from codegen_lsp.eval.datasets import task_from_row
    from codegen_lsp.eval.harness import Harness, load_samples
    from codegen_lsp.pipeline import Pipeline
    from codegen_lsp.settings import Settings

    prompt = (
        "def running_max(numbers: list[int]) -> list[int]:\n"
        '    """Return the largest number seen so far at each place.\n\n'
        '    >>> running_max([1, 3, 2])\n    [1, 3, 3]\n    """\n'
    )
    reads_first = (
        "    best = numbers[0]\n    out = []\n    for n in numbers:\n"
        "        best = max(best, n)\n        out.append(best)\n    return out\n"
    )
    task = task_from_row(
        {
            "task_id": "T/0",
            "prompt": prompt,
            "entry_point": "running_max",
            "test": "def check(candidate):\n    assert candidate([]) == []\n",
        }
    )
    samples = tmp_path / "samples.jsonl"
    # Two bodies (the calls near the examples run where passing bodies could part ways).
    also_first = reads_first.replace("out = []", "out: list[int] = []")
    bodies = [reads_first, reads_first, also_first]
    samples.write_text(json.dumps({"task_id": "T/0", "samples": bodies}) + "\n")
    pipeline = Pipeline(Settings())
    try:
        harness = Harness(pipeline, 3, load_samples(samples, [task]), dump_rows=True)
        (outcome,) = harness.run([task])
    finally:
        pipeline.close()
    (top,) = [row for row in harness.rows if row["top"]]
    assert top["passes_all"] and top["breaks_near"] and not outcome.verified
    verified = _module("verified")
    ((right, markable, *_),) = verified.tops(harness.rows)
    assert not markable and not right
    assert verified.tops([{**row, "breaks_near": False} for row in harness.rows])[0][1]


def test_offline_ties_are_broken_for_the_body_raising_what_the_docstring_says(
    crossfit: ModuleType,
) -> None:
    # Two bodies of one behaviour group on the examples (one LEVER score); near them the
    # likelier returns a total for a mix of currencies, the other refuses it as documented.
    # The run's ranking puts the refusing one first (combine.rank); offline rescoring must too.
    width = len(crossfit.FEATURES)
    mean = crossfit.FEATURES.index("mean_logprob")
    passing = crossfit.FEATURES.index("pass_fraction")

    def row(near: list[str], logprob: float, raises: bool) -> dict[str, Any]:
        features = [0.0] * width
        features[passing], features[mean] = 1.0, logprob
        return {
            "task_id": "T/1",
            "features": features,
            "p_lm": 0.8,
            "duplicates": 1,
            "group": "g",
            "passes_all": True,
            "near": near,
            "raises_as_documented": raises,
        }

    rows = [row(["=1", "=3"], -0.1, False), row(["=1", "!ValueError"], -0.5, True)]
    again = crossfit.rescored(rows, np.array([0.5, 0.5]))
    assert [r["top"] for r in again] == [False, True]
    unsaid = [{**r, "raises_as_documented": False} for r in rows]
    assert [r["top"] for r in crossfit.rescored(unsaid, np.array([0.5, 0.5]))] == [True, False]
