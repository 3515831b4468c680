"""``codegen-lsp complete | explain | repair``: the language server's code actions, from the shell.

``complete PATH[:LINE]`` writes ranked candidate bodies for the function at LINE (1-based, as
editors number lines) or, without LINE, for every function in the file that has a docstring and
no body; each candidate comes with its evidence (examples passed, verifier, score). ``explain``
writes a docstring with checked examples for an existing function; ``repair`` rewrites a body
that fails its examples, optionally guided by ``--note``. ``--json`` prints machine-readable
results; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from codegen_lsp.commands.project_args import (
    add_project_arguments,
    apply_project_settings,
    project_for,
)
from codegen_lsp.context import NoFunctionError, find_function, functions_without_body
from codegen_lsp.execution import describe_failure
from codegen_lsp.outcomes import ExplainResult, GenerationResult, RankedCandidate
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.project import ProjectFile
from codegen_lsp.sandbox.types import CandidateRun
from codegen_lsp.settings import Settings

SHOWN_WITH_CODE = 3
REASON_WIDTH = 70
"""Characters of a failing candidate's reason in the table (``--json`` has all of it)."""


def add_parser(subparsers: Any) -> None:
    """Register ``complete``, ``explain`` and ``repair``."""
    complete = subparsers.add_parser(
        "complete", help="write ranked bodies for functions with a docstring and no body"
    )
    _common(complete, "PATH[:LINE]; without LINE, every bodiless function with a docstring")
    complete.add_argument("--n", type=int, help="samples to draw (default: settings, 8)")
    complete.add_argument("--temperature", type=float, help="sampling temperature (default 0.8)")
    complete.add_argument(
        "--format", choices=("auto", "raw", "chat", "fim"), help="prompt format (default auto)"
    )
    complete.set_defaults(func=run, action="complete")
    explain = subparsers.add_parser(
        "explain", help="write a docstring with examples checked against the function"
    )
    _common(explain, "PATH:LINE of a function with a body")
    explain.add_argument(
        "--rewrite",
        action="store_true",
        help="let the model rewrite the whole docstring (default: keep yours, add examples)",
    )
    explain.set_defaults(func=run, action="explain")
    repair = subparsers.add_parser("repair", help="rewrite a body that fails its examples")
    _common(repair, "PATH:LINE of the function to repair")
    repair.add_argument("--note", help="what is wrong, in your words")
    repair.add_argument("--n", type=int, help="samples to draw (default 8)")
    repair.add_argument("--temperature", type=float, help="sampling temperature (default 0.8)")
    repair.set_defaults(func=run, action="repair")


def _common(parser: argparse.ArgumentParser, target_help: str) -> None:
    parser.add_argument("target", metavar="PATH[:LINE]", help=target_help)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--model", help="model name or path (default qwen2.5-coder-0.5b)")
    parser.add_argument(
        "--precision", choices=("auto", "fp32", "int8", "int4"), help="model weight precision"
    )
    parser.add_argument("--seed", type=int, help="sampling seed (default: fresh each run)")
    parser.add_argument(
        "--no-verifier", action="store_true", help="rank without the learned verifier"
    )
    add_project_arguments(parser)


def parse_target(target: str) -> tuple[Path, int | None]:
    """Split ``PATH[:LINE]``; LINE is 1-based. Raises ValueError with a usable message."""
    path_text, _, line_text = target.rpartition(":")
    if path_text and line_text.isdigit():
        line = int(line_text)
        if line < 1:
            raise ValueError(f"{target}: lines are numbered from 1")
        return Path(path_text), line
    return Path(target), None


def build_settings(args: argparse.Namespace) -> Settings:
    """Build settings from the defaults and the command-line flags."""
    settings = Settings()
    if getattr(args, "n", None):
        settings.sampling.n = args.n
    if getattr(args, "temperature", None) is not None:
        settings.sampling.temperature = args.temperature
    if getattr(args, "format", None):
        settings.sampling.prompt_format = args.format
    if args.model:
        settings.model.name = args.model
    if args.precision:
        settings.model.precision = args.precision
    if args.seed is not None:
        settings.sampling.seed = args.seed
    if args.no_verifier:
        settings.ranking.verifier = False
    apply_project_settings(settings, args)
    return settings


