"""The evaluation's report: a markdown table, a JSON file and a PNG plot.

Figures: unbiased pass@k of the raw samples, each ranker's top-1 accuracy with a paired
bootstrap interval against random choice (= pass@1) and against the combined ranker, the share
of the pass@1-to-oracle gap the combined ranker closes, and how often a "verified" top candidate
really passes the hidden tests.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from codegen_lsp.eval.harness import OPTIONAL_RANKERS, RANKERS, TaskOutcome, outcome_to_json
from codegen_lsp.eval.passk import mean_pass_at_k, paired_bootstrap

log = logging.getLogger(__name__)


def summarise(outcomes: list[TaskOutcome], meta: dict[str, Any]) -> dict[str, Any]:
    """All headline figures as plain data."""
    n = max((o.n for o in outcomes), default=0)
    ks = [k for k in (1, 2, 5, 10, 20, 50, 100) if k <= n]
    counts = [(o.n, o.correct) for o in outcomes]
    pass_k = {f"pass@{k}": mean_pass_at_k(counts, k) for k in ks}
    per_ranker = {r: [o.top1.get(r, float("nan")) for o in outcomes] for r in RANKERS}
    rankers: dict[str, dict[str, Any]] = {}
    for name, values in per_ranker.items():
        vs_random = paired_bootstrap(values, per_ranker["random"])
        vs_combined = paired_bootstrap(values, per_ranker["combined"])
        if not values or any(v != v for v in values):  # NaN: the ranker had no signal
            nan = float("nan")
            rankers[name] = {"top1": nan, "vs_random": (nan,) * 3, "vs_combined": (nan,) * 3}
            continue
        rankers[name] = {
            "top1": float(np.mean(values)),
            "vs_random": vs_random,
            "vs_combined": vs_combined,
        }
    base = float(rankers["random"]["top1"])
    best = float(rankers["oracle"]["top1"])
    combined = float(rankers["combined"]["top1"])
    gap = (combined - base) / (best - base) if best > base else float("nan")
    verified = [o for o in outcomes if o.verified]
    return {
        "meta": meta,
        "tasks": len(outcomes),
        "n": n,
        "pass_at_k": pass_k,
        "rankers": rankers,
        "gap_closed": gap,
        "verified": len(verified),
        "verified_precision": (
            sum(o.verified_correct for o in verified) / len(verified) if verified else None
        ),
        "tasks_with_examples": sum(o.examples > 0 for o in outcomes),
        "samples_drawn": float(np.mean([o.n for o in outcomes])) if outcomes else 0.0,
        "stopped_early": sum(o.stopped_early for o in outcomes),
        "repaired": sum(o.repaired for o in outcomes),
    }


def markdown(summary: dict[str, Any]) -> str:
    """Render the summary as a markdown report."""
    meta = summary["meta"]
    lines = [
        f"# Evaluation: {meta.get('dataset')} ({summary['tasks']} tasks, n={summary['n']})",
        "",
        f"Samples: {meta.get('source')}; prompt format {meta.get('prompt_format')}; "
        f"temperature {meta.get('temperature')}; {summary['tasks_with_examples']} tasks have "
        "examples in their prompt.",
        "",
    ]
    if meta.get("strip_examples"):
        lines += [
            "The examples were taken out of every prompt's docstring (`--strip-examples`: "
            "doctests and their output, prose examples, what explains them); "
            f"{summary['tasks_with_examples']} tasks keep an example the sandbox runs.",
            "",
        ]
    if meta.get("command"):
        lines += [f"Command: `{meta['command']}`", ""]
    if meta.get("repair_rounds"):
        repaired = summary.get("repaired", 0)
        lines += [
            f"Repair round (`sampling.repairSamples` {meta['repair_samples']}, "
            f"`sampling.slowRepairSamples` {meta.get('slow_repair_samples', 0)}): run on "
            f"{meta['repair_rounds']} tasks where no sample passed every example or the top "
            "one did not finish a call near them in time, "
            f"{meta['repair_seconds_mean']:.1f} s each on average; {repaired} found a sample "
            "that passes them (and finishes that call) (`combined_repair`).",
            "",
        ]
    if summary.get("stopped_early"):
        lines += [
            f"Drawn in waves (`sampling.firstWave`): {summary['stopped_early']} tasks stopped "
            f"after the first wave; {summary['samples_drawn']:.2f} samples drawn per task on "
            f"average (of {summary['n']}). pass@k counts only the tasks with k samples or more.",
            "",
        ]
    lines += [
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v * 100:.1f}% |" for k, v in summary["pass_at_k"].items()]
    lines += [
        "",
        "| ranker | top-1 | vs random (95% CI) | vs combined (95% CI) |",
        "|---|---|---|---|",
    ]
    for name, figures in summary["rankers"].items():
        top1 = figures["top1"]
        if top1 != top1 and name in OPTIONAL_RANKERS:  # not asked for: not a row
            continue
        shown = "n/a (no signal)" if top1 != top1 else f"{top1 * 100:.1f}%"
        lines.append(
            f"| {name} | {shown} | {_interval(figures['vs_random'])} | "
            f"{_interval(figures['vs_combined'])} |"
        )
    precision = summary["verified_precision"]
    lines += [
        "",
        f"Combined closes {summary['gap_closed'] * 100:.0f}% of the gap between random choice "
        "(pass@1) and the oracle.",
        f"Top candidate marked verified on {summary['verified']} tasks; "
        + (
            f"{precision * 100:.1f}% of those pass the hidden tests."
            if precision is not None
            else "none was."
        ),
        "",
        "Top-1 is the expected hidden-test accuracy of each ranker's first choice (ties broken "
        "at random); intervals are paired bootstrap 95% intervals over tasks, in points.",
    ]
    return "\n".join(lines) + "\n"


def _interval(triple: tuple[float, float, float]) -> str:
    mean, low, high = triple
    if mean != mean:  # NaN
        return "n/a"
    return f"{mean * 100:+.1f} [{low * 100:+.1f}, {high * 100:+.1f}]"


def _without_nan(value: Any) -> Any:
    """JSON has no NaN: a figure without a signal is written as null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_nan(v) for v in value]
    return value


