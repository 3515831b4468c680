"""A learned verifier, P(correct | description, code, execution record) (LEVER, Ni et al. 2023).

LEVER's ablations find the execution information matters most, so this verifier is a small
model over execution and likelihood features (how many examples pass, errors, agreement with
the other candidates, the model's confidence, the code's shape): a standardised logistic
regression or a one-hidden-layer MLP, whichever ``models/verifier/train.py`` selects on
MBPP-validation after fitting on samples of the default model for MBPP-train tasks.

It ships as an ONNX graph (``data/verifier.onnx``: ``features`` float32 [batch, F] ->
standardisation -> the model -> ``probability`` float32 [batch]) run by an ONNX Runtime CPU
session with one thread, all candidates of a request in one run, next to a JSON metadata file
(``data/verifier.json``: feature names, threshold, the parameters as a numpy reference, the
graph's sha256, the validation figures it was selected on). A missing, corrupt or mismatching
artifact is logged and the verifier contributes nothing: ranking goes on without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from codegen_lsp.ranking.candidate import Candidate

log = logging.getLogger(__name__)

DEFAULT_ARTIFACT = Path(__file__).resolve().parent.parent / "data" / "verifier.json"
"""The metadata file; the graph is the ``.onnx`` file named in it, next to it."""

INPUT_NAME = "features"
OUTPUT_NAME = "probability"
OPSET = 17
PROBE_TOLERANCE = 1e-4
"""How far the loaded graph may stray from the probe probabilities recorded at training time."""

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


class ArtifactError(ValueError):
    """The verifier artifact cannot be used (says why)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mark_threshold(mark: object) -> float | None:
    """Read the verified mark's threshold from the metadata (None when absent or unreadable)."""
    if not isinstance(mark, dict):
        return None
    try:
        value = float(mark["threshold"])
    except (KeyError, TypeError, ValueError):
        log.warning(
            "verifier metadata: the verified mark's threshold is unreadable; using the "
            "verifier's own"
        )
        return None
    return value if 0.0 <= value <= 1.0 else None


