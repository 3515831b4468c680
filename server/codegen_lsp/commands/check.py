"""``codegen-lsp check``: run a file's docstring examples against the code as written.

``codegen-lsp check PATH:LINE`` checks the function at LINE, ``codegen-lsp check PATH`` every
function with examples. It goes through ``Pipeline.check``, the code behind the language server's
"Check examples": each example runs in the sandbox (the same one that runs generated candidates)
and its result is printed; ``--json`` prints a list of objects instead.
``codegen-lsp check --isolation`` says which isolation this machine gives the sandbox.
Exit status: 0 when every example passed, 1 when one did not, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codegen_lsp.commands.project_args import (
    add_project_arguments,
    apply_project_settings,
    project_for,
)

if TYPE_CHECKING:
    from codegen_lsp.outcomes import CheckResult
    from codegen_lsp.sandbox.types import Example
    from codegen_lsp.settings import Settings


def add_parser(subparsers: Any) -> None:
    """Register ``check``."""
    parser = subparsers.add_parser(
        "check",
        help="run a file's docstring examples in the sandbox",
        description="Run the docstring examples of the function at LINE (or of every function "
        "in the file) against the code as written, in the sandbox.",
    )
    parser.add_argument("target", nargs="?", help="PATH or PATH:LINE (1-based)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--isolation", action="store_true", help="report the sandbox's isolation level and exit"
    )
    parser.add_argument("--timeout", type=float, default=None, help="seconds per function")
    add_project_arguments(parser)
    parser.add_argument(
        "--level",
        choices=("auto", "bubblewrap", "namespaces", "none"),
        default=None,
        help="strongest isolation to use (default: auto, the best available)",
    )
    parser.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> Settings:
    from codegen_lsp.settings import Settings

    settings = Settings()
    if args.timeout is not None:
        settings.sandbox.timeout_s = max(0.1, float(args.timeout))
    if args.level is not None:
        settings.sandbox.level = args.level
    apply_project_settings(settings, args)
    return settings


def _fail(message: str) -> int:
    print(f"codegen-lsp check: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status."""
    if args.isolation:
        from codegen_lsp.sandbox.runner import Sandbox

        with Sandbox(_settings(args).sandbox) as sandbox:
            report = sandbox.describe()
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print(f"isolation: {report['isolation']}")
            print(f"seccomp in workers: {'yes' if report['seccomp'] else 'NO'}")
            for note in report["weaker"]:
                print(f"weaker: {note}")
        return 0
    if not args.target:
        return _fail("give PATH or PATH:LINE (or --isolation)")
    path, line = _split_target(args.target)
    if not path.is_file():
        return _fail(f"{path}: no such file")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"{path}: cannot read it as UTF-8 text ({error})")
    try:
        file = project_for(path, args)
    except ValueError as error:
        return _fail(str(error))
    try:
        # The file as written must import: examples run against the code as it is.
        compile(source, str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:  # ValueError: a NUL byte, on older Pythons
        syntax = error if isinstance(error, SyntaxError) else None
        where = f"{path}:{syntax.lineno}" if syntax and syntax.lineno else str(path)
        reason = syntax.msg if syntax else str(error)
        return _fail(f"{where}: {reason}; fix the syntax and run it again")
    from codegen_lsp.context import NoFunctionError, all_functions
    from codegen_lsp.pipeline import Pipeline

    pipeline = Pipeline(_settings(args))
    try:
        results = pipeline.check(source, None if line is None else line - 1, stubs=True, file=file)
    except NoFunctionError:
        names = ", ".join(
            f"{f.qualified_name} (line {f.def_line + 1})" for f in all_functions(source)
        )
        return _fail(f"line {line} is not inside a function; functions: {names or 'none'}")
    finally:
        pipeline.close()
    reports = [_report(result) for result in results]
    if args.json:
        print(json.dumps(reports, indent=2))
    else:
        _print_text(path, reports)
    everything_passed = all(r["passed"] == r["total"] and r["error"] is None for r in reports)
    return 0 if everything_passed else 1


def _split_target(target: str) -> tuple[Path, int | None]:
    head, _, tail = target.rpartition(":")
    if head and tail.isdigit():
        return Path(head), int(tail)
    return Path(target), None


def _report(result: CheckResult) -> dict[str, Any]:
    """Return the JSON object for one function's check (lines 1-based)."""
    run = result.run
    return {
        "function": result.function_name,
        "line": result.function_line + 1,
        "docstring_line": result.docstring_line + 1 if result.has_docstring else 0,
        "examples": [
            {
                "call": example_result.example.call,
                "expected": _expected_text(example_result.example),
                "line": result.docstring_line + example_result.example.line,
                "status": example_result.status,
                "actual": example_result.actual_repr,
                "actual_type": example_result.actual_type,
                "exception": example_result.exception,
                "stdout": example_result.stdout,
                "doctest_note": result.doctest_notes.get(index),
            }
            for index, example_result in enumerate(run.results)
        ],
        "passed": run.passed,
        "total": run.total,
        "error": run.error,
        "isolation": run.isolation,
    }


def _expected_text(example: Example) -> str:
    if example.expected is not None:
        return str(example.expected)
    if example.expected_exception is not None:
        return f"raises {example.expected_exception}"
    return str(example.expected_output or "").rstrip("\n")


def _print_text(path: Path, reports: list[dict[str, Any]]) -> None:
    if not reports:
        print(f"{path}: no function with docstring examples")
        return
    for report in reports:
        verdict = f"{report['passed']}/{report['total']} examples pass"
        if report["total"] == 0:
            verdict = "no examples in the docstring"
        print(
            f"{path}:{report['line']} {report['function']}: {verdict} "
            f"(isolation: {report['isolation']})"
        )
        if report["error"] and report["total"] == 0:
            print(f"    error: {report['error']}")
        for example in report["examples"]:
            status = example["status"]
            detail = ""
            if status == "failed":
                detail = f": expected {example['expected']}, got {example['actual']}"
            elif status == "error":
                detail = f": {example['exception']}"
            print(f"  {path}:{example['line']} {example['call']}  {status.upper()}{detail}")
            if example["doctest_note"]:
                print(f"    note: {example['doctest_note']}")
