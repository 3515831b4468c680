"""``codegen-lsp compare NEW OLD``: two eval reports, ranker by ranker, with paired intervals.

``NEW`` and ``OLD`` are ``report.json`` files that ``codegen-lsp eval`` wrote (or the committed
ones under ``examples/eval/``). Exit status: 0, or 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from codegen_lsp.eval.compare import compare, load_report, markdown


def add_parser(subparsers: Any) -> None:
    """Register ``compare``."""
    parser = subparsers.add_parser(
        "compare",
        help="compare two eval reports task by task (paired bootstrap intervals)",
        description="Compare two eval runs over the same tasks: each ranker's top-1 in both "
        "and the paired difference with its 95% interval.",
    )
    parser.add_argument("new", help="report.json of the run to judge")
    parser.add_argument("old", help="report.json of the run it is compared with")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the comparison table; return 2 when a report cannot be read."""
    try:
        new, old = load_report(Path(args.new)), load_report(Path(args.old))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    differences, tasks = compare(new, old)
    if not tasks:
        print("error: the two reports share no task", file=sys.stderr)
        return 2
    print(markdown(differences, tasks))
    return 0
