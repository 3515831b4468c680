"""``codegen-lsp eval``: measure sampling and ranking on HumanEval- or MBPP-format tasks.

``codegen-lsp eval --dataset humaneval --n 10 --limit 40 --out eval-out`` samples ten bodies per
task, runs them on the prompt's own examples, ranks them, and only then judges them with the
hidden tests; it writes report.md, report.json and report.png (and the samples drawn, so the
ranking can be re-measured later with ``--samples`` without a model). Progress goes to stderr.
``--strip-examples`` first takes the examples out of every prompt's docstring
(:mod:`codegen_lsp.eval.strip`), the condition of most real docstrings.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from codegen_lsp.settings import Settings


def add_parser(subparsers: Any) -> None:
    """Register ``eval``."""
    parser = subparsers.add_parser("eval", help="pass@k and ranker accuracy on a dataset")
    parser.add_argument(
        "--dataset",
        required=True,
        help="humaneval, humaneval+, mbpp-train, mbpp-validation, mbpp-train+, mbpp-validation+ "
        "(judged on more calls, against the reference), or a HumanEval/MBPP .jsonl(.gz) path",
    )
    parser.add_argument(
        "--shown",
        type=int,
        default=1,
        help="MBPP only: how many of a task's tests its docstring shows as examples (default 1, "
        "as LEVER; the hidden check runs them all)",
    )
    parser.add_argument(
        "--no-example-variants",
        action="store_true",
        help="with examples, do not compare candidates on calls near the examples' "
        "(ranking.exampleVariants)",
    )
    parser.add_argument(
        "--asserts",
        help="a calls.jsonl whose rows hold the model's replies ('text', written by a run "
        "without --calls): run its `assert f(...) == value` lines on the candidates and measure "
        "the codet and combined_asserts rankers (CodeT)",
    )
    parser.add_argument("--n", type=int, default=10, help="samples per task (default 10)")
    parser.add_argument("--limit", type=int, help="only the first K tasks")
    parser.add_argument("--offset", type=int, default=0, help="skip the first tasks")
    parser.add_argument("--out", default="eval-out", help="output folder (default eval-out)")
    parser.add_argument(
        "--samples",
        nargs="+",
        help="pre-drawn samples (.jsonl) instead of the model (no log-probs needed); several "
        "files are joined per task in the order given",
    )
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--format", choices=("auto", "raw", "chat", "fim"), default="auto")
    parser.add_argument("--model", help="model name or path (default qwen2.5-coder-0.5b)")
    parser.add_argument("--precision", choices=("auto", "fp32", "int8", "int4"), default="auto")
    parser.add_argument(
        "--no-int8-graph",
        action="store_true",
        help="run everything on the int4 graph (model.int8Graph off), to measure what it changes",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-new-tokens", type=int, default=384)
    parser.add_argument("--no-verifier", action="store_true", help="rank without the verifier")
    parser.add_argument(
        "--reviewer",
        action="store_true",
        help="also measure the Codex-D reviewer, alone and in the combined ranking (loads the "
        "model: one forward pass per distinct candidate)",
    )
    parser.add_argument(
        "--strip-examples",
        action="store_true",
        help="take the examples out of every prompt's docstring first (doctests and their "
        "output, prose examples, what explains them; the description stays), as most real "
        "docstrings have none; with --samples the samples are re-ranked as they were drawn",
    )
    parser.add_argument(
        "--calls",
        help="calls the model proposed earlier (a calls.jsonl that an eval run wrote): compare "
        "candidates on them instead of asking the model again; where a row keeps the model's "
        "reply ('text'), its calls are read from it again as the editor reads them today",
    )
    parser.add_argument(
        "--inputs-with-examples",
        action="store_true",
        help="compare candidates on drawn and proposed inputs even when the docstring has "
        "examples (measured, not the editor's default)",
    )
    parser.add_argument(
        "--no-greedy-first",
        action="store_true",
        help="sample all N (by default the first of them is the greedy one)",
    )
    parser.add_argument(
        "--first-wave",
        type=int,
        default=0,
        help="draw this many samples first and stop there when --enough-passing of them pass "
        "every example (sampling.firstWave; default 0: all N at once)",
    )
    parser.add_argument(
        "--all-without-examples",
        action="store_true",
        help="with --first-wave, draw all N for a function without examples even when the first "
        "wave behaves as one on every input (sampling.firstWaveWithoutExamples off)",
    )
    parser.add_argument(
        "--enough-passing",
        type=int,
        default=2,
        help="first-wave samples that must pass every example to stop early (default 2)",
    )
    parser.add_argument(
        "--repair-samples",
        type=int,
        default=0,
        help="where no sample passes every example, one repair round of this many samples "
        "(loads the model; sampling.repairSamples) measured as the combined_repair ranker",
    )
    parser.add_argument(
        "--repair-temperature",
        type=float,
        default=Settings().sampling.repair_temperature,
        help="the sampling temperature of that repair round (sampling.repairTemperature, "
        "default %(default)s)",
    )
    parser.add_argument(
        "--slow-repair-samples",
        type=int,
        default=0,
        help="where the top candidate passes every example but does not finish a call near "
        "them in time, one repair round of this many samples for speed (loads the model; "
        "sampling.slowRepairSamples, 4 in the editor) measured as the combined_repair ranker",
    )
    parser.add_argument(
        "--no-drawn-inputs",
        action="store_true",
        help="without examples, do not run candidates on inputs drawn from the type hints",
    )
    parser.add_argument(
        "--no-quoted-inputs",
        action="store_true",
        help="without examples, do not run candidates on the strings the docstring quotes",
    )
    parser.add_argument(
        "--no-proposed-inputs",
        action="store_true",
        help="without examples, do not ask the model for calls to run candidates on",
    )
    parser.add_argument(
        "--dump-rows", action="store_true", help="also write verifier training rows (rows.jsonl)"
    )
    parser.add_argument(
        "--hidden-timeout",
        type=float,
        default=60.0,
        help="seconds the hidden tests of one body may take (HumanEval+ runs up to 1,100 "
        "inputs and the canonical solution on each: up to 11 s here)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the evaluation and print the markdown report."""
    from codegen_lsp.eval.datasets import DatasetError, load_tasks
    from codegen_lsp.eval.harness import (
        Harness,
        load_calls,
        load_replies,
        load_samples,
        stderr_progress,
    )
    from codegen_lsp.eval.report import markdown, write_report
    from codegen_lsp.pipeline import Pipeline

    try:
        tasks = load_tasks(args.dataset, args.shown)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    tasks = tasks[args.offset :]
    if args.limit:
        tasks = tasks[: args.limit]
    if args.strip_examples:
        from codegen_lsp.eval.strip import strip_task

        tasks = [strip_task(task) for task in tasks]
    settings = Settings()
    settings.sampling.temperature = args.temperature
    settings.sampling.prompt_format = args.format
    settings.sampling.seed = args.seed
    settings.sampling.max_new_tokens = args.max_new_tokens
    settings.sampling.greedy_first = not args.no_greedy_first
    settings.sampling.first_wave = args.first_wave
    settings.sampling.enough_passing = args.enough_passing
    settings.sampling.first_wave_without_examples = not args.all_without_examples
    settings.sampling.repair_samples = args.repair_samples
    settings.sampling.repair_temperature = args.repair_temperature
    settings.sampling.slow_repair_samples = args.slow_repair_samples
    if args.model:
        settings.model.name = args.model
    settings.model.precision = args.precision
    settings.model.int8_graph = not args.no_int8_graph
    if args.no_verifier:
        settings.ranking.verifier = False
    settings.ranking.drawn_inputs = not args.no_drawn_inputs
    settings.ranking.quoted_inputs = not args.no_quoted_inputs
    settings.ranking.proposed_inputs = not args.no_proposed_inputs
    settings.ranking.example_variants = not args.no_example_variants
    try:
        proposed = load_calls(Path(args.calls)) if args.calls else None
        proposed_replies = load_replies(Path(args.calls)) if args.calls else None
        replies = load_replies(Path(args.asserts)) if args.asserts else None
    except (OSError, ValueError) as error:
        print(f"error: {error} (--calls {args.calls}, --asserts {args.asserts})", file=sys.stderr)
        return 1
    pre_drawn = None
    if args.samples:
        try:
            pre_drawn = load_samples(
                [Path(p) for p in args.samples], load_tasks(args.dataset, args.shown)
            )
        except (OSError, ValueError) as error:
            print(f"error: {args.samples}: {error}", file=sys.stderr)
            return 1
    pipeline = Pipeline(settings)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("outcomes.jsonl", "samples.jsonl", "rows.jsonl", "calls.jsonl"):
        (out / stale).unlink(missing_ok=True)
    from codegen_lsp.sandbox.runner import Sandbox

    hidden_sandbox = Sandbox(dataclasses.replace(settings.sandbox, timeout_s=args.hidden_timeout))
    harness = Harness(
        pipeline,
        args.n,
        pre_drawn,
        args.format,
        dump_rows=args.dump_rows,
        stream_dir=out,
        reviewer=args.reviewer,
        hidden_sandbox=hidden_sandbox,
        proposed=proposed,
        inputs_with_examples=args.inputs_with_examples,
        replies=replies,
        proposed_replies=proposed_replies,
    )
    try:
        outcomes = harness.run(tasks, stderr_progress)
    finally:
        pipeline.close()
        hidden_sandbox.close()
    meta = {
        "dataset": args.dataset,
        "source": " + ".join(args.samples) if args.samples else settings.model.name,
        "prompt_format": (
            "/".join(sorted({d.prompt_format for d in pre_drawn.values()}))
            if pre_drawn
            else args.format
        ),
        "temperature": args.temperature,
        "greedy_first": settings.sampling.greedy_first and not args.samples,
        "offset": args.offset,
        "verifier": not args.no_verifier,
        "int8_graph": settings.model.int8_graph and not args.samples,
        "reviewer": args.reviewer,
        "strip_examples": args.strip_examples,
        "drawn_inputs": settings.ranking.drawn_inputs,
        "quoted_inputs": settings.ranking.quoted_inputs,
        "proposed_inputs": settings.ranking.proposed_inputs,
        "inputs_with_examples": args.inputs_with_examples,
        "example_variants": settings.ranking.example_variants,
        "shown": args.shown,
        "first_wave": args.first_wave,
        "enough_passing": args.enough_passing,
        "first_wave_without_examples": not args.all_without_examples,
        "repair_samples": args.repair_samples,
        "repair_temperature": args.repair_temperature,
        "slow_repair_samples": args.slow_repair_samples,
        "repair_rounds": len(harness.repair_seconds),
        "repair_seconds_mean": (
            sum(harness.repair_seconds) / len(harness.repair_seconds)
            if harness.repair_seconds
            else 0.0
        ),
        # The program's own path would name this machine's checkout.
        "command": " ".join(["codegen-lsp", *sys.argv[1:]]),
    }
    summary = write_report(outcomes, meta, out)
    print(markdown(summary))
    return 0
