"""Quality per precision: sampled passes, and a teacher-forced comparison with fp32.

    .venv/bin/python bench/quality.py [--model qwen2.5-coder-0.5b] [--precisions fp32,int8,int4]
        [--tasks 5] [--samples 5] [--max-new-tokens 192]
    .venv/bin/python bench/quality.py --teacher-forced [--texts 40] [--precisions fp32,int8,int4]

Pass-count mode (the default): 5 HumanEval prompts x 5 samples at T=0.8 (``--tasks N`` takes N
tasks spread over HumanEval instead, ``--samples`` more samples each). Same prompts, same seeds,
same stop sequences for every precision; each sample runs with the task's own tests in a child
Python process with a time limit. A faster precision must stay within 1/25 of fp32's passes.

Teacher-forced mode: 25 samples cannot tell a real loss from noise, so this mode runs each
precision over fixed code texts (the prompt + canonical solution of ``--texts`` HumanEval tasks,
evenly spaced) with forward passes only, and compares the next-token distributions over the
solution's tokens with the reference precision's (fp32): mean KL(reference || precision) per
token in nats, greedy top-1 agreement with the reference, and the mean log-probability of the
reference solution's tokens (its exp(-x) is the perplexity). Deterministic, a few minutes for all
precisions. An entry of ``--precisions`` may also be a path to an exported ONNX directory (a
recipe variant under test). The last line is one JSON object in both modes.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


def _humaneval() -> Path:
    from codegen_lsp.eval.datasets import find_data_file

    return find_data_file("HumanEval.jsonl.gz")  # $CODEGEN_LSP_DATA or the shared data folder


TASKS = ("HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/7", "HumanEval/13")
STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert")
HUMANEVAL_TASKS = 164


def load_all_tasks(path: Path) -> dict[str, dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return {task["task_id"]: task for task in map(json.loads, handle)}


def load_tasks(path: Path, count: int = len(TASKS)) -> list[dict[str, Any]]:
    """Return the classic 5 prompts, or ``count`` tasks spread over HumanEval."""
    tasks = load_all_tasks(path)
    chosen = TASKS if count == len(TASKS) else spread_task_ids(count)
    return [tasks[task_id] for task_id in chosen]


def passes(task: dict[str, Any], completion: str, timeout_s: float = 10.0) -> bool:
    program = (
        task["prompt"] + completion + "\n\n" + task["test"] + f"\ncheck({task['entry_point']})\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(program)
    try:
        result = subprocess.run(
            [sys.executable, handle.name], capture_output=True, timeout=timeout_s, check=False
        )
        return result.returncode == 0
    except subprocess.TimeoutExpired:
        return False
    finally:
        Path(handle.name).unlink()


def open_engine(model: str, entry: str, threads: int) -> Any:
    """Load ``entry`` (a precision of ``model``, or a path to an ONNX directory)."""
    from codegen_lsp.engine import models
    from codegen_lsp.engine.onnx_backend import OnnxEngine

    directory = Path(entry) if "/" in entry else models.export(model, entry)  # type: ignore[arg-type]
    return OnnxEngine(directory, device="cpu", threads=threads)


# --------------------------------------------------------------------------- teacher-forced


def spread_task_ids(count: int) -> list[str]:
    """Return the ids of ``count`` HumanEval tasks evenly spread over all 164."""
    count = max(1, min(count, HUMANEVAL_TASKS))
    return [
        f"HumanEval/{i}" for i in sorted({round(i * HUMANEVAL_TASKS / count) for i in range(count)})
    ]


def teacher_forced_texts(tasks: dict[str, dict[str, Any]], count: int) -> list[tuple[str, str]]:
    """Return (prompt, canonical solution) of ``count`` HumanEval tasks spread over all 164."""
    return [(tasks[i]["prompt"], tasks[i]["canonical_solution"]) for i in spread_task_ids(count)]


def solution_logprobs(engine: Any, prompt: str, solution: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the log-softmax rows predicting ``solution``'s tokens after ``prompt``, and them.

    One prefill over prompt + solution (tokenised apart, as generation sees them); row ``i``
    is the untempered next-token distribution that predicts solution token ``i``.
    """
    prompt_ids = engine.facts.encode(prompt)
    targets = engine.facts.encode(solution)
    if not prompt_ids or not targets:
        raise ValueError("teacher forcing needs a non-empty prompt and solution")
    logits, _ = engine.prefill(prompt_ids + targets, keep_logits_from=len(prompt_ids) - 1)
    rows = np.asarray(logits[: len(targets)], dtype=np.float64)
    rows -= rows.max(axis=-1, keepdims=True)
    rows -= np.log(np.exp(rows).sum(axis=-1, keepdims=True))
    return rows, np.asarray(targets, dtype=np.int64)