def plot(summary: dict[str, Any], path: Path) -> None:
    """Bar chart of each ranker's top-1 with its interval against random choice."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r for r, f in summary["rankers"].items() if f["top1"] == f["top1"]]
    values = [summary["rankers"][r]["top1"] * 100 for r in names]
    base = summary["rankers"]["random"]["top1"] * 100
    errors = np.array(
        [
            [
                max(0.0, -(summary["rankers"][r]["vs_random"][1] * 100 + base - v)),
                max(0.0, summary["rankers"][r]["vs_random"][2] * 100 + base - v),
            ]
            for r, v in zip(names, values, strict=True)
        ]
    ).T
    figure, axis = plt.subplots(figsize=(8, 4))
    axis.bar(names, values, yerr=errors, capsize=4, color="#4a7bb7")
    axis.axhline(base, color="grey", linestyle="--", linewidth=1, label="pass@1")
    axis.set_ylabel("top-1 accuracy on hidden tests (%)")
    meta = summary["meta"]
    stripped = ", examples stripped" if meta.get("strip_examples") else ""
    axis.set_title(f"{meta.get('dataset')}: {summary['tasks']} tasks, n={summary['n']}{stripped}")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_report(
    outcomes: list[TaskOutcome], meta: dict[str, Any], out_dir: Path
) -> dict[str, Any]:
    """Write report.md, report.json and report.png into ``out_dir``; return the summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarise(outcomes, meta)
    (out_dir / "report.md").write_text(markdown(summary), encoding="utf-8")
    data = dict(summary, outcomes=[outcome_to_json(o) for o in outcomes])
    (out_dir / "report.json").write_text(
        json.dumps(_without_nan(data), indent=1) + "\n", encoding="utf-8"
    )
    try:
        plot(summary, out_dir / "report.png")
    except Exception:  # a missing plotting library must not lose the figures
        log.warning("could not draw the plot", exc_info=True)
    return summary
