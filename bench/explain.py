"""Explain on real code: how many functions get examples that ``python -m doctest`` passes.

Explain (Codex-D) writes a docstring's examples and keeps those that the function's body makes
true. This bench asks it about functions of a real package that nobody here wrote (boltons,
from the repo bench's download: ``bench/repo_context.py --select`` fetches it), chosen
mechanically: methods of module-level classes, generators, and functions that return nothing
(the forms whose examples need more than a call), with a body of 3 to 25 lines, shuffled with a
seed. For each, the docstring explain writes is put into a copy of the package and its
examples are run by Python's own doctest, in the module as imported from that copy.

Figures: functions with at least one example kept, and with a docstring whose examples doctest
passes (all of them, at least one run); examples kept in all. The last line is JSON. Run it on
another checkout (``PYTHONPATH=OTHER/server``) to compare two versions of explain on the same
functions::

    .venv/bin/python bench/explain.py [--package DIR] [--limit 30] [--seed 1] [--json OUT]

About 5 s per function on 2 CPU cores. The doctests run outside the sandbox (they import the
package), as the package's own tests would.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from codegen_lsp.pipeline import Pipeline
from codegen_lsp.project import find_project
from codegen_lsp.settings import Settings

PACKAGE = Path(".cache/repo-bench/src/boltons-26.2.0")
"""The default package: pure Python, classes with state, generators, few doctests of its own."""
RUN_DOCSTRING = """
import ast, doctest, importlib, sys
module = importlib.import_module(sys.argv[1])
# The docstring is read from the file at the function's line: a name can be bound to another
# object by the end of the module (urlutils imports dictutils' OrderedMultiDict over its own).
tree = ast.parse(open(module.__file__, encoding="utf-8").read())
(function,) = [
    node for node in ast.walk(tree)
    if isinstance(node, ast.FunctionDef) and node.lineno == int(sys.argv[3]) + 1
]
test = doctest.DocTestParser().get_doctest(
    ast.get_docstring(function) or "", dict(vars(module)), sys.argv[2], module.__file__, 0
)
runner = doctest.DocTestRunner(verbose=False)
runner.run(test, out=lambda text: None)
print(runner.failures, runner.tries)
"""


@dataclass
class Outcome:
    """What explain did for one function, and what doctest made of it."""

    module: str
    function: str
    kind: str
    """"method", "generator" or "returns nothing"."""
    examples: tuple[int, int] = (0, 0)
    """Examples explain kept (a read of what a method changed included), of the model's it ran."""
    doctest: tuple[int, int] = (0, 0)
    """Examples Python's doctest ran in the docstring written, and how many of them it failed."""
    seconds: float = 0.0
    error: str = ""

    @property
    def passes(self) -> bool:
        """Whether doctest ran at least one example of the docstring written, and failed none."""
        return self.doctest[0] > 0 and self.doctest[1] == 0


def candidates(package: Path) -> list[tuple[Path, str, str, int]]:
    """Return (file, module, qualified name, 0-based def line) of the functions to explain."""
    found = []
    for path in sorted((package / package.name.split("-")[0]).glob("*.py")):
        module = f"{path.parent.name}.{path.stem}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            owner = node.name if isinstance(node, ast.ClassDef) else ""
            members = node.body if isinstance(node, ast.ClassDef) else [node]
            for member in members:
                if not isinstance(member, ast.FunctionDef) or member.name.startswith("_"):
                    continue
                kind = _kind(member, owner)
                lines = (member.end_lineno or member.lineno) - member.body[0].lineno + 1
                if kind and 3 <= lines <= 25 and not _has_examples(member):
                    name = f"{owner}.{member.name}" if owner else member.name
                    found.append((path, module, name, member.lineno - 1, kind))
    return [(path, module, name, line) for path, module, name, line, _ in found]


def _kind(function: ast.FunctionDef, owner: str) -> str:
    """Return "method", "generator" or "returns nothing" for the forms measured, else ""."""
    decorators = {ast.unparse(d) for d in function.decorator_list}
    if decorators - {"property", "staticmethod", "classmethod"}:
        return ""
    if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(function)):
        return "generator"
    if owner:
        return "method"
    returns = [n for n in ast.walk(function) if isinstance(n, ast.Return) and n.value]
    return "" if returns else "returns nothing"


