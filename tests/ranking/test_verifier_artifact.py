"""The shipped verifier artifact loads and scores exactly like the model that was trained."""

from __future__ import annotations

import json

import numpy as np
from codegen_lsp.ranking import verifier


def test_the_shipped_verifier_scores_like_the_training_time_model() -> None:
    data = json.loads(verifier.DEFAULT_ARTIFACT.read_text(encoding="utf-8"))
    model = verifier.VerifierModel.load()
    assert model is not None
    probe = data["probe"]
    # Reference probabilities were computed by scikit-learn at training time on validation rows.
    probs = model.predict(np.asarray(probe["rows"], dtype=np.float64))
    assert len(probs) >= 5
    np.testing.assert_allclose(probs, probe["probs"], rtol=1e-9, atol=1e-12)
    # Both classes appear among the probes, so the comparison is not of constants.
    assert min(probe["probs"]) < 0.5 < max(probe["probs"])


def test_the_threshold_is_the_one_chosen_on_validation() -> None:
    data = json.loads(verifier.DEFAULT_ARTIFACT.read_text(encoding="utf-8"))
    model = verifier.VerifierModel.load()
    assert model is not None
    kept = data["validation"]["kept"]
    assert model.threshold == kept["threshold"]
    assert kept["precision"] is None or kept["precision"] >= 0.95
    assert data["selected_on"] and all("val" in path for path in data["selected_on"])
