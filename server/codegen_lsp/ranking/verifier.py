"""A learned verifier, P(correct | description, code, execution record) (LEVER, Ni et al. 2023).

LEVER's ablations find the execution information matters most, so this verifier is a logistic
model over execution and likelihood features (how many examples pass, errors, agreement with
the other candidates, the model's confidence, the code's shape). It is trained by
``models/verifier/train.py`` on samples of the default model for MBPP-train tasks, selected on
MBPP-validation, and ships as a few coefficients in JSON that run in numpy in microseconds.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen_lsp.ranking.candidate import Candidate

log = logging.getLogger(__name__)

DEFAULT_ARTIFACT = Path(__file__).resolve().parent.parent / "data" / "verifier.json"

FEATURES = (
    "has_examples",
    "pass_fraction",
    "passes_all",
    "errored",
    "exception_fraction",
    "none_fraction",
    "agreement_share",
    "largest_group",
    "duplicate_share",
    "mean_logprob",
    "min_logprob",
    "logprob_known",
    "log_tokens",
    "body_lines",
    "returns",
)


@dataclass
class VerifierModel:
    """Standardised logistic regression: P = sigmoid(w . (x - mean) / scale + b)."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float
    """Score a verified candidate must clear (>= 95% precision on validation)."""
    features: tuple[str, ...] = FEATURES

    @classmethod
    def load(cls, path: Path = DEFAULT_ARTIFACT) -> VerifierModel | None:
        """Load the artifact, or None (logged) when it is missing or unreadable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            features = tuple(data["features"])
            if features != FEATURES:
                raise ValueError(f"artifact features {features} differ from {FEATURES}")
            return cls(
                weights=np.asarray(data["weights"], dtype=np.float64),
                bias=float(data["bias"]),
                mean=np.asarray(data["mean"], dtype=np.float64),
                scale=np.asarray(data["scale"], dtype=np.float64),
                threshold=float(data.get("threshold", 0.5)),
                features=features,
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("verifier unavailable (%s): ranking without it", error)
            return None

    def save(self, path: Path, extra: dict[str, object] | None = None) -> None:
        """Write the artifact as JSON."""
        data: dict[str, object] = {
            "features": list(self.features),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "threshold": self.threshold,
        }
        data.update(extra or {})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """P(correct) for each feature row."""
        z = ((rows - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def feature_rows(candidates: list[Candidate], group_sizes: list[int]) -> np.ndarray:
    """One feature row per candidate (see :data:`FEATURES`); agreement needs the whole set."""
    total = sum(c.duplicates for c in candidates) or 1
    largest = max(group_sizes, default=0)
    rows = []
    for candidate, size in zip(candidates, group_sizes, strict=True):
        results = candidate.record.splitlines()
        n = max(candidate.examples_total, 1)
        exceptions = sum("ERROR" in line or "exception" in line.lower() for line in results)
        nones = sum("(NoneType)" in line for line in results)
        mean = candidate.mean_logprob
        body = [line for line in candidate.code.splitlines() if line.strip()]
        rows.append(
            [
                float(candidate.examples_total > 0),
                candidate.examples_passed / n,
                float(candidate.passes_all),
                float(candidate.errored),
                min(exceptions / n, 1.0),
                min(nones / n, 1.0),
                (size / total) if not candidate.errored else 0.0,
                float(size == largest and not candidate.errored),
                candidate.duplicates / total,
                mean if mean is not None else 0.0,
                min(candidate.logprobs) if candidate.logprobs else 0.0,
                float(mean is not None),
                math.log1p(len(candidate.logprobs)),
                math.log1p(len(body)),
                float(bool(re.search(r"\breturn\b|\byield\b", candidate.code))),
            ]
        )
    return np.asarray(rows, dtype=np.float64).reshape(len(candidates), len(FEATURES))


def verify(
    candidates: list[Candidate], group_sizes: list[int], model: VerifierModel | None
) -> list[float | None]:
    """P(correct) per candidate, or Nones when there is no model or it fails."""
    if model is None or not candidates:
        return [None] * len(candidates)
    try:
        probs = model.predict(feature_rows(candidates, group_sizes))
    except Exception:  # one failing signal contributes nothing; it never sinks the ranking
        log.warning("verifier failed; ranking without it", exc_info=True)
        return [None] * len(candidates)
    return [float(p) for p in probs]
