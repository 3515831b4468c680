"""Application-level benchmark: does cross-file context help write functions of small apps?

``bench/repo_context.py`` measures cross-file context on three libraries whose functions seldom
use definitions from other modules. The feature exists for application code: a function in one
module whose arguments are dataclasses, enums and constants defined in another, with names a model
cannot guess (``Item.unit_price_cents``, ``Slot.start_min``, ``Standing.SUSPENDED``). This bench
is a fixed, checked-in set of such projects under ``bench/project_context/`` (five packages:
stockroom, rota, ledger, quest, survey; each with ``pyproject.toml``) and twenty tasks in
``bench/project_context/tasks.json``. A task is a function of a project's "operations" module
whose docstring says in plain words what to do and whose annotations name the classes it works on
(as a developer writes a stub); the fields, members, units and helpers it needs live in the
project's other modules. Ten tasks have one ``>>>`` example in the docstring, ten have none.

For each task, a fresh copy of the project has the body of every task function replaced by
``pass`` (no task sees another's solution), the project is found as the language server finds it
(``project.find_project``), ``Pipeline.implement(source, line, 0, file=...)`` writes candidates,
the top candidate's edit is applied, and the task's hidden asserts (``tests`` in tasks.json,
never shown to the model) decide, run by this interpreter in a subprocess from the copy's root
with a time limit. Every candidate is judged too ("any of n"). Two arms with the same seed:
cross-file context on and off (``settings.project.cross_file_context``).

``--tasks-file bench/project_context/method_tasks.json`` is a second set: six methods of a class
in the ``kiosk`` project (a method, a property, a static method; ``Task.function`` is
``Class.method``), none with an example. Its arms are ``on`` and ``noproposals`` (context on,
without the calls the model proposes, ``ranking.proposedInputs``): what asking the model for
calls of a method adds to the inputs drawn from the type hints.

``--tasks-file bench/project_context/method_example_tasks.json`` is a third: six methods of a
``Tray`` in ``kiosk`` whose doctests build the tray and fill it through ``tray.put(...)``. Its
arms are ``on`` and ``novariants`` (context on, without the calls near the examples,
``ranking.exampleVariants``): what comparing candidates near a method's examples adds to the
top-1 and to the verified mark (reported per arm as "verified (right)").

``--tasks-file bench/project_context/filled_tasks.json`` is a fourth: five methods of a ``Till``
in ``kiosk`` whose ``__init__`` leaves its state untyped and whose objects are filled only
through ``till.ring(...)``, none with an example. Its arms are ``on`` and ``noproposals``: what
the short tests the model is asked for (which fill the object first) add.

``--tasks-file bench/project_context/nested_tasks.json`` is a fifth: seven functions of the
``parcels`` project whose ``Parcel`` holds a ``Weight``, a ``Size`` and an ``Address`` in its
fields, one with an example. It measures how such a field reads in ``Parcel``'s summary
(``weight: Weight  # parcel.weight.grams: int``); run it on a checkout from before that line
(``PYTHONPATH=OTHER/server``) to compare.

``--tasks-file bench/project_context/library_tasks.json`` is a sixth: six functions of the
``shelf`` project that call ``inflection``, a library installed only in the project's own
virtualenv, none with an example. The set's ``requirements`` make that virtualenv (once, with
pip from PyPI, kept under ``.cache/project-bench-venvs``); each copy of the project finds it as
``.venv``, and the hidden tests run under it. Its arms are ``on`` and ``off``: off, the model
sees no library lines (:mod:`codegen_lsp.libraries`) and guesses the library's members.

``--tasks-file bench/project_context/typed_dict_tasks.json`` is a seventh: seven functions of
the ``statement`` project whose entries are a TypedDict (``Entry``, a dict read by key) with a
``Kind = Literal["debit", "credit"]`` field, none with an example, one a parser whose docstring
quotes a line. It measures how a TypedDict and a Literal alias are shown and the evidence on
them; run it on a checkout from before those (``PYTHONPATH=OTHER/server``) to compare.

    .venv/bin/python bench/project_context.py [--n 4] [--seed 1] [--arms on,off]
        [--model qwen2.5-coder-0.5b] [--tasks N] [--json OUT]
    .venv/bin/python bench/project_context.py --arms oracle   # no model: validates the set

``--arms oracle`` (no model) puts every reference body back through the product's edit and
checks that the hidden tests pass with it and fail with ``pass`` (20/20 both ways). A full run
(20 tasks x 2 arms, ``--n 4``) takes about 20 minutes on 2 busy CPU cores.

Reported per arm: top-1 pass rate (all tasks, with and without an example), any-of-n pass rate,
tasks won/lost against the other arm with a paired bootstrap 95% interval of the difference,
the estimated tokens the cross-file context added (mean, median), generation seconds (mean,
median), candidates whose example runs raised NameError or AttributeError, and how the top
candidate failed the hidden tests (AttributeError, NameError, AssertionError, ...). A markdown
table, then one JSON line; ``--json OUT`` also writes the per-task rows. The judge runs
model-written code outside the sandbox (in a subprocess): run it where that is acceptable.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repo_context import (
    Arm,
    add_run_options,
    apply_replacement,
    blank_body,
    find_def,
    fresh_copy,
    insert_body,
    paired,
    parse_run_options,
    run_arms,
    run_in_project,
)

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "project_context"
TASKS_FILE = PROJECTS / "tasks.json"
VENVS = HERE.parent / ".cache" / "project-bench-venvs"
DEFAULT_WORK = HERE.parent / ".cache" / "project-bench"
LOOKUP_ERRORS = ("NameError", "AttributeError")
ERROR_LINE = re.compile(r"^(\w+(?:Error|Exception|Exit)|AssertionError)\b", re.MULTILINE)


@dataclass
class Task:
    """One stub function of a project, and the hidden asserts that judge it."""

    project: str
    file: str
    """The function's module, relative to the project's root."""
    function: str
    tests: list[str]
    """Lines of Python run from the project's root; the task passes when they raise nothing."""
    uses: list[str] = field(default_factory=list)
    """What the reference body needs from other modules (information only)."""
    requirements: list[str] = field(default_factory=list)
    """What the project's own virtualenv installs (the set's ``requirements``), from PyPI."""

    @property
    def id(self) -> str:
        return f"{self.project}:{self.function}"

    def has_example(self) -> bool:
        source = (PROJECTS / self.project / self.file).read_text(encoding="utf-8")
        docstring = ast.get_docstring(find_def(ast.parse(source), self.function)) or ""
        return ">>>" in docstring


