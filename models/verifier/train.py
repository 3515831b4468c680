"""Train the LEVER-style verifier from evaluation rows, select it on validation, pick its threshold.

Usage (rows come from ``codegen-lsp eval ... --dump-rows``; see README.md here):

    .venv/bin/python models/verifier/train.py \
        --train evalruns/mbpp-train-s1/rows.jsonl \
        --validation evalruns/mbpp-val-s1/rows.jsonl \
        --out server/codegen_lsp/data/verifier.json --report models/verifier/selection.json

``--train`` and ``--validation`` each take several files (e.g. more tasks sampled later, or
another seed's run): their rows are joined; a task found in more than one file keeps the rows
of the first (the agreement features were computed over one file's samples of the task, so
rows of two runs cannot be mixed), and a task in both sets is an error.

Candidate verifiers, each fitted on the training rows only and measured on validation rows:

* ``logistic``: standardised logistic regression over the execution and likelihood features
  (``FEATURES``), for every regularisation strength and every feature group left out;
* ``mlp``: scikit-learn's MLPClassifier (one ReLU hidden layer of 16 or 32 units, L2 strength
  ``alpha``, lbfgs, seeded) over the same standardised features, all or without likelihood;
* ``boosted``: gradient-boosted trees over the same features;
* ``text``: LEVER's input as text (description + code + execution record) as hashed word uni-
  and bigrams next to the features, logistic head (a model learned over the text from scratch:
  no pretrained encoder can be downloaded here);
* ``hidden``: optional, a logistic head over the default model's own hidden states of the same
  LEVER text plus the features (``--hidden-train``/``--hidden-validation``, from
  ``hidden_states.py``).

Every candidate is judged the way it is used: top-1 accuracy of the combined LEVER ranking on
validation tasks (examples passed first, then P_LM x P_verifier summed over equal execution),
ties broken by log-loss. The better of the best logistic and the best MLP is kept (the kinds that
ship as an ONNX graph; the others are measured for comparison) and written as the run-time
artifact: ``verifier.onnx`` (the graph ONNX Runtime runs) next to ``verifier.json`` (metadata:
features, threshold, parameters, the graph's sha256, the figures, probe rows with this
script's scikit-learn probabilities, which the run time must reproduce). The threshold is
the lowest combined score at which "every example passes and score >= threshold" is right for
>= 95% of validation tasks' top candidates.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from codegen_lsp.ranking.combine import lever_scores
from codegen_lsp.ranking.verifier import FEATURES, VerifierModel
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.neural_network import MLPClassifier

TARGET_PRECISION = 0.95
GROUPS = {  # slices of FEATURES, in its order
    "execution": FEATURES[0:6],
    "agreement": FEATURES[6:9],
    "likelihood": FEATURES[9:12],
    "shape": FEATURES[12:15],
}
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MLP_HIDDEN = (16, 32)
MLP_ALPHA = (0.01, 0.1, 1.0, 3.0, 10.0, 30.0)
SEED = 0
BOOSTED_TREES = (50, 100, 200)
BOOSTED_DEPTH = (2, 3)
TEXT_DIM = 1 << 14
TOKEN = re.compile(r"[A-Za-z_]+|\d+|[^\sA-Za-z_\d]")


def load(paths: list[str]) -> list[dict[str, Any]]:
    """Join the rows of jsonl files; a task in several files keeps the first file's rows."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            file_rows = [json.loads(line) for line in handle if line.strip()]
        tasks = {r["task_id"] for r in file_rows}
        repeated = sorted(tasks & seen)
        if repeated:
            print(
                f"{path}: {len(repeated)} tasks already read from an earlier file are skipped "
                f"(e.g. {', '.join(repeated[:3])})",
                file=sys.stderr,
            )
        rows += [r for r in file_rows if r["task_id"] not in seen]
        seen |= tasks
    return rows


