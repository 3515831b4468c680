"""models/verifier/train.py joins several row files and writes an artifact the run time loads."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from codegen_lsp.ranking import verifier

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "models" / "verifier" / "data"


def train_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "verifier_train", ROOT / "models/verifier/train.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows_of(name: str) -> list[dict[str, Any]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def write(path: Path, rows: list[dict[str, Any]]) -> str:
    # Without code and record the text verifier (which needs the dataset's prompts) is skipped.
    slim = [{k: v for k, v in r.items() if k not in ("code", "record")} for r in rows]
    path.write_text("".join(json.dumps(r) + "\n" for r in slim), encoding="utf-8")
    return str(path)


def test_rows_of_several_files_are_joined_and_a_repeated_task_keeps_its_first_rows(
    tmp_path: Path,
) -> None:
    train = train_module()
    rows = rows_of("mbpp-train-601-700-rows.jsonl")
    tasks = list(dict.fromkeys(r["task_id"] for r in rows))
    first = [r for r in rows if r["task_id"] in tasks[:10]]
    second = [r for r in rows if r["task_id"] in tasks[10:20]]
    # The second file also holds another run of task 0 (one row, different label): not mixed in.
    rerun = {**next(r for r in rows if r["task_id"] == tasks[0]), "label": 7}
    a = write(tmp_path / "a.jsonl", first)
    b = write(tmp_path / "b.jsonl", [rerun, *second])
    joined = train.load([a, b])
    assert [r["task_id"] for r in joined] == [r["task_id"] for r in first + second]
    assert all(r["label"] != 7 for r in joined)
    assert len(train.by_task(joined)) == 20
    assert "MBPP/601..MBPP/610" in train.describe(a, first)


def test_training_writes_an_onnx_artifact_the_run_time_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = train_module()
    # One configuration per kind keeps the test short; the recipe's grids are the card's.
    for grid, value in [
        ("C_GRID", (1.0,)),
        ("MLP_HIDDEN", (16,)),
        ("MLP_ALPHA", (1.0,)),
        ("BOOSTED_TREES", (50,)),
        ("BOOSTED_DEPTH", (2,)),
    ]:
        monkeypatch.setattr(train, grid, value)
    rows = rows_of("mbpp-train-601-700-rows.jsonl")
    tasks = list(dict.fromkeys(r["task_id"] for r in rows))
    a = write(tmp_path / "a.jsonl", [r for r in rows if r["task_id"] in tasks[:50]])
    b = write(tmp_path / "b.jsonl", [r for r in rows if r["task_id"] in tasks[50:]])
    valid = write(tmp_path / "v.jsonl", rows_of("mbpp-validation-511-570-rows.jsonl"))
    out, report = tmp_path / "verifier.json", tmp_path / "selection.json"
    argv = ["train.py", "--train", a, b, "--validation", valid, "--out", str(out)]
    monkeypatch.setattr(sys, "argv", [*argv, "--report", str(report)])
    assert train.main() == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["train_tasks"] == 100 and data["train_candidates"] == len(rows)
    assert len(data["trained_on"]) == 2
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert any(name.startswith("mlp hidden=") for name in figures)
    assert data["configuration"] in figures and data["kind"] in ("logistic", "mlp")
    model = verifier.VerifierModel.load(out)
    assert model is not None and model.session is not None
    probe = data["probe"]
    np.testing.assert_allclose(model.predict(np.asarray(probe["rows"])), probe["probs"], atol=1e-5)
    # Training and validation may not share a task.
    monkeypatch.setattr(
        sys, "argv", ["train.py", "--train", a, "--validation", a, "--out", str(out)]
    )
    with pytest.raises(SystemExit):
        train.main()