def load_tasks(path: Path = TASKS_FILE) -> list[Task]:
    document = json.loads(path.read_text(encoding="utf-8"))
    requirements = list(document.get("requirements", []))
    return [Task(**row, requirements=requirements) for row in document["tasks"]]


def project_venv(requirements: list[str]) -> Path:
    """Return a virtualenv with ``requirements`` installed, made once (pip, from PyPI) and kept.

    It stands for the project's own: the product finds it as ``.venv`` in the project's copy,
    so the examples and the library lines come from it, never from this interpreter.
    """
    key = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:12]
    venv = VENVS / key
    if not (venv / "done").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *requirements]
        subprocess.run(pip, check=True)
        (venv / "done").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    return venv


def prepare(task: Task, tasks: list[Task], destination: Path) -> tuple[Path, str, str]:
    """Copy the task's project to ``destination`` with every task's body blanked.

    Returns the task's file in the copy, its blanked source and its reference source.
    """
    copy = fresh_copy(PROJECTS / task.project, destination)
    if task.requirements:
        (copy / ".venv").symlink_to(project_venv(task.requirements), target_is_directory=True)
    original = (copy / task.file).read_text(encoding="utf-8")
    for other in tasks:
        if other.project == task.project:
            path = copy / other.file
            path.write_text(
                blank_body(path.read_text(encoding="utf-8"), other.function), encoding="utf-8"
            )
    path = copy / task.file
    return path, path.read_text(encoding="utf-8"), original


