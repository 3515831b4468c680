"""Two evaluation runs side by side: each ranker's top-1 in both, and the paired difference.

An eval report (``report.json``) holds every task's top-1 per ranker. Two runs over the same
tasks (other samples, another setting) are compared task by task: the difference of the means
with its paired bootstrap 95% interval, so that a change is called a gain only when the
interval says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen_lsp.eval.passk import paired_bootstrap


@dataclass(frozen=True)
class RankerDifference:
    """One ranker in two runs, over the tasks both ran."""

    ranker: str
    new: float
    old: float
    difference: float
    low: float
    high: float


def load_report(path: Path) -> dict[str, Any]:
    """Read an eval ``report.json``; a file without per-task outcomes is a clear error."""
    report = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(report, dict) or not isinstance(report.get("outcomes"), list):
        raise ValueError(f"{path}: not an eval report (no per-task outcomes)")
    return report


def compare(new: dict[str, Any], old: dict[str, Any]) -> tuple[list[RankerDifference], int]:
    """Return each ranker both runs scored, new against old, and how many tasks were paired."""
    new_tasks = {o["task_id"]: o["top1"] for o in new["outcomes"]}
    old_tasks = {o["task_id"]: o["top1"] for o in old["outcomes"]}
    shared = [task for task in new_tasks if task in old_tasks]
    rankers = (
        [
            name
            for name in new_tasks[shared[0]]
            if all(new_tasks[t].get(name) is not None for t in shared)
            and all(old_tasks[t].get(name) is not None for t in shared)
        ]
        if shared
        else []
    )
    differences = []
    for name in rankers:
        a = [float(new_tasks[t][name]) for t in shared]
        b = [float(old_tasks[t][name]) for t in shared]
        mean, low, high = paired_bootstrap(a, b)
        differences.append(
            RankerDifference(name, sum(a) / len(a), sum(b) / len(b), mean, low, high)
        )
    return differences, len(shared)


def markdown(differences: list[RankerDifference], tasks: int) -> str:
    """Return the comparison as a markdown table, in points."""
    lines = [
        f"Paired over {tasks} tasks; the difference is new minus old, in points, with its "
        "paired bootstrap 95% interval.",
        "",
        "| ranker | new top-1 | old top-1 | difference (95% CI) |",
        "|---|---|---|---|",
    ]
    for d in differences:
        lines.append(
            f"| {d.ranker} | {100 * d.new:.1f}% | {100 * d.old:.1f}% | "
            f"{100 * d.difference:+.1f} [{100 * d.low:+.1f}, {100 * d.high:+.1f}] |"
        )
    return "\n".join(lines)
