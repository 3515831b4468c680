"""``codegen-lsp check``: run a file's docstring examples against the code as written.

``codegen-lsp check PATH:LINE`` checks the function at LINE, ``codegen-lsp check PATH`` every
function with examples. Each example runs in the sandbox (the same one the language server uses
for generated candidates) and its result is printed; ``--json`` prints a list of objects instead.
``codegen-lsp check --isolation`` says which isolation this machine gives the sandbox.
Exit status: 0 when every example passed, 1 when one did not, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


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
    parser.add_argument(
        "--project",
        action="append",
        metavar="DIR",
        help="a directory the code may import from, read-only (repeatable; default: the "
        "file's own directory, unless it is your home directory or holds credentials)",
    )
    parser.add_argument(
        "--level",
        choices=("auto", "bubblewrap", "namespaces", "none"),
        default=None,
        help="strongest isolation to use (default: auto, the best available)",
    )
    parser.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> Any:
    from codegen_lsp.settings import SandboxSettings

    settings = SandboxSettings()
    if args.timeout is not None:
        settings.timeout_s = max(0.1, float(args.timeout))
    if args.level is not None:
        settings.level = args.level
    return settings


def _fail(message: str) -> int:
    print(f"codegen-lsp check: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status."""
    from codegen_lsp.sandbox.runner import Sandbox

    if args.isolation:
        with Sandbox(_settings(args)) as sandbox:
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
    from codegen_lsp.sandbox.isolation import check_project_path

    if args.project:
        try:
            projects = [check_project_path(directory) for directory in args.project]
        except ValueError as error:
            return _fail(f"--project: {error}")
    else:
        try:
            projects = [check_project_path(str(path.resolve().parent))]
        except ValueError as error:
            log.info("not sharing the file's directory with the sandbox: %s", error)
            projects = []
    with Sandbox(_settings(args), project_paths=projects) as sandbox:
        try:
            reports = check_source(source, line, sandbox)
        except SyntaxError as error:
            return _fail(f"{path}:{error.lineno}: {error.msg}; fix the syntax and run it again")
        except LookupError as error:
            return _fail(f"{path}: {error}")
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


def check_source(source: str, line: int | None, sandbox: Any) -> list[dict[str, Any]]:
    """Check the function at ``line`` (1-based), or every function with examples.

    Raises ``SyntaxError`` for unparsable source and ``LookupError`` when ``line`` is in no
    function.
    """
    from codegen_lsp.sandbox.examples import extract_examples
    from codegen_lsp.sandbox.source import find_functions, function_at

    functions = find_functions(source)
    if line is not None:
        chosen = function_at(functions, line)
        if chosen is None:
            names = ", ".join(f"{f.name} (line {f.line})" for f in functions) or "none"
            raise LookupError(f"line {line} is not inside a function; functions: {names}")
        selected = [chosen]
    else:
        selected = functions
    reports = []
    for function in selected:
        examples = extract_examples(function.docstring or "", function.name)
        if line is None and not examples:
            continue
        run = sandbox.run(source, function.name if function.top_level else "", examples)
        offset = function.docstring_line - 1
        reports.append(
            {
                "function": function.qualified_name,
                "line": function.line,
                "docstring_line": function.docstring_line,
                "examples": [
                    {
                        "call": result.example.call,
                        "expected": _expected_text(result.example),
                        "line": offset + result.example.line,
                        "status": result.status,
                        "actual": result.actual_repr,
                        "actual_type": result.actual_type,
                        "exception": result.exception,
                        "stdout": result.stdout,
                    }
                    for result in run.results
                ],
                "passed": run.passed,
                "total": run.total,
                "error": run.error,
                "isolation": run.isolation,
            }
        )
    return reports


def _expected_text(example: Any) -> str:
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