def judge(root: Path, task: Task, timeout_s: float) -> tuple[bool, str, str]:
    """Run the hidden tests from ``root``: (passed, the error's type or "", the output's tail)."""
    own = root / ".venv" / "bin" / "python"
    python = str(own) if own.exists() else sys.executable
    judged = run_in_project(root, ["-c", "\n".join(task.tests)], timeout_s, python)
    if judged.passed:
        return True, "", ""
    if judged.returncode == 124:
        return False, "Timeout", judged.tail[-600:]
    kinds = ERROR_LINE.findall(judged.tail)
    return False, kinds[-1] if kinds else f"exit {judged.returncode}", judged.tail[-600:]


def written(blanked: str, task: Task, candidate: Any) -> str:
    """The task's file with ``candidate`` put in as the product's edit puts it."""
    try:
        text = apply_replacement(blanked, candidate.replacement)
        ast.parse(text)
    except (AttributeError, SyntaxError):
        text = insert_body(blanked, task.function, candidate.body)
    return text


def lookup_failures(candidate: Any) -> list[str]:
    """The candidate's run errors and example exceptions that are NameError/AttributeError."""
    texts = [candidate.run.error] + [r.exception for r in candidate.run.results]
    return [t for t in texts if t and any(name in t for name in LOOKUP_ERRORS)]


def run_task(
    arm: Arm, task: Task, tasks: list[Task], scratch: Path, timeout_s: float
) -> dict[str, Any]:
    """Write the task's function with the pipeline and judge the top candidate and the rest."""
    path, blanked, original = prepare(task, tasks, scratch)
    line0 = find_def(ast.parse(blanked), task.function).lineno - 1
    row: dict[str, Any] = {"task": task.id, "arm": arm.name, "example": task.has_example()}
    started = time.perf_counter()
    try:
        result = arm.implement(scratch, path, blanked, line0, original)
    except Exception as error:  # a crash is a failed task, and is shown
        row.update(seconds=time.perf_counter() - started, passed=False, error=repr(error))
        return row
    row["seconds"] = time.perf_counter() - started
    candidates = result.candidates
    row.update(
        candidates=len(candidates),
        context_tokens=getattr(result, "context_tokens", 0),
        definitions=len(getattr(result, "definitions", []) or []),
        lookup_error_candidates=sum(bool(lookup_failures(c)) for c in candidates),
        lookup_errors=sorted({t for c in candidates for t in lookup_failures(c)})[:3],
        notes=list(result.notes),
    )
    verdicts = []
    for candidate in candidates:
        path.write_text(written(blanked, task, candidate), encoding="utf-8")
        verdicts.append(judge(scratch, task, timeout_s))
    path.write_text(blanked, encoding="utf-8")
    if not candidates:
        row.update(passed=False, any_passed=False, failure="no candidate")
        return row
    passed, failure, tail = verdicts[0]
    row.update(
        passed=passed,
        any_passed=any(v[0] for v in verdicts),
        failure=failure,
        top_examples=f"{candidates[0].run.passed}/{candidates[0].run.total}",
        verified=bool(getattr(candidates[0], "verified", False)),
        body=candidates[0].body,
    )
    if not passed:
        row["test_tail"] = tail
    return row