def describe(path: str, rows: list[dict[str, Any]]) -> str:
    """One line for the card: the file, its tasks' id range, candidates and samples per task."""
    ids = sorted({r["task_id"] for r in rows}, key=lambda t: (len(t), t))
    samples = sorted({int(r.get("samples", 0)) for r in rows})
    return (
        f"{path} ({len(ids)} tasks {ids[0]}..{ids[-1]}, {len(rows)} candidates, "
        f"n={'/'.join(map(str, samples))})"
        if ids
        else f"{path} (empty)"
    )


def by_task(rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Row indices per task, in order."""
    tasks: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        tasks[row["task_id"]].append(index)
    return tasks


def _expected(keys: list[Any], labels: list[int], weights: list[int]) -> float:
    """Expected correctness of the best key, ties broken at random (weighted by duplicates)."""
    best = max(keys)
    tied = [i for i, key in enumerate(keys) if key == best]
    return sum(labels[i] * weights[i] for i in tied) / sum(weights[i] for i in tied)


def ranking_figures(rows: list[dict[str, Any]], probs: np.ndarray | None) -> dict[str, Any]:
    """Top-1 of the combined ranking and of the verifier alone, and the verified threshold."""
    combined, alone, tops = [], [], []
    pass_index = FEATURES.index("pass_fraction")
    for indices in by_task(rows).values():
        task_rows = [rows[i] for i in indices]
        p_ver = [float(probs[i]) if probs is not None else 1.0 for i in indices]
        lm = [r["p_lm"] * r["duplicates"] for r in task_rows]
        weights = [w * v for w, v in zip(lm, p_ver, strict=True)]
        scores = lever_scores(weights, lm, [r["group"] for r in task_rows])
        labels = [int(r["label"]) for r in task_rows]
        dups = [int(r["duplicates"]) for r in task_rows]
        keys = [(r["features"][pass_index], s) for r, s in zip(task_rows, scores, strict=True)]
        combined.append(_expected(keys, labels, dups))
        alone.append(_expected(p_ver, labels, dups))
        top = max(range(len(keys)), key=lambda i: keys[i])
        tops.append((labels[top] == 1, bool(task_rows[top]["passes_all"]), scores[top]))
    threshold, precision, count = choose_threshold(tops)
    return {
        "top1": float(np.mean(combined)),
        "top1_verifier_alone": float(np.mean(alone)),
        "threshold": threshold,
        "precision": precision,
        "verified_tasks": count,
        "tasks_passing_all": sum(passes for _, passes, _ in tops),
        "tasks": len(tops),
    }


def choose_threshold(tops: list[tuple[bool, bool, float]]) -> tuple[float, float | None, int]:
    """Lowest threshold whose verified tops are >= 95% correct: (threshold, precision, count)."""
    for threshold in sorted({score for _, passes, score in tops if passes}):
        verified = [ok for ok, passes, score in tops if passes and score >= threshold]
        if verified and sum(verified) / len(verified) >= TARGET_PRECISION:
            return threshold, sum(verified) / len(verified), len(verified)
    return 1.0, None, 0


def measure(rows: list[dict[str, Any]], probs: np.ndarray | None) -> dict[str, Any]:
    """Ranking figures plus AUC and log-loss of the probabilities."""
    figures = ranking_figures(rows, probs)
    labels = np.array([r["label"] for r in rows])
    if probs is not None and 0 < labels.mean() < 1:
        figures["auc"] = float(roc_auc_score(labels, probs))
        figures["log_loss"] = float(log_loss(labels, np.clip(probs, 1e-6, 1 - 1e-6)))
    return figures


def features(rows: list[dict[str, Any]]) -> np.ndarray:
    """The rows' feature matrix."""
    return np.array([r["features"] for r in rows], dtype=np.float64)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, c: float, keep: list[bool]
) -> tuple[VerifierModel, LogisticRegression, np.ndarray]:
    """Standardised logistic regression on the kept features (the others weigh zero).

    Returns the run-time model, the fitted sklearn model and the mask of kept features.
    """
    mean, scale = standardiser(x)
    mask = np.array(keep)
    fitted = LogisticRegression(C=c, max_iter=5000).fit(((x - mean) / scale)[:, mask], y)
    weights = np.zeros(x.shape[1])
    weights[mask] = fitted.coef_[0]
    model = VerifierModel(weights, float(fitted.intercept_[0]), mean, scale, threshold=1.0)
    return model, fitted, mask