def _progress(stage: str, done: int, total: int, passing: int | None = None) -> None:
    so_far = f" ({passing} pass)" if passing is not None else ""
    print(f"  {stage} {done}/{total}{so_far}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run complete/explain/repair; print a clear error and return 1 on bad input."""
    try:
        path, line = parse_target(args.target)
        source = path.read_text(encoding="utf-8")
        file = project_for(path, args)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    pipeline = Pipeline(build_settings(args))
    try:
        if args.action == "complete":
            return _complete(pipeline, source, path, line, args.json, file)
        if line is None:
            print(f"error: {args.action} needs PATH:LINE (the function's line)", file=sys.stderr)
            return 1
        if args.action == "explain":
            result = pipeline.explain(
                source, line - 1, progress=_progress, file=file, rewrite=args.rewrite
            )
            _print_explain(result, args.json)
            return 0
        repaired = pipeline.repair(source, line - 1, note=args.note, progress=_progress, file=file)
        _print_results([repaired], args.json)
        return 0
    except (NoFunctionError, ValueError) as error:
        print(f"error: {path}: {error}", file=sys.stderr)
        return 1
    finally:
        pipeline.close()


def _complete(
    pipeline: Pipeline,
    source: str,
    path: Path,
    line: int | None,
    as_json: bool,
    file: ProjectFile | None = None,
) -> int:
    if line is not None:
        ctx = find_function(source, line - 1)
        if ctx.has_body:
            print(
                f"error: {path}:{line}: `{ctx.qualified_name}` has a body already; use "
                f"`codegen-lsp repair {path}:{line}` to rewrite it",
                file=sys.stderr,
            )
            return 1
        ctx = pipeline.in_project(ctx, source, file)
        results = [pipeline.implement_context(ctx, progress=_progress, file=file)]
    else:
        targets = functions_without_body(source)
        if not targets:
            print(
                f"error: {path} has no function with a docstring and no body; "
                "give PATH:LINE to pick one",
                file=sys.stderr,
            )
            return 1
        results = []
        for ctx in targets:
            print(f"{ctx.qualified_name} (line {ctx.def_line + 1}):", file=sys.stderr)
            ctx = pipeline.in_project(ctx, source, file)
            results.append(pipeline.implement_context(ctx, progress=_progress, file=file))
    _print_results(results, as_json)
    return 0


def candidate_json(result: GenerationResult, candidate: RankedCandidate) -> dict[str, Any]:
    """One candidate as the JSON object ``--json`` prints."""
    return {
        "function": result.function_name,
        "line": result.function_line + 1,
        "rank": candidate.rank,
        "code": candidate.body,
        "mean_logprob": _finite(candidate.mean_logprob),
        "examples_passed": candidate.examples_passed,
        "examples_total": candidate.examples_total,
        "verifier": candidate.verifier,
        "score": candidate.score,
        "verified": candidate.verified,
        "duplicates": candidate.duplicates,
        "group_size": candidate.group_size,
        "score_parts": {k: _finite(v) for k, v in candidate.score_parts.items()},
        "error": candidate.run.error,
        "failures": [
            {
                "call": r.example.call,
                "status": r.status,
                "actual": r.actual_repr,
                "exception": r.exception,
            }
            for r in candidate.run.results
            if r.status != "passed"
        ],
        "notes": result.notes,
        "context_tokens": result.context_tokens,
        "definitions": result.definitions,
        "not_looked_up": result.not_looked_up,
        "interpreter": result.interpreter,
        "inputs": result.inputs,
    }


def why_not_passing(run: CandidateRun, width: int = REASON_WIDTH) -> str:
    """Say in one short line why a candidate failed ("" when it passed every example).

    The reason is what stopped it from running, else its first failing example.
    """
    if run.error:
        reason = run.error
    else:
        failing = next((r for r in run.results if r.status != "passed"), None)
        reason = describe_failure(failing) if failing is not None else ""
    reason = " ".join(reason.split())
    return reason if len(reason) <= width else reason[: width - 1] + "…"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _print_results(results: list[GenerationResult], as_json: bool) -> None:
    if as_json:
        rows = [candidate_json(r, c) for r in results for c in r.candidates]
        print(json.dumps(rows, indent=1))
        return
    for result in results:
        print(
            f"== {result.function_name} (line {result.function_line + 1}): "
            f"{len(result.examples)} examples, {len(result.candidates)} distinct candidates"
        )
        for note in result.notes:
            print(f"   note: {note}")
        print(
            f"{'rank':>4} {'score':>6} {'verifier':>8} {'logprob':>8} {'examples':>8} "
            f"{'same':>4} {'dup':>3}  verified"
        )
        for c in result.candidates:
            verifier = f"{c.verifier:.2f}" if c.verifier is not None else "-"
            logprob = f"{c.mean_logprob:.3f}" if math.isfinite(c.mean_logprob) else "-"
            examples = f"{c.examples_passed}/{c.examples_total}"
            mark = "yes" if c.verified else ("error" if c.run.error else "no")
            reason = why_not_passing(c.run)
            print(
                f"{c.rank:>4} {c.score:>6.3f} {verifier:>8} {logprob:>8} {examples:>8} "
                f"{c.group_size:>4} {c.duplicates:>3}  {mark}" + (f"  {reason}" if reason else "")
            )
        for c in result.candidates[:SHOWN_WITH_CODE]:
            print(f"\n-- candidate {c.rank} --")
            print(c.body)
        print()


def _print_explain(result: ExplainResult, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "function": result.function_name,
                    "docstring": result.docstring,
                    "examples_checked": result.examples_checked,
                    "examples_kept": result.examples_kept,
                    "examples_corrected": result.examples_corrected,
                    "notes": result.notes,
                },
                indent=1,
            )
        )
        return
    print(f"== {result.function_name}")
    print(result.replacement.new_text.strip("\n"))
    for note in result.notes:
        print(f"   note: {note}")