def validate(tasks: list[Task], work: Path, timeout_s: float) -> dict[str, Any]:
    """The oracle check: reference bodies pass through the product's edit, ``pass`` fails."""
    from repo_context import oracle_result

    problems = []
    for task in tasks:
        scratch = work / "oracle" / task.id.replace(":", "__")
        path, blanked, original = prepare(task, tasks, scratch)
        passed_blank, _, _ = judge(scratch, task, timeout_s)
        line0 = find_def(ast.parse(blanked), task.function).lineno - 1
        candidate = oracle_result(blanked, line0, original).candidates[0]
        path.write_text(written(blanked, task, candidate), encoding="utf-8")
        passed_reference, failure, tail = judge(scratch, task, timeout_s)
        if passed_blank:
            problems.append(f"{task.id}: the hidden tests pass with `pass`")
        if not passed_reference:
            problems.append(f"{task.id}: the reference fails ({failure}): {tail}")
        print(
            f"[oracle] {task.id:32} example {'yes' if task.has_example() else 'no ':3} "
            f"reference {'PASS' if passed_reference else 'FAIL'}  "
            f"blank {'fails' if not passed_blank else 'PASSES'}",
            flush=True,
        )
        shutil.rmtree(scratch, ignore_errors=True)
    examples = sum(t.has_example() for t in tasks)
    for problem in problems:
        print(problem)
    return {"tasks": len(tasks), "with_example": examples, "problems": problems}


def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def rate(selected: list[dict[str, Any]]) -> list[int]:
        return [sum(r["passed"] for r in selected), len(selected)]

    tokens = [r.get("context_tokens", 0) for r in rows]
    seconds = [r["seconds"] for r in rows]
    failures: dict[str, int] = {}
    for row in rows:
        if not row["passed"]:
            kind = row.get("failure") or "crash"
            failures[kind] = failures.get(kind, 0) + 1
    return {
        "tasks": len(rows),
        "passed": sum(r["passed"] for r in rows),
        "pass_rate": sum(r["passed"] for r in rows) / len(rows) if rows else float("nan"),
        "with_example": rate([r for r in rows if r["example"]]),
        "without_example": rate([r for r in rows if not r["example"]]),
        "any_passed": sum(r.get("any_passed", False) for r in rows),
        "context_tokens_mean": statistics.fmean(tokens) if tokens else 0.0,
        "context_tokens_median": statistics.median(tokens) if tokens else 0.0,
        "tasks_with_context": sum(t > 0 for t in tokens),
        "seconds_mean": statistics.fmean(seconds) if seconds else 0.0,
        "seconds_median": statistics.median(seconds) if seconds else 0.0,
        "candidates": sum(r.get("candidates", 0) for r in rows),
        "lookup_error_candidates": sum(r.get("lookup_error_candidates", 0) for r in rows),
        "top_failures": dict(sorted(failures.items(), key=lambda kv: -kv[1])),
        "crashed": sum("error" in r for r in rows),
        "verified": sum(r.get("verified", False) for r in rows),
        "verified_passed": sum(r.get("verified", False) and r["passed"] for r in rows),
    }


