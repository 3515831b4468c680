"""Score MBPP-train rows with verifiers that never saw their task (cross-fitting), for the mark.

The "verified" mark's thresholds are chosen on rows whose scores come from the shipped verifier.
MBPP validation (90 tasks) is the only split it was not trained on, so the choice rested on a few
dozen marked tops. MBPP train's 374 tasks can join the choice once each task is scored by a
verifier fitted without it: the tasks are split into :data:`FOLDS` folds, and each fold's rows are
scored by the shipped configuration (``verifier.json``'s ``configuration``) fitted on the
training rows of the other folds. Each task's LEVER scores and top candidate are then recomputed
as the run time ranks (examples passed first, then P_LM x P_verifier summed over equal
execution, ties broken as ``combine.rank`` breaks them) and written back into the rows, which
``verified.py --choose`` reads::

    .venv/bin/python models/verifier/crossfit.py \\
        --fit models/verifier/data/mbpp-train-*-rows.jsonl \\
        --rows out/train-1/rows.jsonl --mark \\
        --out models/verifier/mark/mbpp-train-shown1-crossfit-rows.jsonl

``--fit`` is what the shipped verifier was trained on; ``--rows`` is an ``eval --dump-rows`` run
over the same tasks (``mbpp-train``, or ``mbpp-train+`` for its stricter labels). The run-time
score also lowers a candidate for crashes on drawn inputs; with examples MBPP rows draw none.
``--check`` rescores with the shipped verifier instead, to see that the run's own tops and
scores come back.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from codegen_lsp.ranking.combine import lever_scores, near_consensus
from codegen_lsp.ranking.verifier import DEFAULT_ARTIFACT, FEATURES, VerifierModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train import GROUPS, by_task, features, fit_mlp, load

FOLDS = 5
"""Folds of MBPP-train tasks; each is scored by a verifier fitted on the other four."""
MARK_FIELDS = (
    "task_id",
    "label",
    "duplicates",
    "group",
    "p_lm",
    "passes_all",
    "examples_passed",
    "samples",
    "near",
    "breaks_near",
    "raises_as_documented",
    "inputs",
    "crashes",
    "top",
    "score",
    "p_verifier",
)
"""What ``verified.py`` reads of a row (``--mark`` keeps these, of the tops and passing rows)."""


def fold_of(task_id: str) -> int:
    """The task's fold, fixed by its id."""
    return zlib.crc32(task_id.encode()) % FOLDS


def shipped_configuration() -> tuple[int, float, list[bool]]:
    """Hidden units, alpha and kept features of the shipped MLP (``verifier.json``)."""
    meta = json.loads(DEFAULT_ARTIFACT.read_text(encoding="utf-8"))
    found = re.fullmatch(r"mlp hidden=(\d+) alpha=([\d.]+) without=(\S+)", meta["configuration"])
    if found is None:
        raise SystemExit(f"not an MLP configuration: {meta['configuration']}")
    left_out = None if found[3] == "-" else found[3]
    keep = [left_out is None or name not in GROUPS[left_out] for name in FEATURES]
    return int(found[1]), float(found[2]), keep


def _near_consensus(rows: list[dict[str, Any]], lm: list[float]) -> list[float]:
    """The run's own ``near_consensus`` over rows (it reads only these two attributes)."""
    views = [
        SimpleNamespace(passes_all=row["passes_all"], near=row.get("near") or []) for row in rows
    ]
    return near_consensus(views, lm)  # type: ignore[arg-type]


def rescored(rows: list[dict[str, Any]], probs: np.ndarray) -> list[dict[str, Any]]:
    """The rows with each task's LEVER scores and top candidate recomputed from ``probs``."""
    pass_index = FEATURES.index("pass_fraction")
    mean_index = FEATURES.index("mean_logprob")
    out = [dict(row) for row in rows]
    for indices in by_task(rows).values():
        lm = [rows[i]["p_lm"] * rows[i]["duplicates"] for i in indices]
        weights = [w * float(probs[i]) for w, i in zip(lm, indices, strict=True)]
        scores = lever_scores(weights, lm, [rows[i]["group"] for i in indices])
        # Ties (one behaviour group shares its score) are broken as the run's ranking breaks
        # them (``combine.rank``): finished every call near the examples, raised what the
        # docstring says it raises, did what most of the passing bodies did there, likelier per
        # token, drawn first.
        consensus = _near_consensus([rows[i] for i in indices], lm)
        keys = [
            (
                rows[i]["features"][pass_index],
                score,
                "t" not in (rows[i].get("near") or []),
                bool(rows[i].get("raises_as_documented")),
                consensus[k],
                rows[i]["features"][mean_index],
                -k,
            )
            for k, (i, score) in enumerate(zip(indices, scores, strict=True))
        ]
        top = max(range(len(indices)), key=lambda k: keys[k])
        for k, i in enumerate(indices):
            out[i]["score"] = scores[k]
            out[i]["top"] = k == top
            out[i]["p_verifier"] = float(probs[i])
    return out


def out_of_fold(fit_rows: list[dict[str, Any]], rows: list[dict[str, Any]]) -> np.ndarray:
    """P(correct) of each of ``rows`` by the shipped configuration fitted without its fold."""
    hidden, alpha, keep = shipped_configuration()
    x = features(rows)
    probs = np.zeros(len(rows))
    for fold in range(FOLDS):
        held = [i for i, row in enumerate(rows) if fold_of(row["task_id"]) == fold]
        if not held:
            continue
        train = [row for row in fit_rows if fold_of(row["task_id"]) != fold]
        labels = np.array([row["label"] for row in train])
        model = fit_mlp(features(train), labels, hidden, alpha, keep)[0]
        probs[held] = model.predict(x[held].astype(np.float32))
    return probs


def main() -> int:
    """Write the rows rescored out of fold; print how they compare with the run's own."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fit", nargs="+", required=True, help="rows the verifier trains on")
    parser.add_argument("--rows", required=True, help="an eval --dump-rows file to rescore")
    parser.add_argument("--out", required=True)
    parser.add_argument("--check", action="store_true", help="rescore with the shipped verifier")
    parser.add_argument(
        "--mark",
        action="store_true",
        help="write only what verified.py reads (each task's top and passing rows, no code)",
    )
    args = parser.parse_args()
    fit_rows = load(args.fit)
    rows = [json.loads(line) for line in Path(args.rows).read_text().splitlines() if line]
    if args.check:
        shipped = VerifierModel.load()
        assert shipped is not None
        probs = shipped.predict(features(rows).astype(np.float32))
    else:
        probs = out_of_fold(fit_rows, rows)
    out = rescored(rows, probs)
    same_top = sum(1 for a, b in zip(rows, out, strict=True) if a["top"] and b["top"])
    tasks = len({r["task_id"] for r in rows})
    close = sum(
        1
        for a, b in zip(rows, out, strict=True)
        if a["top"] and abs(a["score"] - b["score"]) < 1e-3
    )
    print(f"{tasks} tasks: the same top in {same_top}, its score within 1e-3 in {close}")
    if args.mark:
        out = [
            {key: row[key] for key in MARK_FIELDS if key in row}
            for row in out
            if row["passes_all"] or row["top"]
        ]
    Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