def standardiser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of the training features (constant features keep scale 1)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def fit_mlp(
    x: np.ndarray, y: np.ndarray, hidden: int, alpha: float, keep: list[bool]
) -> tuple[VerifierModel, MLPClassifier, np.ndarray]:
    """One-hidden-layer ReLU MLP on the standardised kept features (the others weigh zero).

    Returns the run-time model, the fitted sklearn model and the mask of kept features.
    """
    mean, scale = standardiser(x)
    mask = np.array(keep)
    fitted = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        activation="relu",
        alpha=alpha,
        solver="lbfgs",
        max_iter=5000,
        random_state=SEED,
    ).fit(((x - mean) / scale)[:, mask], y)
    hidden_weights = np.zeros((x.shape[1], hidden))
    hidden_weights[mask] = fitted.coefs_[0]
    model = VerifierModel(
        weights=fitted.coefs_[1][:, 0],
        bias=float(fitted.intercepts_[1][0]),
        mean=mean,
        scale=scale,
        threshold=1.0,
        hidden_weights=hidden_weights,
        hidden_bias=fitted.intercepts_[0],
    )
    return model, fitted, mask


def sklearn_probs(
    fitted: LogisticRegression | MLPClassifier,
    model: VerifierModel,
    mask: np.ndarray,
    rows: np.ndarray,
) -> np.ndarray:
    """The training-time (scikit-learn) P(correct) of raw feature rows."""
    return fitted.predict_proba(((rows - model.mean) / model.scale)[:, mask])[:, 1]


def lever_text(row: dict[str, Any], descriptions: dict[str, str]) -> str:
    """LEVER's verifier input: the description, the program and its execution record."""
    return "\n".join(
        (descriptions.get(row["task_id"], ""), row.get("code", ""), row.get("record", ""))
    )


def hashed_ngrams(text: str, dim: int = TEXT_DIM) -> np.ndarray:
    """Word uni- and bigram counts hashed into ``dim`` buckets, log-scaled and L2-normalised."""
    tokens = [t.lower() for t in TOKEN.findall(text)]
    grams = tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
    vector = np.zeros(dim)
    for gram in grams:
        vector[zlib.crc32(gram.encode()) % dim] += 1.0
    vector = np.log1p(vector)
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def descriptions_of(spec: str) -> dict[str, str]:
    """Task id -> the prompt the model was given (signature and docstring)."""
    from codegen_lsp.eval.datasets import load_tasks

    return {t.task_id: t.prompt for t in load_tasks(spec)}


class LinearHead:
    """Logistic head over standardised features and an extra representation block."""

    def __init__(self, c: float) -> None:
        self.c = c
        self.mean = np.zeros(0)
        self.scale = np.ones(0)
        self.model = LogisticRegression(C=c, max_iter=5000)

    def _inputs(self, x: np.ndarray, extra: np.ndarray) -> np.ndarray:
        return np.hstack([(x - self.mean) / self.scale, extra])

    def fit(self, x: np.ndarray, extra: np.ndarray, y: np.ndarray) -> LinearHead:
        """Fit on features ``x`` and the representation ``extra``."""
        self.mean = x.mean(axis=0)
        self.scale = x.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        self.model.fit(self._inputs(x, extra), y)
        return self

    def predict(self, x: np.ndarray, extra: np.ndarray) -> np.ndarray:
        """P(correct) per row."""
        return self.model.predict_proba(self._inputs(x, extra))[:, 1]


