"""The shipped verifier artifact, checked against what can be recomputed without its metadata.

The metadata (``verifier.json``) records the graph's hash, its parameters, the training rows'
standardisation, the validation rows it was selected on and the threshold chosen there. Each
is recomputed here from an independent source: the ``.onnx`` file's bytes and initialisers, the
row files shipped in ``models/verifier/data`` and the graph's own scores of the validation rows
(through the product's loader), never read back from the metadata itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from codegen_lsp.ranking import verifier
from onnx import numpy_helper
from scipy.stats import rankdata

ROOT = Path(__file__).resolve().parents[2]
TARGET_PRECISION = 0.95  # "verified" must be right for >= 95% of validation tasks' top candidate
GROUPS = {  # the feature groups a configuration can leave out ("without=..."), as train.py has them
    "execution": verifier.FEATURES[0:6],
    "agreement": verifier.FEATURES[6:9],
    "likelihood": verifier.FEATURES[9:12],
    "shape": verifier.FEATURES[12:15],
}


def metadata() -> dict[str, Any]:
    return json.loads(verifier.DEFAULT_ARTIFACT.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def graph_path() -> Path:
    return verifier.DEFAULT_ARTIFACT.parent / metadata()["onnx"]["file"]


def loaded() -> verifier.VerifierModel:
    model = verifier.VerifierModel.load()
    assert model is not None and model.session is not None  # the run time goes through ONNX
    return model


def row_file(described: str) -> Path:
    """The row file a ``trained_on``/``selected_on`` line names (``path (figures)``)."""
    return ROOT / described.split(" (", 1)[0]


def rows_of(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def joined_rows(described: list[str]) -> list[dict[str, Any]]:
    files = [rows_of(row_file(line)) for line in described]
    # No task in two files: the rows are simply joined (train.py keeps the first file's rows
    # of a task found twice; there is none to drop).
    per_file = [{r["task_id"] for r in rows} for rows in files]
    assert sum(len(tasks) for tasks in per_file) == len(set().union(*per_file))
    return [row for rows in files for row in rows]


def initialisers() -> dict[str, np.ndarray]:
    graph = onnx.load(str(graph_path())).graph
    return {t.name: numpy_helper.to_array(t) for t in graph.initializer}


def test_the_shipped_onnx_graph_scores_like_the_training_time_model() -> None:
    data = metadata()
    model = loaded()
    probe = data["probe"]
    # Reference probabilities were computed by scikit-learn at training time on validation rows.
    probs = model.predict(np.asarray(probe["rows"], dtype=np.float64))
    assert len(probs) == 12
    np.testing.assert_allclose(probs, probe["probs"], rtol=0, atol=1e-5)
    # Both classes appear among the probes, so the comparison is not of constants.
    assert min(probe["probs"]) < 0.5 < max(probe["probs"])
    # The probe rows are real validation rows: every len // 12-th of the files it was selected on.
    features = np.array([r["features"] for r in joined_rows(data["selected_on"])])
    step = max(1, len(features) // 12)
    np.testing.assert_array_equal(np.asarray(probe["rows"]), features[::step][:12])


def test_the_recorded_hash_is_the_graph_files_and_the_graph_holds_the_metadatas_model() -> None:
    data = metadata()
    graph_info = data["onnx"]
    path = graph_path()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == graph_info["sha256"]
    onnx.checker.check_model(str(path), full_check=True)
    graph = onnx.load(str(path))
    assert [o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")] == [
        verifier.OPSET
    ]
    # The configuration's name, as train.py spells it: "mlp hidden=32 alpha=3.0 without=likelihood"
    # or "logistic C=10.0 without=-".
    configuration = data["configuration"]
    kind = configuration.split()[0]
    hidden_match = re.search(r"\bhidden=(\d+)\b", configuration)
    without_match = re.search(r"\bwithout=(\S+)$", configuration)
    assert kind in ("logistic", "mlp") and without_match is not None, configuration
    assert (hidden_match is not None) == (kind == "mlp") and data["kind"] == kind
    ops = [node.op_type for node in graph.graph.node]
    layers = ["Gemm", "Relu", "Gemm"] if kind == "mlp" else ["Gemm"]
    assert ops == ["Sub", "Div", *layers, "Sigmoid", "Reshape"]
    (graph_input,) = graph.graph.input
    assert graph_input.name == verifier.INPUT_NAME
    dims = [d.dim_value or d.dim_param for d in graph_input.type.tensor_type.shape.dim]
    n = len(verifier.FEATURES)
    assert dims == ["batch", n]
    assert [o.name for o in graph.graph.output] == [verifier.OUTPUT_NAME]
    assert data["features"] == list(verifier.FEATURES)

    # The graph's parameters are the metadata's numpy reference (as float32), in the sizes the
    # configuration names: F features (into H hidden units) into one logit.
    found = initialisers()
    width = int(hidden_match.group(1)) if hidden_match else n
    shapes = {"mean": (n,), "scale": (n,), "weights": (width, 1), "bias": (1,)}
    if kind == "mlp":
        shapes |= {"hidden_weights": (n, width), "hidden_bias": (width,)}
    assert {name: found[name].shape for name in shapes} == shapes
    for name in shapes:
        reference = np.asarray(data[name], dtype=np.float32).reshape(found[name].shape)
        np.testing.assert_array_equal(found[name], reference, err_msg=name)

    # The loader's model is the same one: its sizes, and its numpy reference scores as the graph.
    model = loaded()
    assert model.kind == kind and model.features == verifier.FEATURES
    assert model.weights.shape == (width,) and model.mean.shape == model.scale.shape == (n,)
    if kind == "mlp":
        assert model.hidden_weights is not None and model.hidden_weights.shape == (n, width)
    assert model.session.get_inputs()[0].shape == ["batch", n]
    rows = np.random.default_rng(5).normal(0, 1, (200, n))
    np.testing.assert_allclose(model.predict(rows), model.predict_reference(rows), atol=1e-5)

    # The feature group the configuration leaves out reaches nothing in the graph; every other
    # feature does.
    left_out = [] if without_match.group(1) == "-" else list(GROUPS[without_match.group(1)])
    first_layer = found["hidden_weights"] if kind == "mlp" else found["weights"]
    reach = np.abs(first_layer).sum(axis=1)
    assert [verifier.FEATURES[i] for i in range(n) if reach[i] == 0.0] == left_out


def test_the_standardisation_is_the_training_rows() -> None:
    data = metadata()
    train = joined_rows(data["trained_on"])
    x = np.array([r["features"] for r in train], dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0  # a constant feature keeps scale 1
    model = loaded()
    np.testing.assert_allclose(model.mean, mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.scale, scale, rtol=1e-12, atol=1e-12)
    graph = initialisers()
    np.testing.assert_array_equal(graph["mean"], mean.astype(np.float32))
    np.testing.assert_array_equal(graph["scale"], scale.astype(np.float32))
    assert data["train_candidates"] == len(train)
    assert data["train_tasks"] == len({r["task_id"] for r in train})


def describe(path: str, rows: list[dict[str, Any]]) -> str:
    ids = sorted({r["task_id"] for r in rows}, key=lambda t: (len(t), t))
    samples = "/".join(str(s) for s in sorted({int(r["samples"]) for r in rows}))
    return f"{path} ({len(ids)} tasks {ids[0]}..{ids[-1]}, {len(rows)} candidates, n={samples})"


def test_the_row_files_are_described_as_they_are() -> None:
    data = metadata()
    for key in ("trained_on", "selected_on"):
        for line in data[key]:
            path = line.split(" (", 1)[0]
            assert path.startswith("models/verifier/data/")
            assert line == describe(path, rows_of(ROOT / path)), line
    assert ["train" in line for line in data["trained_on"]] == [True, True]
    assert ["validation" in line for line in data["selected_on"]] == [True, True]


def validation_figures(rows: list[dict[str, Any]], probs: np.ndarray) -> dict[str, Any]:
    """The kept verifier's figures on validation, from its own scores of the rows.

    LEVER's score per candidate (P_LM x P_verifier x duplicates, summed over the candidates
    that behave alike, over the task's total P_LM); the top candidate is the one passing most
    examples, then scoring highest. Top-1 is its expected correctness (ties at random, weighted
    by duplicates); the threshold is the lowest top score whose "passes all and score >=
    threshold" tops are >= 95% correct.
    """
    pass_index = verifier.FEATURES.index("pass_fraction")
    tasks: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        tasks[row["task_id"]].append(index)
    top1, tops = [], []
    for indices in tasks.values():
        lm = [rows[i]["p_lm"] * rows[i]["duplicates"] for i in indices]
        group_weight: dict[str, float] = defaultdict(float)
        for i, weight in zip(indices, lm, strict=True):
            group_weight[rows[i]["group"]] += weight * float(probs[i])
        scores = [min(group_weight[rows[i]["group"]] / sum(lm), 1.0) for i in indices]
        keys = [(rows[i]["features"][pass_index], s) for i, s in zip(indices, scores, strict=True)]
        best = max(keys)
        tied = [j for j, key in enumerate(keys) if key == best]
        weights = [rows[indices[j]]["duplicates"] for j in tied]
        labels = [rows[indices[j]]["label"] for j in tied]
        top1.append(sum(w * y for w, y in zip(weights, labels, strict=True)) / sum(weights))
        top = tied[0]
        row = rows[indices[top]]
        tops.append((row["label"] == 1, bool(row["passes_all"]), scores[top]))
    passing = sorted(score for _, passes, score in tops if passes)
    threshold, precision, count = 1.0, None, 0
    for candidate in passing:
        verified = [ok for ok, passes, score in tops if passes and score >= candidate]
        if sum(verified) / len(verified) >= TARGET_PRECISION:
            threshold, precision, count = candidate, sum(verified) / len(verified), len(verified)
            break
    labels = np.array([r["label"] for r in rows])
    ranks = rankdata(probs)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    auc = (ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    clipped = np.clip(probs, 1e-6, 1 - 1e-6)
    loss = -np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped))
    return {
        "top1": float(np.mean(top1)),
        "threshold": threshold,
        "precision": precision,
        "verified_tasks": count,
        "tasks_passing_all": sum(passes for _, passes, _ in tops),
        "tasks": len(tops),
        "auc": float(auc),
        "log_loss": float(loss),
    }


def test_the_threshold_and_figures_are_the_graphs_own_on_the_validation_rows() -> None:
    data = metadata()
    model = loaded()
    valid = joined_rows(data["selected_on"])
    assert data["validation_candidates"] == len(valid)
    assert data["validation_tasks"] == len({r["task_id"] for r in valid})
    probs = model.predict(np.array([r["features"] for r in valid], dtype=np.float64))
    figures = validation_figures(valid, probs)
    # The graph scores in float32, scikit-learn scored in float64: the figures agree to 1e-5.
    assert model.threshold == pytest.approx(figures["threshold"], abs=1e-5)
    assert figures["threshold"] < 1.0 and figures["verified_tasks"] > 0  # a real threshold
    kept = data["validation"]["kept"]
    assert kept["threshold"] == pytest.approx(figures["threshold"], abs=1e-5)
    assert kept["precision"] == figures["precision"] and kept["precision"] >= TARGET_PRECISION
    for name in ("verified_tasks", "tasks_passing_all", "tasks"):
        assert kept[name] == figures[name], name
    for name in ("top1", "auc", "log_loss"):
        assert kept[name] == pytest.approx(figures[name], abs=1e-5), name
    # The kept configuration's figures are those recorded as the best of its kind.
    best = data["validation"][f"best {data['kind']}"]
    assert best["configuration"] == data["configuration"]
    assert {k: v for k, v in best.items() if k != "configuration"} == kept
    # The kept kind is the better of the shipped kinds by the selection rule.
    rivals = [data["validation"][f"best {kind}"] for kind in ("logistic", "mlp")]
    winner = max(rivals, key=lambda f: (f["top1"], -f["log_loss"]))
    assert winner["configuration"] == data["configuration"]


def test_the_verified_mark_is_the_one_its_rows_choose_and_the_settings_agree() -> None:
    """The mark's thresholds (``verified_mark``) are recomputed from the committed rows."""
    import sys

    from codegen_lsp.settings import RankingSettings

    sys.path.insert(0, str(ROOT / "models" / "verifier"))
    try:
        import verified  # models/verifier/verified.py: the script that chose them
    finally:
        sys.path.pop(0)
    mark = metadata()["verified_mark"]
    paths = [ROOT / "models" / "verifier" / "mark" / name for name in mark["chosen_on"]]
    found = [top for path in paths for top in verified.tops(verified.read_rows(path))]
    chosen = (pytest.approx(mark["threshold"]), mark["near_agreement"], mark["near_samples"])
    assert verified.best(found) == chosen
    right = verified.marked(found, mark["threshold"], mark["near_agreement"], mark["near_samples"])
    assert sum(right) / len(right) >= TARGET_PRECISION
    assert RankingSettings().verified_near_agreement == mark["near_agreement"]
    assert RankingSettings().verified_near_samples == mark["near_samples"]
    assert loaded().mark_threshold == pytest.approx(mark["threshold"])
    # The gate is what lets the threshold fall this low: without it, the same rows need more.
    assert verified.choose(found, 0.0, 1) > mark["threshold"]