def _has_examples(function: ast.FunctionDef) -> bool:
    return ">>>" in (ast.get_docstring(function) or "")


def explain_one(
    pipeline: Pipeline, package: Path, copy: Path, item: tuple[Path, str, str, int]
) -> Outcome:
    """Explain one function, put its docstring into the copy, and run it with doctest."""
    path, module, name, line = item
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    kind = next(
        _kind(m, n.name if isinstance(n, ast.ClassDef) else "")
        for n in tree.body
        for m in (n.body if isinstance(n, ast.ClassDef) else [n])
        if isinstance(m, ast.FunctionDef) and m.lineno - 1 == line
    )
    outcome = Outcome(module, name, kind)
    started = time.perf_counter()
    try:
        result = pipeline.explain(source, line + 1, file=find_project(path))
    except Exception as error:  # a function explain refuses is counted, not fatal
        outcome.error = f"{type(error).__name__}: {error}"
        return outcome
    outcome.seconds = time.perf_counter() - started
    outcome.examples = (result.examples_kept, result.examples_checked)
    edit = result.replacement
    lines = source.splitlines(keepends=True)
    start = sum(len(x) for x in lines[: edit.start_line]) + edit.start_column
    end = sum(len(x) for x in lines[: edit.end_line]) + edit.end_column
    target = copy / path.relative_to(package)
    target.write_text(source[:start] + edit.new_text + source[end:], encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-c", RUN_DOCSTRING, module, name, str(line)],
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode == 0:
            failures, tries = map(int, done.stdout.split()[-2:])
            outcome.doctest = (tries, failures)
        else:
            outcome.error = done.stderr.strip().splitlines()[-1] if done.stderr else "failed"
    except subprocess.TimeoutExpired:
        outcome.error = "doctest timed out"
    finally:
        target.write_text(source, encoding="utf-8")
    return outcome


def main() -> None:
    """Explain the chosen functions and print one line each, then the totals."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package", type=Path, default=PACKAGE)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every function's outcome here")
    args = parser.parse_args()
    if not args.package.is_dir():
        raise SystemExit(f"{args.package}: no such package; run bench/repo_context.py --select")
    chosen = candidates(args.package)
    random.Random(args.seed).shuffle(chosen)
    chosen = chosen[: args.limit]
    settings = Settings()
    settings.sampling.seed = args.seed
    pipeline = Pipeline(settings)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="explain-bench-") as scratch:
        copy = Path(scratch) / "package"
        shutil.copytree(args.package, copy)
        try:
            for item in chosen:
                outcome = explain_one(pipeline, args.package, copy, item)
                outcomes.append(outcome)
                verdict = "passes" if outcome.passes else "FAILS" if outcome.doctest[1] else ""
                print(
                    f"{outcome.module}.{outcome.function} ({outcome.kind}): kept "
                    f"{outcome.examples[0]}/{outcome.examples[1]}, doctest "
                    f"{verdict or 'has nothing'}"
                    f"{' ' + outcome.error if outcome.error else ''} ({outcome.seconds:.1f} s)",
                    flush=True,
                )
        finally:
            pipeline.close()
    with_examples = sum(o.examples[0] > 0 for o in outcomes)
    passing = sum(o.passes for o in outcomes)
    summary = {
        "functions": len(outcomes),
        "with_examples": with_examples,
        "doctest_passes": passing,
        "doctest_fails": sum(o.doctest[1] > 0 for o in outcomes),
        "examples_kept": sum(o.examples[0] for o in outcomes),
        "by_kind": {
            kind: [
                sum(o.kind == kind for o in outcomes),
                sum(o.kind == kind and o.passes for o in outcomes),
            ]
            for kind in ("method", "generator", "returns nothing")
        },
    }
    print(
        f"{len(outcomes)} functions: {with_examples} with examples, {passing} whose doctest "
        f"passes, {summary['doctest_fails']} whose doctest fails"
    )
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