@dataclass
class ForcedTally:
    """Running sums of one precision's teacher-forced figures."""

    tokens: int = 0
    target_logprob: float = 0.0
    kl: float = 0.0
    agree: int = 0
    compared: int = 0
    per_text_kl: list[float] = field(default_factory=list)

    def add(
        self, rows: np.ndarray, targets: np.ndarray, reference: np.ndarray | None = None
    ) -> None:
        """Add one text's rows (log-probabilities), optionally against the reference's rows."""
        self.tokens += len(targets)
        self.target_logprob += float(rows[np.arange(len(targets)), targets].sum())
        if reference is None:
            return
        kl = float((np.exp(reference) * (reference - rows)).sum())
        self.kl += kl
        self.per_text_kl.append(kl / len(targets))
        self.agree += int((rows.argmax(axis=-1) == reference.argmax(axis=-1)).sum())
        self.compared += len(targets)

    def figures(self) -> dict[str, Any]:
        """Return the means: log-prob and perplexity, and KL and top-1 agreement if compared."""
        mean_logprob = self.target_logprob / max(self.tokens, 1)
        result: dict[str, Any] = {
            "tokens": self.tokens,
            "mean_logprob": mean_logprob,
            "perplexity": float(np.exp(-mean_logprob)),
        }
        if self.compared:
            result["mean_kl"] = self.kl / self.compared
            result["max_text_kl"] = max(self.per_text_kl)
            result["top1_agreement"] = self.agree / self.compared
        return result


def teacher_forced(
    engines: dict[str, Any], texts: Sequence[tuple[str, str]], reference: str | None
) -> dict[str, dict[str, Any]]:
    """Run every engine over every text; compare each with ``reference`` (one of ``engines``)."""
    tallies = {name: ForcedTally() for name in engines}
    seconds = dict.fromkeys(engines, 0.0)
    for prompt, solution in texts:
        reference_rows: np.ndarray | None = None
        if reference is not None:
            started = time.perf_counter()
            reference_rows, targets = solution_logprobs(engines[reference], prompt, solution)
            seconds[reference] += time.perf_counter() - started
            tallies[reference].add(reference_rows, targets)
        for name, engine in engines.items():
            if name == reference:
                continue
            started = time.perf_counter()
            rows, targets = solution_logprobs(engine, prompt, solution)
            seconds[name] += time.perf_counter() - started
            if reference_rows is not None and rows.shape != reference_rows.shape:
                raise ValueError(f"{name} tokenises differently from {reference}: not comparable")
            tallies[name].add(rows, targets, reference_rows)
    return {name: {**tally.figures(), "seconds": seconds[name]} for name, tally in tallies.items()}


