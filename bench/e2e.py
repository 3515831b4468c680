"""End to end, as the editor waits: N candidates for fixed HumanEval prompts on the default model.

    .venv/bin/python bench/e2e.py [--model qwen2.5-coder-0.5b] [--n 8] [--first-wave 3]
        [--tasks HumanEval/0,HumanEval/2,...] [--threads 2] [--skip-llama] [--without-drafts]
        [--strip-examples] [--int4-only] [--prompt-copies]

Each prompt goes through the whole request as the language server runs it
(``Pipeline.implement``: prompt, the real ONNX engine, the real sandbox, the ranking with the
verifier), once drawing all N at once and, with ``--first-wave K``, once in waves
(``sampling.firstWave``). ``--strip-examples`` takes the examples out of each docstring (as
``eval --strip-examples`` does): the request then compares candidates on drawn and proposed
inputs, and in waves stops when the first wave behaves as one on every input
(``sampling.firstWaveWithoutExamples``); "first pass" has nothing to count there.
``--int4-only`` loads the model a second time with ``model.int8Graph`` off and runs every
configuration on it too, so the int8 graph (prompts and batches) is compared with the int4
graph alone in the same call. ``--prompt-copies`` likewise with ``model.rowsSharePrompt`` off
(a copy of the prompt's cache per sample). Per configuration, summed over the prompts:

- first pass: time until the sandbox reports the first candidate that passes every example;
- ranked: time until the full ranked list;
- the split of that time: context and prompt, prefill, decode, sandbox, ranking;
- samples drawn and tokens decoded;
- beside decode, llama.cpp decoding the same tokens: its aggregate rate at batch N, measured on
  the same GGUF by ``bench/decode.py``'s llama.cpp worker, applied to our token count.

The model is loaded once, before any timing. The last line is one JSON object with every figure.
Timings vary with the machine's load: compare configurations run in the same call.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TASKS = (
    "HumanEval/0,HumanEval/2,HumanEval/4,HumanEval/7,HumanEval/12,HumanEval/13,"
    "HumanEval/15,HumanEval/22"
)
SPLIT = ("context", "prefill", "decode", "sandbox", "ranking")
WARM_UP = '''def double(x: int) -> int:
    """Return twice x.

    >>> double(2)
    4
    """
'''


@dataclass
class Timeline:
    """What one request did, and when (seconds from its start)."""

    started: float = field(default_factory=time.perf_counter)
    events: list[tuple[float, str, int, int, int | None]] = field(default_factory=list)
    prefill_s: float = 0.0
    decode_s: float = 0.0
    tokens: int = 0
    samples: int = 0
    drafted: int = 0
    accepted: int = 0

    def progress(self, stage: str, done: int, total: int, passing: int | None = None) -> None:
        self.events.append((time.perf_counter() - self.started, stage, done, total, passing))

    def first(self, stage: str) -> float | None:
        return next((at for at, name, *_ in self.events if name == stage), None)

    def stage_seconds(self, stage: str) -> float:
        """Time spent in ``stage``: from each of its starts (done == 0) to its last report."""
        spent, opened = 0.0, None
        for at, name, done, _total, _passing in self.events:
            if name == stage and done == 0:
                opened = at
            elif name != stage and opened is not None:
                spent += at - opened
                opened = None
        if opened is not None:
            spent += self.events[-1][0] - opened
        return spent


class TimedEngine:
    """The real engine, with each generate call's prefill, decode and token count recorded."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.timeline = Timeline()
        self.lock = threading.Lock()

    def generate(self, request: Any, cancel: Any = None) -> Any:
        samples = self.engine.generate(request, cancel)
        with self.lock:
            if samples:
                self.timeline.prefill_s += samples[0].timings.prefill_s
                self.timeline.decode_s += max(s.timings.decode_s for s in samples)
            self.timeline.tokens += sum(s.timings.new_tokens for s in samples)
            self.timeline.drafted += sum(s.timings.draft_tokens for s in samples)
            self.timeline.accepted += sum(s.timings.accepted_draft_tokens for s in samples)
            self.timeline.samples += len(samples)
        return samples

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def run_request(pipeline: Any, timed: TimedEngine, task: Any) -> dict[str, Any]:
    """Run one task's request through the pipeline; return its figures."""
    from codegen_lsp.eval.harness import target_function

    ctx = target_function(task)
    timeline = Timeline()
    timed.timeline = timeline
    result = pipeline.implement(task.prompt, ctx.def_line, progress=timeline.progress)
    total = time.perf_counter() - timeline.started
    first_pass = next(
        (at for at, stage, _d, _t, passing in timeline.events if passing and stage != "sampling"),
        None,
    )
    sampling_starts = timeline.first("sampling") or 0.0
    ranking_starts = timeline.first("ranking")
    return {
        "task": task.task_id,
        "first_pass_s": first_pass,
        "ranked_s": total,
        "context": sampling_starts,
        "prefill": timeline.prefill_s,
        "decode": timeline.decode_s,
        "sandbox": timeline.stage_seconds("running examples")
        + timeline.stage_seconds("comparing on inputs"),
        "ranking": total - ranking_starts if ranking_starts is not None else 0.0,
        "samples": timeline.samples,
        "tokens": timeline.tokens,
        "drafted": timeline.drafted,
        "accepted": timeline.accepted,
        "top_passes": bool(
            result.candidates and result.candidates[0].run.passed == result.candidates[0].run.total
        ),
    }