def markdown(summary: dict[str, dict[str, Any]], comparison: dict[str, Any] | None) -> str:
    lines = [
        "| arm | top-1 | with example / without | any of n | won / lost | context tokens "
        "mean / median | generation s mean / median | candidates with NameError/AttributeError "
        "in examples | top candidate's failures | verified (right) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, fig in summary.items():
        if comparison is None:
            won_lost = "-"
        else:
            mine, theirs = ("won", "lost") if name == "on" else ("lost", "won")
            won_lost = f"{comparison[mine]} / {comparison[theirs]}"
        failures = ", ".join(f"{k} {v}" for k, v in fig["top_failures"].items()) or "-"
        label = {
            "on": "cross-file on",
            "off": "cross-file off",
            "noproposals": "on, no proposed calls",
            "novariants": "on, no calls near the examples",
        }.get(name, name)
        lines.append(
            f"| {label} | {fig['passed']}/{fig['tasks']} ({fig['pass_rate']:.0%}) "
            f"| {fig['with_example'][0]}/{fig['with_example'][1]} / "
            f"{fig['without_example'][0]}/{fig['without_example'][1]} "
            f"| {fig['any_passed']}/{fig['tasks']} | {won_lost} "
            f"| {fig['context_tokens_mean']:.0f} / {fig['context_tokens_median']:.0f} "
            f"| {fig['seconds_mean']:.1f} / {fig['seconds_median']:.1f} "
            f"| {fig['lookup_error_candidates']} of {fig['candidates']} | {failures} "
            f"| {fig['verified']} ({fig['verified_passed']}) |"
        )
    if comparison is not None:
        low, high = comparison["ci95"]
        lines.append("")
        lines.append(
            f"on - {comparison['against']}: {comparison['difference']:+.1%} (paired bootstrap 95% "
            f"[{low:+.1%}, {high:+.1%}]), won {comparison['won']}, lost {comparison['lost']}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    tasks = load_tasks(Path(args.tasks_file))
    selected = tasks[: args.tasks or None]
    work = Path(args.work)
    arms = [a for a in args.arms.split(",") if a]
    if arms == ["oracle"]:
        return validate(selected, work, args.timeout)
    if not set(arms) <= {"on", "off", "noproposals", "novariants"}:
        raise SystemExit(
            "--arms takes on, off, noproposals, novariants, joined by commas (or oracle alone)"
        )
    print(
        f"model {args.model}: {len(selected)} tasks x arms {','.join(arms)}, n={args.n}, "
        f"seed {args.seed}; hidden tests time out after {args.timeout:.0f} s",
        flush=True,
    )

    def one(arm: Arm, task: Task, scratch: Path) -> dict[str, Any]:
        return run_task(arm, task, tasks, scratch, args.timeout)

    def line(task: Task, row: dict[str, Any]) -> str:
        return (
            f"{task.id:28} {'PASS' if row['passed'] else 'fail':4} {row.get('failure', ''):16} "
            f"any {'yes' if row.get('any_passed') else 'no ':3} "
            f"{row['seconds']:6.1f} s ctx {row.get('context_tokens', 0):>4} tok"
        )

    started = time.perf_counter()
    rows, loads = run_arms(args, arms, selected, one, line)
    summary = {name: figures(rows[name]) for name in arms}
    comparison = None
    others = [a for a in arms if a != "on"]
    if "on" in arms and len(others) == 1:
        on, against = [r["passed"] for r in rows["on"]], [r["passed"] for r in rows[others[0]]]
        comparison = {**paired(on, against), "against": others[0]}
    print()
    print("| task | example |" + "".join(f" {a} |" for a in arms))
    print("|---|---|" + "---|" * len(arms))
    for i, task in enumerate(selected):
        cells = "".join(
            f" {'PASS' if rows[a][i]['passed'] else rows[a][i].get('failure') or 'fail'} "
            f"({rows[a][i].get('context_tokens', 0)} tok) |"
            for a in arms
        )
        print(f"| {task.id} | {'yes' if task.has_example() else 'no'} |{cells}")
    print()
    print(markdown(summary, comparison))
    elapsed = time.perf_counter() - started
    print(
        f"\nmodel load s: {', '.join(f'{a} {s:.1f}' for a, s in loads.items())}; "
        f"total {elapsed / 60:.1f} min"
    )
    output = {
        "model": args.model,
        "n": args.n,
        "seed": args.seed,
        "tasks": len(selected),
        "arms": summary,
        f"on_vs_{others[0] if comparison else 'off'}": comparison,
        "model_load_s": loads,
        "minutes": round(elapsed / 60, 1),
    }
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps({**output, "rows": rows}, indent=1, default=str) + "\n", encoding="utf-8"
        )
    return output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_options(parser, n=4, timeout_s=20.0)
    parser.add_argument(
        "--arms",
        default="on,off",
        help="on, off, noproposals, novariants (commas), or oracle (no model)",
    )
    parser.add_argument("--work", default=str(DEFAULT_WORK), help="the projects' copies")
    parser.add_argument("--tasks-file", default=str(TASKS_FILE))
    args = parse_run_options(parser)
    output = run(args)
    print(json.dumps(output, default=str))
    return 1 if output.get("problems") else 0


if __name__ == "__main__":
    sys.exit(main())