def run_teacher_forced(args: argparse.Namespace, entries: list[str]) -> dict[str, Any]:
    texts = teacher_forced_texts(load_all_tasks(_humaneval()), args.texts)
    reference = args.reference if args.reference in entries else None
    engines = {entry: open_engine(args.model, entry, args.threads) for entry in entries}
    results = teacher_forced(engines, texts, reference)
    print(
        f"model {args.model}: teacher-forced over {len(texts)} HumanEval prompt + canonical "
        f"solution texts ({next(iter(results.values()))['tokens']} solution tokens), "
        f"reference {reference or '-'}"
    )
    print(f"{'precision':28} {'KL nats/tok':>11} {'top-1 agree':>11} {'mean lp':>8} {'ppl':>6}")
    for name, figures in results.items():
        kl = f"{figures['mean_kl']:.4f}" if "mean_kl" in figures else "-"
        agree = f"{figures['top1_agreement']:.3f}" if "top1_agreement" in figures else "-"
        print(
            f"{name[-28:]:28} {kl:>11} {agree:>11} {figures['mean_logprob']:8.4f} "
            f"{figures['perplexity']:6.3f}"
        )
    return {"mode": "teacher-forced", "texts": len(texts), "reference": reference, **results}


# --------------------------------------------------------------------------- pass count


def run_pass_count(args: argparse.Namespace, entries: list[str]) -> dict[str, Any]:
    from codegen_lsp.engine.types import GenerationRequest

    tasks = load_tasks(_humaneval(), args.tasks)
    results: dict[str, Any] = {}
    for precision in entries:
        engine = open_engine(args.model, precision, args.threads)
        per_task: dict[str, int] = {}
        logprobs: list[float] = []
        started = time.perf_counter()
        for index, task in enumerate(tasks):
            request = GenerationRequest(
                task["prompt"],
                n=args.samples,
                temperature=0.8,
                top_p=0.95,
                max_new_tokens=args.max_new_tokens,
                stop=STOPS,
                seed=1000 + index,
            )
            samples = engine.generate(request)
            per_task[task["task_id"]] = sum(passes(task, s.text) for s in samples)
            logprobs += [s.mean_logprob for s in samples if s.logprobs]
        results[precision] = {
            "passes": sum(per_task.values()),
            "of": len(tasks) * args.samples,
            "per_task": per_task,
            "mean_logprob": sum(logprobs) / len(logprobs) if logprobs else None,
            "seconds": time.perf_counter() - started,
        }
        del engine
        gc.collect()

    total = len(tasks) * args.samples
    reference = results.get(args.reference, {}).get("passes")
    print(f"model {args.model}: {len(tasks)} prompts x {args.samples} samples, T=0.8, top_p 0.95")
    versus = f"vs {args.reference}"[:8]
    print(f"{'precision':10} {'passes':>8} {versus:>8} {'mean lp':>8} {'seconds':>8}  per task")
    for precision, figures in results.items():
        delta = figures["passes"] - reference if reference is not None else None
        allowed_loss = max(1, round(total / 25))  # "within 1/25 of fp32"
        figures["within_1_of_25_of_fp32"] = delta is None or delta >= -allowed_loss
        print(
            f"{precision[-10:]:10} {figures['passes']:>5}/{total:<2} "
            f"{'-' if delta is None else f'{delta:+d}':>8} {figures['mean_logprob']:8.3f} "
            f"{figures['seconds']:8.0f}  {list(figures['per_task'].values())}"
        )
    return {"mode": "pass-count", "samples": args.samples, "results": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument(
        "--precisions",
        default="fp32,int8,int4",
        help="comma-separated precisions of --model, or paths to exported ONNX directories",
    )
    parser.add_argument("--reference", default="fp32", help="the entry others are compared to")
    parser.add_argument("--teacher-forced", action="store_true", help="forward passes only")
    parser.add_argument("--texts", type=int, default=40, help="teacher-forced: HumanEval texts")
    parser.add_argument("--tasks", type=int, default=5, help="pass count: 5 = the classic five")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=192)
    args = parser.parse_args()
    entries = [entry for entry in args.precisions.split(",") if entry]
    runner = run_teacher_forced if args.teacher_forced else run_pass_count
    print(json.dumps({"model": args.model, **runner(args, entries)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
