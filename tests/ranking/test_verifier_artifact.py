"""The shipped verifier artifact loads through ONNX Runtime and scores like the trained model."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnx
from codegen_lsp.ranking import verifier


def metadata() -> dict[str, object]:
    return json.loads(verifier.DEFAULT_ARTIFACT.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_shipped_onnx_graph_scores_like_the_training_time_model() -> None:
    data = metadata()
    model = verifier.VerifierModel.load()
    assert model is not None and model.session is not None  # the run time goes through ONNX
    probe = data["probe"]
    assert isinstance(probe, dict)
    # Reference probabilities were computed by scikit-learn at training time on validation rows.
    probs = model.predict(np.asarray(probe["rows"], dtype=np.float64))
    assert len(probs) >= 5
    np.testing.assert_allclose(probs, probe["probs"], rtol=0, atol=1e-5)
    # Both classes appear among the probes, so the comparison is not of constants.
    assert min(probe["probs"]) < 0.5 < max(probe["probs"])


def test_the_shipped_graph_is_valid_onnx_and_matches_its_metadata() -> None:
    data = metadata()
    graph_info = data["onnx"]
    assert isinstance(graph_info, dict)
    path = verifier.DEFAULT_ARTIFACT.parent / graph_info["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == graph_info["sha256"]
    onnx.checker.check_model(str(path), full_check=True)
    graph = onnx.load(str(path))
    assert [o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")] == [
        graph_info["opset"]
    ]
    ops = [node.op_type for node in graph.graph.node]
    assert ops[:2] == ["Sub", "Div"] and "Sigmoid" in ops
    assert ("Relu" in ops) == (data["kind"] == "mlp")
    assert [i.name for i in graph.graph.input] == [verifier.INPUT_NAME]
    assert [o.name for o in graph.graph.output] == [verifier.OUTPUT_NAME]
    assert data["features"] == list(verifier.FEATURES)


def test_the_threshold_is_the_one_chosen_on_validation() -> None:
    data = metadata()
    model = verifier.VerifierModel.load()
    assert model is not None
    validation = data["validation"]
    assert isinstance(validation, dict)
    kept = validation["kept"]
    assert model.threshold == kept["threshold"]
    assert kept["precision"] is None or kept["precision"] >= 0.95
    selected_on = data["selected_on"]
    assert isinstance(selected_on, list) and selected_on
    assert all("val" in path for path in selected_on)
    # The kept kind is the better of the shipped kinds by the selection rule.
    rivals = [validation[f"best {kind}"] for kind in ("logistic", "mlp")]
    best = max(rivals, key=lambda f: (f["top1"], -f["log_loss"]))
    assert data["configuration"] == best["configuration"] and model.kind == data["kind"]
