"""Train the LEVER-style verifier from evaluation rows and pick its "verified" threshold.

Usage (rows come from ``codegen-lsp eval ... --dump-rows``; see README.md here):

    .venv/bin/python models/verifier/train.py \
        --train models/verifier/data/mbpp-train-rows.jsonl \
        --validation models/verifier/data/mbpp-validation-rows.jsonl \
        --out server/codegen_lsp/data/verifier.json

Fits a logistic regression and, for comparison, a gradient-boosted model on the training rows,
reports how each ranks validation candidates (top-1 accuracy of the combined LEVER score, AUC),
and exports the logistic model's coefficients as JSON (numpy runs them; no sklearn at run
time). The threshold is the lowest combined score at which "every example passes and score >=
threshold" is right for >= 95% of validation tasks' top candidates.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from codegen_lsp.ranking.combine import lever_scores
from codegen_lsp.ranking.verifier import FEATURES, VerifierModel
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

TARGET_PRECISION = 0.95


def load(paths: list[str]) -> list[dict]:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    return rows


def by_task(rows: list[dict]) -> dict[str, list[dict]]:
    tasks: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        tasks[row["task_id"]].append(row)
    return tasks


def top_choices(rows: list[dict], probs: np.ndarray | None) -> list[tuple[bool, bool, float]]:
    """Per task: (top is correct, top passes all examples, top's combined score)."""
    out = []
    index = {id(r): i for i, r in enumerate(rows)}
    for task_rows in by_task(rows).values():
        p_ver = [float(probs[index[id(r)]]) if probs is not None else 1.0 for r in task_rows]
        lm = [r["p_lm"] * r["duplicates"] for r in task_rows]
        weights = [w * v for w, v in zip(lm, p_ver, strict=True)]
        scores = lever_scores(weights, lm, [r["group"] for r in task_rows])
        pass_fraction = [r["features"][FEATURES.index("pass_fraction")] for r in task_rows]
        keys = list(zip(pass_fraction, scores, strict=True))
        best = max(keys)
        tied = [i for i, k in enumerate(keys) if k == best]
        correct = sum(task_rows[i]["label"] * task_rows[i]["duplicates"] for i in tied) / sum(
            task_rows[i]["duplicates"] for i in tied
        )
        top = tied[0]
        out.append((correct >= 0.5, bool(task_rows[top]["passes_all"]), scores[top]))
    return out


def choose_threshold(tops: list[tuple[bool, bool, float]]) -> tuple[float, float, int]:
    """Lowest threshold whose verified tops are >= 95% correct: (threshold, precision, count)."""
    candidates = sorted({score for _, passes, score in tops if passes})
    for threshold in candidates:
        verified = [ok for ok, passes, score in tops if passes and score >= threshold]
        if verified and sum(verified) / len(verified) >= TARGET_PRECISION:
            return threshold, sum(verified) / len(verified), len(verified)
    return 1.0, float("nan"), 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", nargs="+", required=True)
    parser.add_argument("--validation", nargs="+", required=True)
    parser.add_argument("--out", default="server/codegen_lsp/data/verifier.json")
    args = parser.parse_args()
    train, valid = load(args.train), load(args.validation)
    x_train = np.array([r["features"] for r in train], dtype=np.float64)
    y_train = np.array([r["label"] for r in train])
    x_valid = np.array([r["features"] for r in valid], dtype=np.float64)
    y_valid = np.array([r["label"] for r in valid])
    print(
        f"train: {len(train)} candidates from {len(by_task(train))} tasks, "
        f"{y_train.mean() * 100:.1f}% correct; validation: {len(valid)} candidates from "
        f"{len(by_task(valid))} tasks, {y_valid.mean() * 100:.1f}% correct",
        file=sys.stderr,
    )
    mean = x_train.mean(axis=0)
    scale = x_train.std(axis=0)
    scale[scale == 0] = 1.0
    logistic = LogisticRegression(C=1.0, max_iter=2000).fit((x_train - mean) / scale, y_train)
    boosted = GradientBoostingClassifier(n_estimators=100, max_depth=2).fit(x_train, y_train)
    model = VerifierModel(
        weights=logistic.coef_[0].astype(np.float64),
        bias=float(logistic.intercept_[0]),
        mean=mean,
        scale=scale,
        threshold=1.0,
    )
    results = {}
    for name, probs in (
        ("none", None),
        ("logistic", model.predict(x_valid)),
        ("boosted", boosted.predict_proba(x_valid)[:, 1]),
    ):
        tops = top_choices(valid, probs)
        auc = (
            roc_auc_score(y_valid, probs) if probs is not None and 0 < y_valid.mean() < 1 else None
        )
        results[name] = {
            "top1": float(np.mean([ok for ok, _, _ in tops])),
            "auc": auc,
            "threshold": choose_threshold(tops),
        }
        print(f"{name}: {results[name]}", file=sys.stderr)
    threshold, precision, count = results["logistic"]["threshold"]
    model.threshold = threshold
    model.save(
        Path(args.out),
        extra={
            "trained_on": [str(p) for p in args.train],
            "selected_on": [str(p) for p in args.validation],
            "train_candidates": len(train),
            "validation_candidates": len(valid),
            "validation": {
                name: {
                    "top1": r["top1"],
                    "auc": r["auc"],
                    "threshold": r["threshold"][0],
                    "precision": None if math.isnan(r["threshold"][1]) else r["threshold"][1],
                    "verified_tasks": r["threshold"][2],
                }
                for name, r in results.items()
            },
        },
    )
    print(json.dumps({k: {"top1": v["top1"], "auc": v["auc"]} for k, v in results.items()}))
    print(f"threshold {threshold:.4f}: precision {precision}, {count} verified", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