def llama_rate(args: argparse.Namespace) -> float | None:
    """llama.cpp's aggregate decode rate at batch N on the same GGUF (bench/decode.py's worker)."""
    command = [sys.executable, str(Path(__file__).with_name("decode.py")), "--worker", "llama"]
    command += ["--model", args.model, "--threads", str(args.threads), "--batch", str(args.n)]
    command += ["--new-tokens", "64"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        print(f"llama.cpp: not measured ({result.stderr.strip()[-200:]})", file=sys.stderr)
        return None
    return float(json.loads(lines[-1])["aggregate_tok_s_b8"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--first-wave", type=int, default=3, help="0: all at once only")
    parser.add_argument("--tasks", default=DEFAULT_TASKS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--skip-llama", action="store_true")
    parser.add_argument(
        "--without-drafts",
        action="store_true",
        help="also draw all at once with sampling.promptLookup off (the last row left decodes "
        "without drafts), to measure what the drafts save",
    )
    parser.add_argument(
        "--strip-examples",
        action="store_true",
        help="take the examples out of the docstrings (a function without examples)",
    )
    parser.add_argument(
        "--int4-only",
        action="store_true",
        help="also run every configuration with model.int8Graph off (a second engine)",
    )
    parser.add_argument(
        "--prompt-copies",
        action="store_true",
        help="also run every configuration with model.rowsSharePrompt off (a second engine)",
    )
    args = parser.parse_args()

    from codegen_lsp.eval.datasets import load_tasks
    from codegen_lsp.eval.strip import strip_task
    from codegen_lsp.pipeline import Pipeline
    from codegen_lsp.sandbox.runner import Sandbox
    from codegen_lsp.settings import Settings

    wanted = args.tasks.split(",")
    tasks = {task.task_id: task for task in load_tasks("humaneval")}
    chosen = [tasks[name] for name in wanted]
    if args.strip_examples:
        chosen = [strip_task(task) for task in chosen]

    def settings(
        first_wave: int, drafts: bool = True, int8_graph: bool = True, share: bool = True
    ) -> Settings:
        s = Settings()
        s.model.int8_graph = int8_graph
        s.model.rows_share_prompt = share
        s.sampling.prompt_lookup = drafts
        s.model.name = args.model
        s.model.precision = args.precision
        s.model.threads = args.threads
        s.sampling.n = args.n
        s.sampling.seed = 1
        s.sampling.max_new_tokens = args.max_new_tokens
        s.sampling.first_wave = first_wave
        return s

    loader = Pipeline(settings(0))
    timed = TimedEngine(loader.engine())  # loaded once, before any timing
    sandbox = Sandbox(settings(0).sandbox)
    # label -> (first wave, drafts, engine, the model settings it was loaded with)
    configurations = {"all at once": (0, True, timed, settings(0).model)}
    if args.without_drafts:
        configurations["all at once, no drafts"] = (0, False, timed, settings(0).model)
    if 0 < args.first_wave < args.n:
        configurations[f"waves of {args.first_wave}"] = (
            args.first_wave,
            True,
            timed,
            settings(0).model,
        )
    variants: dict[str, Settings] = {}
    if args.int4_only:
        variants["int4 only"] = settings(0, int8_graph=False)
    if args.prompt_copies:
        variants["prompt copied per sample"] = settings(0, share=False)
    loaders = [loader]
    base = dict(configurations)
    for name, variant in variants.items():
        loaders.append(Pipeline(variant))
        other = TimedEngine(loaders[-1].engine())
        for label, (wave, drafts, _, _) in base.items():
            configurations[f"{label}, {name}"] = (wave, drafts, other, variant.model)
    rows: dict[str, list[dict[str, Any]]] = {}
    try:
        for label, (first_wave, drafts, engine, model) in configurations.items():
            chosen_settings = settings(first_wave, drafts)
            chosen_settings.model = model
            pipeline = Pipeline(chosen_settings, engine=engine, sandbox=sandbox)  # type: ignore[arg-type]
            # The sandbox's workers and the verifier, before any timing; on a function of its
            # own, so that no timed request starts from the engine's kept prompt cache.
            pipeline.implement(WARM_UP, 0)
            rows[label] = [run_request(pipeline, engine, task) for task in chosen]
    finally:
        sandbox.close()
        for each in loaders:
            each.close()
    rate = None if args.skip_llama else llama_rate(args)

    without = ", examples taken out" if args.strip_examples else ""
    print(
        f"{len(chosen)} HumanEval prompts{without}, N={args.n}, model {args.model}, "
        f"{args.threads} threads"
    )
    header = "| configuration | first pass | ranked | " + " | ".join(SPLIT)
    header += " | samples | tokens | drafts kept | llama.cpp decode | decode / llama.cpp |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    summary: dict[str, Any] = {
        "tasks": wanted,
        "n": args.n,
        "strip_examples": args.strip_examples,
        "llama_tok_s": rate,
    }
    for label, figures in rows.items():
        first = [f["first_pass_s"] for f in figures if f["first_pass_s"] is not None]
        totals = {key: sum(f[key] for f in figures) for key in ("ranked_s", *SPLIT)}
        tokens = sum(f["tokens"] for f in figures)
        samples = sum(f["samples"] for f in figures)
        llama_s = tokens / rate if rate else None
        cells = [
            label,
            f"{sum(first):.1f} s ({len(first)} prompts)",
            f"{totals['ranked_s']:.1f} s",
            *(f"{totals[key]:.1f} s" for key in SPLIT),
            str(samples),
            str(tokens),
            f"{sum(f['accepted'] for f in figures)} / {sum(f['drafted'] for f in figures)}",
            f"{llama_s:.1f} s" if llama_s else "n/a",
            f"{totals['decode'] / llama_s:.2f}" if llama_s else "n/a",
        ]
        print("| " + " | ".join(cells) + " |")
        summary[label] = {"per_task": figures, "totals": totals, "tokens": tokens}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