def standardise_block(train: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale a dense representation on the training rows."""
    mean = train.mean(axis=0)
    scale = train.std(axis=0)
    scale[scale == 0] = 1.0
    return (train - mean) / scale, (valid - mean) / scale


def selection_key(figures: dict[str, Any]) -> tuple[float, float]:
    """The selection rule: validation top-1 of the combined ranking, then the lowest log-loss."""
    return figures["top1"], -figures.get("log_loss", 1e9)


def best_of(results: dict[str, dict[str, Any]], prefix: str) -> str:
    """The configuration whose name starts with ``prefix`` that the selection rule prefers."""
    names = [n for n in results if n.startswith(prefix)]
    return max(names, key=lambda n: selection_key(results[n]))


def main() -> int:
    """Fit every candidate, report them, write the kept verifier."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--train", nargs="+", required=True)
    parser.add_argument("--validation", nargs="+", required=True)
    parser.add_argument("--train-dataset", default="mbpp-train")
    parser.add_argument("--validation-dataset", default="mbpp-validation")
    parser.add_argument("--hidden-train", help=".npy hidden states of the training rows")
    parser.add_argument("--hidden-validation", help=".npy hidden states of the validation rows")
    parser.add_argument("--out", default="server/codegen_lsp/data/verifier.json")
    parser.add_argument("--report", help="write every candidate's validation figures here")
    args = parser.parse_args()
    train, valid = load(args.train), load(args.validation)
    for name, rows in (("--train", train), ("--validation", valid)):
        if not rows or len({r["label"] for r in rows}) < 2:
            parser.error(
                f"the {name} files hold {len(rows)} rows, not both right and wrong "
                "candidates; make rows with `codegen-lsp eval ... --dump-rows`"
            )
    shared = {r["task_id"] for r in train} & {r["task_id"] for r in valid}
    if shared:
        parser.error(f"{len(shared)} tasks are in both sets (e.g. {sorted(shared)[0]})")
    x_train, x_valid = features(train), features(valid)
    y_train = np.array([r["label"] for r in train])
    y_valid = np.array([r["label"] for r in valid])
    print(
        f"train: {len(train)} candidates from {len(by_task(train))} tasks, "
        f"{y_train.mean() * 100:.1f}% correct; validation: {len(valid)} candidates from "
        f"{len(by_task(valid))} tasks, {y_valid.mean() * 100:.1f}% correct",
        file=sys.stderr,
    )
    results: dict[str, dict[str, Any]] = {"none": measure(valid, None)}
    shippable: dict[str, VerifierModel] = {}
    fitted_sklearn: dict[str, LogisticRegression | MLPClassifier] = {}
    fitted_mask: dict[str, np.ndarray] = {}

    for c in C_GRID:
        for left_out in (None, *GROUPS):
            keep = [left_out is None or f not in GROUPS[left_out] for f in FEATURES]
            model, fitted, mask = fit_logistic(x_train, y_train, c, keep)
            name = f"logistic C={c} without={left_out or '-'}"
            fitted_sklearn[name], fitted_mask[name], shippable[name] = fitted, mask, model
            results[name] = measure(valid, sklearn_probs(fitted, model, mask, x_valid))

    for hidden in MLP_HIDDEN:
        for alpha in MLP_ALPHA:
            for left_out in (None, "likelihood"):
                keep = [left_out is None or f not in GROUPS[left_out] for f in FEATURES]
                model, fitted, mask = fit_mlp(x_train, y_train, hidden, alpha, keep)
                name = f"mlp hidden={hidden} alpha={alpha} without={left_out or '-'}"
                fitted_sklearn[name], fitted_mask[name], shippable[name] = fitted, mask, model
                results[name] = measure(valid, sklearn_probs(fitted, model, mask, x_valid))

    for trees in BOOSTED_TREES:
        for depth in BOOSTED_DEPTH:
            boosted = GradientBoostingClassifier(
                n_estimators=trees, max_depth=depth, subsample=0.8, random_state=0
            ).fit(x_train, y_train)
            name = f"boosted trees={trees} depth={depth}"
            results[name] = measure(valid, boosted.predict_proba(x_valid)[:, 1])

    if all("code" in r for r in train + valid):
        train_text = descriptions_of(args.train_dataset)
        valid_text = descriptions_of(args.validation_dataset)
        t_train = np.array([hashed_ngrams(lever_text(r, train_text)) for r in train])
        t_valid = np.array([hashed_ngrams(lever_text(r, valid_text)) for r in valid])
        for c in C_GRID:
            head = LinearHead(c).fit(x_train, t_train, y_train)
            results[f"text C={c}"] = measure(valid, head.predict(x_valid, t_valid))
    else:
        print("rows carry no code/record: the text verifier is skipped", file=sys.stderr)

    if args.hidden_train and args.hidden_validation:
        h_train, h_valid = standardise_block(
            np.load(args.hidden_train), np.load(args.hidden_validation)
        )
        for c in C_GRID:
            head = LinearHead(c).fit(x_train, h_train, y_train)
            results[f"hidden C={c}"] = measure(valid, head.predict(x_valid, h_valid))

    for name, figures in results.items():
        print(
            f"{name:40s} top1 {figures['top1'] * 100:5.1f}  alone "
            f"{figures['top1_verifier_alone'] * 100:5.1f}  auc {figures.get('auc', math.nan):.3f}"
            f"  logloss {figures.get('log_loss', math.nan):.3f}  verified "
            f"{figures['verified_tasks']}/{figures['tasks_passing_all']} "
            f"at {figures['threshold']:.3f}",
            file=sys.stderr,
        )
    kinds = [
        k
        for k in ("logistic", "mlp", "boosted", "text", "hidden")
        if any(n.startswith(k) for n in results)
    ]
    best = {kind: best_of(results, kind) for kind in kinds}
    for kind, name in best.items():
        print(f"best {kind}: {name} top1 {results[name]['top1'] * 100:.1f}", file=sys.stderr)
    # Only the logistic and MLP kinds ship (as an ONNX graph); the same rule picks between them.
    kept = best_of({n: results[n] for n in (best["logistic"], best["mlp"])}, "")
    for name in best.values():
        if selection_key(results[name]) > selection_key(results[kept]):
            print(f"note: {name} beats the kept {kept} but does not ship", file=sys.stderr)
    model = shippable[kept]
    figures = results[kept]
    model.threshold = figures["threshold"]
    # Reference scores of the training-time model on validation rows: the shipped graph must
    # reproduce them at run time (the loader and tests/ranking check it).
    probe = x_valid[:: max(1, len(x_valid) // 12)][:12]
    probe_probs = sklearn_probs(fitted_sklearn[kept], model, fitted_mask[kept], probe)
    model.save(
        Path(args.out),
        extra={
            "configuration": kept,
            "trained_on": [describe(p, load([p])) for p in args.train],
            "selected_on": [describe(p, load([p])) for p in args.validation],
            "train_candidates": len(train),
            "train_tasks": len(by_task(train)),
            "validation_candidates": len(valid),
            "validation_tasks": len(by_task(valid)),
            "validation": {
                "kept": figures,
                "none": results["none"],
                **{f"best {kind}": {"configuration": n, **results[n]} for kind, n in best.items()},
            },
            "probe": {"rows": probe.tolist(), "probs": probe_probs.tolist()},
        },
    )
    onnx.checker.check_model(str(Path(args.out).with_suffix(".onnx")), full_check=True)
    loaded = VerifierModel.load(Path(args.out))
    if loaded is None or loaded.session is None:
        print(f"the written artifact {args.out} does not load", file=sys.stderr)
        return 1
    print(f"kept {kept}: {args.out} and {Path(args.out).with_suffix('.onnx')}", file=sys.stderr)
    if args.report:
        Path(args.report).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({kind: results[name]["top1"] for kind, name in best.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
