"""Choose the "verified" mark's thresholds on MBPP and show what they give elsewhere.

The mark says: the top candidate passes every example, its combined score clears a threshold,
and the candidates that pass every example act alike on the calls near the examples (the share
of their likelihood that does exactly what the top one does clears a second threshold, and at
least so many samples pass every example and do exactly what the top one does there). A user
trusts it only if it is nearly always right, so the thresholds are the lowest that keep 95% of
the marked top candidates correct on the choice set, and the other sets only report.

Input: the ``rows.jsonl`` that ``codegen-lsp eval --dump-rows`` writes (one row per distinct
candidate, with its hidden-test label, its combined score, whether it ranked first, and what it
did near the examples). For example::

    codegen-lsp eval --dataset mbpp-validation --shown 2 --n 5 --first-wave 3 --dump-rows \\
        --out out/mv2 --samples models/verifier/data/mbpp-validation-*-samples.jsonl
    python models/verifier/verified.py --choose out/mv2/rows.jsonl \\
        --report humaneval=out/he/rows.jsonl humaneval+=out/hep/rows.jsonl

Nothing here needs a model; it prints a markdown table per set.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

TARGET_PRECISION = 0.95
"""What the mark promises: at least this share of the marked top candidates is right."""
NEAR_SHARES = (0.0, 0.5, 0.8, 1.0)
"""The near-agreement thresholds tried (0: the near calls are not asked)."""
NEAR_SAMPLES = (1, 2, 3)
"""The numbers of agreeing samples tried (1: the top one alone)."""
LEAST_SAMPLES = 2
"""The mark never rests on one sample: the choice only weighs rules that ask for at least this
many agreeing ones. The choice rows draw 5 samples, where a lone passing sample still stood
beside four that failed; a request for one sample (``sampling.n`` 1, the greedy one) has none,
its likelihood share is 1 whatever it does, and no row here speaks for it. The table still
prints the one-sample rules."""
WEIGHED_SAMPLES = tuple(n for n in NEAR_SAMPLES if n >= LEAST_SAMPLES)
"""The numbers of agreeing samples the choice weighs."""

Top = tuple[bool, bool, float, float, int]
"""Per task: the top is right, it can be marked, its score, its near share, its agreeing samples."""


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of one ``--dump-rows`` file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def by_task(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Per task: the top candidate's row and all of the task's rows."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["task_id"]].append(row)
    found = []
    for task_rows in grouped.values():
        first = [row for row in task_rows if row.get("top")]
        if not first:
            raise SystemExit("rows without 'top': dump them with this version of `eval`")
        found.append((first[0], task_rows))
    return found


def tops(rows: list[dict[str, Any]]) -> list[Top]:
    """Per task: (top is right, top passes every example, its score, its near share, and the
    samples that pass every example and do what it does near the examples, itself included;
    without calls near them, every sample that passes)."""
    found = []
    for top, task_rows in by_task(rows):
        passing = [r for r in task_rows if r["passes_all"] and r.get("near")]
        weight = {id(r): r["p_lm"] * r["duplicates"] for r in passing}
        total = sum(weight.values())
        share = 1.0
        if top["passes_all"] and top.get("near") and total:
            same = sum(weight[id(r)] for r in passing if r["near"] == top["near"])
            share = same / total
        # A top that did not finish a call near the examples in time is never marked, nor one
        # that breaks on an empty argument there (``Candidate.breaks_near``; rows dumped before
        # it was recorded, and MBPP's unhinted functions, never do).
        markable = (
            bool(top["passes_all"])
            and "t" not in (top.get("near") or [])
            and not top.get("breaks_near", False)
        )
        agreeing = sum(
            r["duplicates"]
            for r in task_rows
            if r["passes_all"] and (r.get("near") or []) == (top.get("near") or [])
        )
        found.append((bool(top["label"]), markable, float(top["score"]), share, agreeing))
    return found


def tops_without_examples(rows: list[dict[str, Any]]) -> list[Top]:
    """Per task of a run without examples: (top is right, it ran on inputs, its score, 1.0).

    Without examples the score is the share of the samples' likelihood that behaves like the
    top candidate on the drawn and proposed inputs; a top that ran on no input cannot be marked.
    """
    found = []
    for top, _ in by_task(rows):
        if "inputs" not in top:
            raise SystemExit("rows without 'inputs': dump them with this version of `eval`")
        if top.get("examples_passed") or top.get("passes_all"):
            raise SystemExit(f"{top['task_id']} has examples: --no-examples reads stripped runs")
        found.append((bool(top["label"]), top["inputs"] > 0, float(top["score"]), 1.0, 1))
    return found


def marked(found: list[Top], threshold: float, near: float, samples: int = 1) -> list[bool]:
    """Whether each marked top is right, for a score, a near-share and a samples threshold."""
    return [
        right
        for right, passes, score, share, agreeing in found
        if passes and score >= threshold - 1e-12 and share >= near - 1e-12 and agreeing >= samples
    ]


def choose(found: list[Top], near: float, samples: int = 1) -> float | None:
    """The lowest score threshold whose marked tops are >= 95% right (None: no such)."""
    for threshold in sorted({score for _, passes, score, _, _ in found if passes}):
        right = marked(found, threshold, near, samples)
        if right and sum(right) / len(right) >= TARGET_PRECISION:
            return threshold
    return None


def wilson_low(right: int, count: int) -> float:
    """Lower end of the 95% Wilson interval of right/count."""
    if not count:
        return 0.0
    z = 1.96
    p = right / count
    centre = p + z * z / (2 * count)
    spread = z * math.sqrt(p * (1 - p) / count + z * z / (4 * count * count))
    return (centre - spread) / (1 + z * z / count)


def line(name: str, found: list[Top], threshold: float, near: float, samples: int = 1) -> str:
    """One table row: precision (with its interval's lower end) and coverage."""
    right = marked(found, threshold, near, samples)
    precision = f"{sum(right) / len(right):.1%}" if right else "-"
    low = wilson_low(sum(right), len(right))
    return (
        f"| {name} | {threshold:.3f} | {near:.1f} | {samples} | {len(right)} of {len(found)} "
        f"({len(right) / len(found):.0%}) | {precision} | {low:.1%} |"
    )


def best(found: list[Top]) -> tuple[float, float, int] | None:
    """Return the (score threshold, near share, samples) marking the most tops at >= 95%.

    Only the rules that ask for at least :data:`LEAST_SAMPLES` agreeing samples are weighed.
    """
    options = []
    for near in NEAR_SHARES:
        for samples in WEIGHED_SAMPLES:
            threshold = choose(found, near, samples)
            if threshold is not None:
                count = len(marked(found, threshold, near, samples))
                options.append((count, -near, -samples, threshold))
    if not options:
        return None
    _, negative_near, negative_samples, threshold = max(options)
    return threshold, -negative_near, -negative_samples


def write(metadata: Path, found: list[Top], paths: list[Path]) -> None:
    """Record the chosen mark in the verifier's metadata (``verified_mark``)."""
    chosen = best(found)
    if chosen is None:
        raise SystemExit("no threshold reaches 95% on the choice set: nothing written")
    threshold, near, samples = chosen
    right = marked(found, threshold, near, samples)
    data = json.loads(metadata.read_text(encoding="utf-8"))
    data["verified_mark"] = {
        "threshold": threshold,
        "near_agreement": near,
        "near_samples": samples,
        "rule": "the most tops marked at >= 95% precision on the choice set, over score "
        f"thresholds, near shares {list(NEAR_SHARES)} and agreeing samples "
        f"{list(WEIGHED_SAMPLES)}",
        "chosen_on": [path.name for path in paths],
        "choice": f"{len(right)} of {len(found)} tops marked, {sum(right)} right",
    }
    metadata.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {metadata}: threshold {threshold:.3f}, near share {near:.1f}, samples {samples}")


def main() -> None:
    """Choose on ``--choose``, report on every set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choose", type=Path, nargs="+", required=True, help="rows to choose on")
    parser.add_argument("--report", nargs="*", default=[], help="NAME=rows.jsonl to report on")
    parser.add_argument(
        "--threshold", type=float, help="report this score threshold instead of choosing one"
    )
    parser.add_argument(
        "--write",
        type=Path,
        help="record the best choice in this verifier metadata (server/codegen_lsp/data/"
        "verifier.json); then set ranking.verifiedNearAgreement's and "
        "ranking.verifiedNearSamples' defaults to its near share and samples",
    )
    parser.add_argument(
        "--no-examples",
        action="store_true",
        help="the rows come from runs without examples (eval --strip-examples): choose the "
        "agreement share that marks a top verified (set ranking.verifiedAgreement's default to it)",
    )
    args = parser.parse_args()
    read = tops_without_examples if args.no_examples else tops
    choice = [t for path in args.choose for t in read(read_rows(path))]
    sets = {"choice": choice}
    for item in args.report:
        name, _, path = item.partition("=")
        sets[name] = read(read_rows(Path(path)))
    print("| set | score threshold | near share | samples | marked | precision | 95% low |")
    print("|---|---|---|---|---|---|---|")
    if args.no_examples and args.write is not None:
        raise SystemExit("--write records the mark with examples; set ranking.verifiedAgreement")
    for near in (0.0,) if args.no_examples else NEAR_SHARES:
        for samples in (1,) if args.no_examples else NEAR_SAMPLES:
            threshold = args.threshold
            if threshold is None:
                threshold = choose(choice, near, samples)
            if threshold is None:
                print(f"| choice | none reaches 95% | {near:.1f} | {samples} | | | |")
                continue
            for name, found in sets.items():
                print(line(name, found, threshold, near, samples))
    if args.write is not None:
        write(args.write, choice, args.choose)


if __name__ == "__main__":
    main()