@dataclass
class VerifierModel:
    """P = sigmoid(w . h + b), h = relu(W_h . z + b_h) (or z itself), z = (x - mean) / scale.

    Without hidden weights it is a standardised logistic regression; with them a one-hidden-layer
    MLP. :meth:`load` attaches the ONNX Runtime session of the shipped graph, through which
    :meth:`predict` then runs; :meth:`predict_reference` is the same model in numpy.
    """

    weights: np.ndarray
    """Output layer: [F] for the logistic kind, [H] for the MLP."""
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float
    """Score a verified candidate must clear (>= 95% precision on validation)."""
    mark_threshold: float | None = None
    """The "verified" mark's own score threshold, chosen with the near-agreement gate on
    editor-like data (``models/verifier/verified.py``; metadata ``verified_mark``); None: the
    mark uses :attr:`threshold`."""
    features: tuple[str, ...] = FEATURES
    hidden_weights: np.ndarray | None = None
    """[F, H] for the MLP kind, None for the logistic kind."""
    hidden_bias: np.ndarray | None = None
    session: Any = field(default=None, repr=False, compare=False)
    """The ONNX Runtime session of the loaded graph; None for a model built in code."""

    @property
    def kind(self) -> str:
        """``logistic`` or ``mlp``."""
        return "logistic" if self.hidden_weights is None else "mlp"

    @classmethod
    def load(cls, path: Path = DEFAULT_ARTIFACT) -> VerifierModel | None:
        """Load the metadata and its ONNX graph, or None (logged) when either is unusable."""
        try:
            return cls._load(path)
        except Exception as error:  # a broken artifact costs the verifier, never the ranking
            log.warning(
                "verifier unavailable (%s): ranking without it; re-create the artifact with "
                "models/verifier/train.py",
                error,
            )
            return None

    @classmethod
    def _load(cls, path: Path) -> VerifierModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ArtifactError(f"cannot read {path}: {error}") from error
        features = tuple(data["features"])
        if features != FEATURES:
            raise ArtifactError(f"artifact features {features} differ from {FEATURES}")
        graph = data.get("onnx")
        if not isinstance(graph, dict):
            raise ArtifactError(f"{path} names no ONNX graph")
        graph_path = path.parent / str(graph["file"])
        try:
            blob = graph_path.read_bytes()
        except OSError as error:
            raise ArtifactError(f"cannot read {graph_path}: {error}") from error
        if _sha256(blob) != graph["sha256"]:
            raise ArtifactError(f"{graph_path} does not match the sha256 recorded in {path}")
        hidden = data.get("hidden_weights")
        model = cls(
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            threshold=float(data.get("threshold", 0.5)),
            mark_threshold=_mark_threshold(data.get("verified_mark")),
            features=features,
            hidden_weights=None if hidden is None else np.asarray(hidden, dtype=np.float64),
            hidden_bias=(
                None if hidden is None else np.asarray(data["hidden_bias"], dtype=np.float64)
            ),
            session=_session(blob, len(features)),
        )
        probe = data.get("probe")
        if probe:
            got = model.predict(np.asarray(probe["rows"], dtype=np.float64))
            worst = float(np.max(np.abs(got - np.asarray(probe["probs"]))))
            if worst > PROBE_TOLERANCE:
                raise ArtifactError(
                    f"{graph_path} scores the probe rows {worst:.2g} away from training time"
                )
        return model

    def save(self, path: Path, extra: dict[str, object] | None = None) -> None:
        """Write the ONNX graph and the metadata next to it (needs the ``onnx`` package)."""
        blob = self.to_onnx().SerializeToString()
        graph_path = path.with_suffix(".onnx")
        data: dict[str, object] = {
            "features": list(self.features),
            "kind": self.kind,
            "threshold": self.threshold,
            "onnx": {
                "file": graph_path.name,
                "sha256": _sha256(blob),
                "opset": OPSET,
                "input": f"{INPUT_NAME}: float32 [batch, {len(self.features)}]",
                "output": f"{OUTPUT_NAME}: float32 [batch]",
            },
            # The numpy reference of the graph (tests compare the two), readable in review.
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
        }
        if self.hidden_weights is not None and self.hidden_bias is not None:
            data["hidden_weights"] = self.hidden_weights.tolist()
            data["hidden_bias"] = self.hidden_bias.tolist()
        data.update(extra or {})
        path.parent.mkdir(parents=True, exist_ok=True)
        graph_path.write_bytes(blob)
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    def to_onnx(self) -> Any:
        """Build the ONNX graph: ``features`` -> Sub/Div -> Gemm (+ Relu + Gemm) -> Sigmoid.

        Building it needs the ``onnx`` package (the export extra); running it only onnxruntime.
        """
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        def constant(name: str, values: np.ndarray) -> Any:
            return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)

        n = len(self.features)
        initializers = [constant("mean", self.mean), constant("scale", self.scale)]
        nodes = [
            helper.make_node("Sub", [INPUT_NAME, "mean"], ["centred"]),
            helper.make_node("Div", ["centred", "scale"], ["standardised"]),
        ]
        last = "standardised"
        if self.hidden_weights is not None and self.hidden_bias is not None:
            initializers += [
                constant("hidden_weights", self.hidden_weights),
                constant("hidden_bias", self.hidden_bias),
            ]
            nodes += [
                helper.make_node("Gemm", [last, "hidden_weights", "hidden_bias"], ["hidden_z"]),
                helper.make_node("Relu", ["hidden_z"], ["hidden"]),
            ]
            last = "hidden"
        initializers += [
            constant("weights", self.weights.reshape(-1, 1)),
            constant("bias", np.array([self.bias])),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"),
        ]
        nodes += [
            helper.make_node("Gemm", [last, "weights", "bias"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["probability_column"]),
            helper.make_node("Reshape", ["probability_column", "flat"], [OUTPUT_NAME]),
        ]
        graph = helper.make_graph(
            nodes,
            f"codegen_lsp_verifier_{self.kind}",
            [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", n])],
            [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch"])],
            initializers,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="codegen-lsp models/verifier/train.py",
            ir_version=8,
        )
        onnx.checker.check_model(model, full_check=True)
        return model

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """P(correct) for each feature row: the ONNX graph when loaded, else the numpy reference."""
        if self.session is None:
            return self.predict_reference(rows)
        batch = np.ascontiguousarray(rows, dtype=np.float32).reshape(-1, len(self.features))
        (probs,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: batch})
        return np.asarray(probs, dtype=np.float64)

    def predict_reference(self, rows: np.ndarray) -> np.ndarray:
        """P(correct) for each feature row, computed in numpy (float64)."""
        z = (rows - self.mean) / self.scale
        if self.hidden_weights is not None and self.hidden_bias is not None:
            z = np.maximum(z @ self.hidden_weights + self.hidden_bias, 0.0)
        logit = z @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))


def _session(blob: bytes, n_features: int) -> Any:
    """Open a one-thread CPU session over the graph, checked to take and give what we send."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # the graph is ours: ORT's notices would only be noise
    try:
        session = ort.InferenceSession(blob, options, providers=["CPUExecutionProvider"])
    except Exception as error:
        raise ArtifactError(f"ONNX Runtime cannot load the verifier graph: {error}") from error
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if [i.name for i in inputs] != [INPUT_NAME] or OUTPUT_NAME not in [o.name for o in outputs]:
        raise ArtifactError(f"the verifier graph does not map {INPUT_NAME} to {OUTPUT_NAME}")
    if inputs[0].shape[-1] != n_features:
        raise ArtifactError(
            f"the verifier graph takes {inputs[0].shape}, not {n_features} features"
        )
    return session


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
