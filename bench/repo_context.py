"""Repo-level benchmark: does cross-file context help write real functions of real projects?

Three pure-Python packages whose sdists ship their tests (pinned in ``PACKAGES``) are downloaded
from PyPI and unpacked under ``--work`` (default ``.cache/repo-bench/``). A task is one documented
module-level function of a package: its body is blanked (the docstring stays, the body becomes
``pass``) in a fresh copy of the project, the pipeline writes candidates with the rest of the
package as the project, the top candidate's edit is applied, and the package's OWN tests that call
the function decide: ``python -m pytest -q -x -p no:cacheprovider -p no:asyncio <test ids>`` from
the copy's root, under this interpreter, with a time limit. Two arms per task with the same seed:
cross-file context on and off (``settings.project.cross_file_context``).

    .venv/bin/python bench/repo_context.py --select        # download, select, validate, write
    .venv/bin/python bench/repo_context.py [--tasks N] [--n 8] [--seed 1] [--arms on,off]
        [--model qwen2.5-coder-0.5b] [--prompt-format auto] [--json OUT]
    .venv/bin/python bench/repo_context.py --arms oracle   # no model: checks edit + judge
    .venv/bin/python bench/repo_context.py --show-context  # no model: what "on" adds per task

The full run (48 tasks x 2 arms x 8 samples) takes hours on 2 CPU cores (about 45-100 s per
task and arm at ``--n 4`` on a busy 2-core machine); ``--tasks 3 --n 4`` is the smoke run.
``--arms oracle`` puts every original body back through the product's edit and must pass 48/48.

Selection (``--select``, writes bench/repo_context_tasks.json; the runs read that file so they are
comparable). Mechanical and seeded (``--select-seed``, default 1):

1. candidates: every public (no leading ``_``) module-level ``def`` in the package's non-test
   modules with a docstring and a body of 3-25 lines after the docstring, whose name is defined
   by a top-level ``def`` in no other module of the package;
2. its tests: every test function or ``test*`` method (in a ``Test*`` class or a class with a
   base) of the package's test files whose body calls the function by name, the name being
   imported from the function's module or the package root (``from pkg.mod import f``, ``from pkg
   import *``, ``import pkg as p; p.f(...)``); a function without such a test is no candidate;
   at most ``MAX_TESTS`` ids, those whose name contains the function's name first;
3. cross-file names: identifiers in the signature (annotations, defaults), the decorators, and
   the docstring's code (backquoted names, ``>>>`` lines) that another module of the package
   defines at top level (def, class, assignment) and the function's own module neither defines
   nor imports from outside the package (builtins and stdlib module names never count); the same
   test on the names the original body uses gives the body's cross-file names;
4. order per package: candidates with a cross-file name first, then those whose body alone
   has one, then the rest, each group shuffled with
   ``random.Random(f"{seed}:{package}")``; walking that order, a candidate becomes a task when its
   tests pass with the original body and fail with ``pass`` as the body, until ``--per-package``
   tasks (default 16).

Figures per arm: top-1 pass rate, tasks won/lost against the other arm and a paired bootstrap 95%
interval of the difference, the estimated tokens the cross-file context added (mean, median),
generation seconds per task (mean, median), and candidates whose sandbox run failed with
ModuleNotFoundError/ImportError (the goal is zero). The last line is one JSON object; ``--json
OUT`` also writes the per-task rows. The judge runs model-written code outside the sandbox (the
package's tests import it): run this benchmark only on a machine where that is acceptable.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TASKS_FILE = Path(__file__).resolve().parent / "repo_context_tasks.json"
DEFAULT_WORK = REPO / ".cache" / "repo-bench"
MIN_BODY_LINES, MAX_BODY_LINES = 3, 25
MAX_TESTS = 20
PYTEST_FLAGS = ("-q", "-x", "-p", "no:cacheprovider", "-p", "no:asyncio")
PIP_DOWNLOAD = (sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:")
IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError")
NOT_PROJECT = set(dir(builtins)) | set(sys.stdlib_module_names)
"""Names never counted as the project's own (toolz re-binds ``map = map`` and the like)."""


@dataclass(frozen=True)
class Package:
    """A PyPI project pinned to one sdist, and the import package inside it."""

    name: str
    version: str
    package: str
    """The import package's directory relative to the sdist's root (e.g. ``toolz``)."""

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


PACKAGES = (
    Package("more-itertools", "11.2.1", "more_itertools"),
    Package("toolz", "1.2.0", "toolz"),
    Package("boltons", "26.2.0", "boltons"),
)


@dataclass
class Task:
    """One function to write, and the package's tests that judge it."""

    id: str
    package: str
    file: str
    """Path of the function's module relative to the project root."""
    function: str
    line: int
    """1-based line of the ``def`` in the original file."""
    body_lines: int
    tests: list[str]
    cross_file_names: list[str] = field(default_factory=list)
    """Names in the signature, decorators or docstring defined in other modules of the package."""
    body_cross_file_names: list[str] = field(default_factory=list)
    """Names the original body uses that other modules define (information only)."""


# --------------------------------------------------------------------------- projects


def project_dir(work: Path, package: Package) -> Path:
    """Download (once) and unpack (once) ``package``'s sdist; return the pristine project root."""
    sdists = work / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    stem = package.name.replace("-", "_")
    found = sorted(sdists.glob(f"{stem}-{package.version}.tar.gz")) + sorted(
        sdists.glob(f"{package.name}-{package.version}.tar.gz")
    )
    if not found:
        subprocess.run(
            [*PIP_DOWNLOAD, package.requirement, "-d", str(sdists)],
            check=True,
        )
        found = sorted(sdists.glob(f"{stem}-{package.version}.tar.gz")) + sorted(
            sdists.glob(f"{package.name}-{package.version}.tar.gz")
        )
    if not found:
        raise SystemExit(f"no sdist of {package.requirement} in {sdists}")
    source = work / "src"
    with tarfile.open(found[0]) as archive:
        top = archive.getnames()[0].split("/")[0]
        root = source / top
        if not root.is_dir():
            source.mkdir(parents=True, exist_ok=True)
            if hasattr(tarfile, "data_filter"):
                archive.extractall(source, filter="data")
            else:  # pragma: no cover - Python < 3.11.4
                archive.extractall(source)
    return root


def fresh_copy(root: Path, destination: Path) -> Path:
    """Copy the pristine project to ``destination`` (replacing it), without bytecode caches."""
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(root, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return destination


def python_path(root: Path) -> str:
    """The PYTHONPATH that makes the project importable from its root (and ``src/`` layouts)."""
    paths = [str(root)] + ([str(root / "src")] if (root / "src").is_dir() else [])
    return os.pathsep.join(paths)


@dataclass
class TestRun:
    """The package's tests on one version of the function."""

    passed: bool
    returncode: int
    seconds: float
    tail: str


def run_tests(root: Path, tests: list[str], timeout_s: float) -> TestRun:
    """Run ``tests`` (pytest node ids) from ``root``; pass when pytest exits 0."""
    return run_in_project(root, ["-m", "pytest", *PYTEST_FLAGS, *tests], timeout_s)


def run_in_project(
    root: Path, arguments: list[str], timeout_s: float, python: str = sys.executable
) -> TestRun:
    """Run ``python`` with ``arguments`` from ``root`` (importable), killed at the limit."""
    env = {
        **os.environ,
        "PYTHONPATH": python_path(root),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    env.pop("PYTEST_ADDOPTS", None)
    command = [python, *arguments]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout_s)
        code = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        code, output = 124, (output or "") + f"\n[timed out after {timeout_s:.0f} s]"
    return TestRun(code == 0, code, time.perf_counter() - started, (output or "")[-2000:])


# --------------------------------------------------------------------------- source surgery


def find_def(tree: ast.Module, name: str) -> ast.FunctionDef:
    """Return the module-level function ``name``, or for ``Class.method`` the class's method."""
    owner, _, method = name.rpartition(".")
    body: list[ast.stmt] = tree.body
    if owner:
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner]
        body = classes[0].body if classes else []
    for node in body:
        if isinstance(node, ast.FunctionDef) and node.name == method:
            return node
    raise LookupError(f"no module-level def {name}")


def body_span(node: ast.FunctionDef) -> tuple[int, int]:
    """1-based (first, last) lines of the body after the docstring."""
    return node.body[0].end_lineno + 1, node.body[-1].end_lineno  # type: ignore[operator,return-value]


def blank_body(source: str, name: str) -> str:
    """Return ``source`` with ``name``'s body after its docstring replaced by ``pass``."""
    node = find_def(ast.parse(source), name)
    first, last = body_span(node)
    lines = source.splitlines(keepends=True)
    indent = " " * node.body[0].col_offset
    return "".join([*lines[: first - 1], f"{indent}pass\n", *lines[last:]])


def apply_replacement(source: str, replacement: Any) -> str:
    """Apply a ``TextReplacement`` (0-based line/column positions) to ``source``."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return offsets[min(line, len(lines))] + column

    start = offset(replacement.start_line, replacement.start_column)
    end = offset(replacement.end_line, replacement.end_column)
    return source[:start] + replacement.new_text + source[end:]


def insert_body(blanked: str, name: str, body: str) -> str:
    """Put ``body`` (indented body text) in place of ``name``'s ``pass`` (the fallback)."""
    node = find_def(ast.parse(blanked), name)
    first, last = body_span(node)
    lines = blanked.splitlines(keepends=True)
    return "".join([*lines[: first - 1], body.rstrip("\n") + "\n", *lines[last:]])


# --------------------------------------------------------------------------- selection

BACKQUOTED = re.compile(r"`+(?::\w+:`)?~?([A-Za-z_][\w.]*)(?:\(\))?`+")
CALLED = re.compile(r"(?<![.\w])([A-Za-z_]\w*)\s*\(")
IMPORTED = re.compile(r"^\s*from\s+[\w.]+\s+import\s+(.+)$")


def module_name(package: Package, relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_test_path(relative: Path) -> bool:
    return any(p in ("tests", "test", "testing") for p in relative.parts[:-1]) or (
        relative.name.startswith("test_") or relative.name.endswith("_test.py")
    )


def top_level_names(tree: ast.Module) -> set[str]:
    """Names a module defines at top level (functions, classes, assignments, imports)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def outside_imports(tree: ast.Module, package: Package) -> set[str]:
    """Names a module binds by importing them from outside ``package`` (stdlib, third party)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != package.package:
                names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != package.package:
                    names.add(alias.asname or alias.name.split(".")[0])
    return names


def docstring_code_names(docstring: str) -> set[str]:
    """Identifiers the docstring shows as code: backquoted, or in ``>>>``/``...`` lines."""
    names = {m.group(1).split(".")[-1] for m in BACKQUOTED.finditer(docstring)}
    for line in docstring.splitlines():
        stripped = line.strip()
        if stripped.startswith((">>>", "...")):
            code = stripped[3:]
            names.update(CALLED.findall(code))
            imported = IMPORTED.match(code)
            if imported:
                names.update(re.findall(r"[A-Za-z_]\w*", imported.group(1)))
    return names


def signature_names(node: ast.FunctionDef) -> set[str]:
    """Names in the decorators, annotations and defaults."""
    parts: list[ast.AST] = [*node.decorator_list, *node.args.defaults]
    parts += [d for d in node.args.kw_defaults if d is not None]
    args = node.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if arg is not None and arg.annotation is not None:
            parts.append(arg.annotation)
    if node.returns is not None:
        parts.append(node.returns)
    names: set[str] = set()
    for part in parts:
        for sub in ast.walk(part):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                names.update(re.findall(r"[A-Za-z_]\w*", sub.value))  # string annotations
    return names


@dataclass
class Module:
    relative: Path
    name: str
    tree: ast.Module
    defined: set[str]


def package_modules(root: Path, package: Package) -> list[Module]:
    modules = []
    for path in sorted((root / package.package).rglob("*.py")):
        relative = path.relative_to(root)
        if is_test_path(relative.relative_to(package.package)):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules.append(
            Module(relative, module_name(package, relative), tree, top_level_names(tree))
        )
    return modules


def test_files(root: Path, package: Package) -> list[Path]:
    return sorted(
        p.relative_to(root)
        for p in root.rglob("*.py")
        if (p.name.startswith("test_") or p.name.endswith("_test.py"))
        and "__pycache__" not in p.parts
    )


def test_functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef]]:
    """(node id suffix, function) of every test pytest would collect (approximately)."""
    found: list[tuple[str, ast.FunctionDef]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef) and (node.name.startswith("Test") or node.bases):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    found.append((f"{node.name}::{item.name}", item))
    return found


def test_imports(
    tree: ast.Module, package: Package, module: str
) -> tuple[dict[str, str], set[str]]:
    """Local names bound to functions of ``module`` (or the package root), and module aliases."""
    sources = {module, package.package}
    direct: dict[str, str] = {}
    aliases: set[str] = set()
    star = False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in sources:
                for alias in node.names:
                    if alias.name == "*":
                        star = True
                    else:
                        direct[alias.asname or alias.name] = alias.name
            elif node.module == package.package or node.module.startswith(package.package + "."):
                for alias in node.names:  # ``from pkg import mod``
                    if f"{node.module}.{alias.name}" == module:
                        aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in sources:
                    aliases.add(alias.asname or alias.name.split(".")[0])
                    if alias.asname is None and alias.name == module:
                        aliases.add(alias.name)
    if star:
        direct["*"] = "*"
    return direct, aliases


def calls_function(node: ast.AST, name: str, direct: dict[str, str], aliases: set[str]) -> bool:
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        func = sub.func
        if isinstance(func, ast.Name):
            if direct.get(func.id) == name or (func.id == name and "*" in direct):
                return True
        elif isinstance(func, ast.Attribute) and func.attr == name:
            root = func.value
            while isinstance(root, ast.Attribute):
                root = root.value
            dotted = ast.unparse(func.value)
            if isinstance(root, ast.Name) and (dotted in aliases or root.id in aliases):
                return True
    return False


def find_tests(root: Path, package: Package, module: str, name: str) -> list[str]:
    """Node ids of the package's tests that call ``module.name`` by name."""
    ids: list[str] = []
    for relative in test_files(root, package):
        tree = ast.parse((root / relative).read_text(encoding="utf-8"))
        direct, aliases = test_imports(tree, package, module)
        if not direct and not aliases:
            continue
        for suffix, function in test_functions(tree):
            if calls_function(function, name, direct, aliases):
                ids.append(f"{relative.as_posix()}::{suffix}")
    key = name.replace("_", "").lower()
    named = [i for i in ids if key in i.rsplit("::", 2)[-2:][0].replace("_", "").lower()]
    named += [i for i in ids if key in i.rsplit("::", 1)[-1].replace("_", "").lower()]
    ordered = list(dict.fromkeys(named + ids))
    return ordered[:MAX_TESTS]


def candidates(root: Path, package: Package) -> list[Task]:
    """Every function of ``package`` that may become a task (rule 1-3 of the module doc)."""
    modules = package_modules(root, package)
    defs: dict[str, int] = {}
    for module in modules:
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef):
                defs[node.name] = defs.get(node.name, 0) + 1
    found: list[Task] = []
    for module in modules:
        elsewhere = set().union(*(m.defined for m in modules if m is not module))
        local = module.defined | outside_imports(module.tree, package) | NOT_PROJECT
        for node in module.tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            docstring = ast.get_docstring(node)
            if not docstring or defs[node.name] > 1 or len(node.body) < 2:
                continue
            first, last = body_span(node)
            body_lines = last - first + 1
            if not MIN_BODY_LINES <= body_lines <= MAX_BODY_LINES:
                continue
            tests = find_tests(root, package, module.name, node.name)
            if not tests:
                continue
            mentioned = signature_names(node) | docstring_code_names(docstring)
            cross = sorted((mentioned & elsewhere) - local - {node.name})
            used = {
                n.id
                for statement in node.body[1:]
                for n in ast.walk(statement)
                if isinstance(n, ast.Name)
            }
            body_cross = sorted((used & elsewhere) - local - {node.name})
            found.append(
                Task(
                    id=f"{package.name}:{module.relative.as_posix()}:{node.name}",
                    package=package.name,
                    file=module.relative.as_posix(),
                    function=node.name,
                    line=node.lineno,
                    body_lines=body_lines,
                    tests=tests,
                    cross_file_names=cross,
                    body_cross_file_names=body_cross,
                )
            )
    return found


def ordered(found: list[Task], package: Package, seed: int) -> list[Task]:
    """Cross-file candidates first, then body-only ones, each group seeded-shuffled (rule 4)."""
    rng = random.Random(f"{seed}:{package.name}")
    groups: list[list[Task]] = [[], [], []]
    for task in found:
        groups[0 if task.cross_file_names else 1 if task.body_cross_file_names else 2].append(task)
    for group in groups:
        rng.shuffle(group)
    return [task for group in groups for task in group]


def validate(root: Path, scratch: Path, task: Task, timeout_s: float) -> tuple[bool, str]:
    """The task's tests pass with the original body and fail with ``pass``."""
    copy = fresh_copy(root, scratch)
    original = run_tests(copy, task.tests, timeout_s)
    if not original.passed:
        return False, f"original body fails (rc {original.returncode})"
    path = copy / task.file
    path.write_text(blank_body(path.read_text(encoding="utf-8"), task.function), "utf-8")
    blank = run_tests(copy, task.tests, timeout_s)
    if blank.passed:
        return False, "tests pass with `pass` as the body"
    return True, f"ok ({original.seconds:.1f} s + {blank.seconds:.1f} s)"


def select(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.work)
    tasks: list[Task] = []
    summary: dict[str, Any] = {}
    for package in PACKAGES:
        root = project_dir(work, package)
        found = ordered(candidates(root, package), package, args.select_seed)
        kept: list[Task] = []
        dropped: dict[str, str] = {}
        for task in found:
            if len(kept) >= args.per_package:
                break
            ok, why = validate(root, work / "scratch" / package.name, task, args.timeout)
            print(f"  {task.id:60} {why}", flush=True)
            if ok:
                kept.append(task)
            else:
                dropped[task.id] = why
        summary[package.name] = {
            "candidates": len(found),
            "with_cross_file_names": sum(bool(t.cross_file_names) for t in found),
            "selected": len(kept),
            "selected_cross_file": sum(bool(t.cross_file_names) for t in kept),
            "selected_body_cross_file": sum(
                bool(t.body_cross_file_names and not t.cross_file_names) for t in kept
            ),
            "dropped": dropped,
        }
        print(
            f"{package.requirement}: {len(found)} candidates "
            f"({summary[package.name]['with_cross_file_names']} with cross-file names), "
            f"{len(kept)} selected ({summary[package.name]['selected_cross_file']} cross-file), "
            f"{len(dropped)} dropped",
            flush=True,
        )
        tasks += kept
    document = {
        "rule": "see bench/repo_context.py's module docstring (Selection)",
        "select_seed": args.select_seed,
        "per_package": args.per_package,
        "packages": [asdict(p) for p in PACKAGES],
        "python": sys.version.split()[0],
        "summary": summary,
        "tasks": [asdict(t) for t in tasks],
    }
    Path(args.tasks_file).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"{len(tasks)} tasks written to {args.tasks_file}")
    return document


def load_tasks(path: Path) -> list[Task]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [Task(**row) for row in document["tasks"]]


# --------------------------------------------------------------------------- the runs


def import_failures(candidate: Any) -> list[str]:
    """The candidate's run errors and example exceptions that are import failures."""
    texts = [candidate.run.error] + [r.exception for r in candidate.run.results]
    return [t for t in texts if t and any(name in t for name in IMPORT_ERRORS)]


class Arm:
    """One pipeline, with cross-file context on or off; ``oracle`` writes the original body.

    ``noproposals`` is ``on`` without the calls the model proposes (``ranking.proposedInputs``);
    ``novariants`` is ``on`` without the calls near the examples (``ranking.exampleVariants``).

    The oracle arm loads no model: its one candidate is the function's original body, put in
    through the product's own edit (the function context's replacement range), which checks the
    blanking, the edit and the judge (every oracle task must pass).
    """

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        from codegen_lsp.pipeline import Pipeline
        from codegen_lsp.settings import Settings

        settings = Settings()
        settings.model.name = args.model
        settings.model.int8_graph = not args.no_int8_graph
        settings.sampling.n = args.n
        settings.sampling.seed = args.seed
        if args.prompt_format:
            settings.sampling.prompt_format = args.prompt_format
        # "noproposals": context on, but the model is not asked for calls to compare on;
        # "novariants": context on, but the candidates are not compared near the examples.
        settings.project.cross_file_context = name in ("on", "noproposals", "novariants")
        settings.ranking.proposed_inputs = name != "noproposals"
        settings.ranking.example_variants = name != "novariants"
        self.name = name
        self.pipeline = Pipeline(settings)
        try:
            from codegen_lsp import project
        except ImportError:  # an older server: no project awareness (a baseline)
            project = None
            print("codegen_lsp.project is missing: both arms run without project awareness")
        self.project = project
        started = time.perf_counter()
        if name != "oracle":
            self.pipeline.engine()
        self.load_s = time.perf_counter() - started

    def implement(self, root: Path, path: Path, source: str, line0: int, original: str) -> Any:
        if self.name == "oracle":
            return oracle_result(source, line0, original)
        if self.project is None:
            return self.pipeline.implement(source, line0, 0)
        own = root / ".venv" / "bin" / "python"  # a project virtualenv the bench made for it
        python = str(own) if own.exists() else sys.executable
        found = self.project.find_project(path, root=str(root), interpreter=python)
        if isinstance(found, self.project.Project):  # the planned shape: wrap it
            found = self.project.ProjectFile(path=str(path), project=found)
        return self.pipeline.implement(source, line0, 0, file=found)

    def close(self) -> None:
        self.pipeline.close()


def oracle_result(source: str, line0: int, original: str) -> Any:
    """A result whose one candidate is the original body, edited in as the product edits."""
    from types import SimpleNamespace

    from codegen_lsp.context import find_function
    from codegen_lsp.outcomes import TextReplacement
    from codegen_lsp.sandbox.types import CandidateRun

    ctx = find_function(source, line0, 0)
    node = find_def(ast.parse(original), ctx.qualified_name)
    first, last = body_span(node)
    body = "".join(original.splitlines(keepends=True)[first - 1 : last]).rstrip()
    replacement = TextReplacement(*ctx.replace_start, *ctx.replace_end, "\n" + body)
    candidate = SimpleNamespace(body=body, replacement=replacement, run=CandidateRun(), rank=1)
    return SimpleNamespace(candidates=[candidate], notes=[], context_tokens=0)


def run_task(arm: Arm, root: Path, scratch: Path, task: Task, timeout_s: float) -> dict[str, Any]:
    """Blank the function in a fresh copy, write it with the pipeline, judge the top candidate."""
    copy = fresh_copy(root, scratch)
    path = copy / task.file
    original = path.read_text(encoding="utf-8")
    if find_def(ast.parse(original), task.function).lineno != task.line:
        raise SystemExit(f"{task.id}: not at line {task.line}; the sdist differs from the tasks")
    blanked = blank_body(original, task.function)
    path.write_text(blanked, encoding="utf-8")
    row: dict[str, Any] = {"task": task.id, "arm": arm.name}
    started = time.perf_counter()
    try:
        result = arm.implement(copy, path, blanked, task.line - 1, original)
    except Exception as error:  # a crash is a failed task, and is shown
        row.update(seconds=time.perf_counter() - started, passed=False, error=repr(error))
        return row
    row["seconds"] = time.perf_counter() - started
    candidates = result.candidates
    failures = [(c.rank, text) for c in candidates for text in import_failures(c)]
    errors = [(c.rank, c.run.error) for c in candidates if c.run.error]
    row.update(
        candidates=len(candidates),
        context_tokens=getattr(result, "context_tokens", 0),
        definitions=len(getattr(result, "definitions", []) or []),
        prompt_chars=len(getattr(result, "prompt", "") or ""),
        import_error_candidates=len({rank for rank, _ in failures}),
        import_errors=sorted({text for _, text in failures})[:3],
        run_error_candidates=len(errors),
        run_errors=sorted({text for _, text in errors})[:3],
        notes=list(result.notes),
    )
    if not candidates:
        row.update(passed=False, test_tail="no candidate")
        return row
    top = candidates[0]
    row["top_examples"] = f"{top.run.passed}/{top.run.total}"
    row["top_run_error"] = top.run.error
    try:
        written = apply_replacement(blanked, top.replacement)
        ast.parse(written)
    except (AttributeError, SyntaxError):
        written = insert_body(blanked, task.function, top.body)
    path.write_text(written, encoding="utf-8")
    judged = run_tests(copy, task.tests, timeout_s)
    row.update(passed=judged.passed, test_seconds=round(judged.seconds, 2), body=top.body)
    if not judged.passed:
        row["test_tail"] = judged.tail[-600:]
    return row


def show_context(args: argparse.Namespace) -> dict[str, Any]:
    """Print what cross-file context each task's prompt would carry (no model, no tests)."""
    from codegen_lsp.context import find_function
    from codegen_lsp.crossfile import estimate_tokens
    from codegen_lsp.pipeline import Pipeline
    from codegen_lsp.project import find_project
    from codegen_lsp.settings import Settings

    tasks = load_tasks(Path(args.tasks_file))[: args.tasks or None]
    work = Path(args.work)
    roots = {p.name: project_dir(work, p) for p in PACKAGES}
    pipeline = Pipeline(Settings())
    shown: dict[str, Any] = {}
    try:
        for task in tasks:
            copy = fresh_copy(roots[task.package], work / "runs" / "context")
            path = copy / task.file
            blanked = blank_body(path.read_text(encoding="utf-8"), task.function)
            path.write_text(blanked, encoding="utf-8")
            file = find_project(path, root=str(copy), interpreter=sys.executable)
            ctx = find_function(blanked, task.line - 1, 0)
            definitions = pipeline.in_project(ctx, blanked, file).definitions
            tokens = estimate_tokens("\n\n".join(definitions)) if definitions else 0
            heads = [d.strip().splitlines()[-1].strip()[:40] for d in definitions]
            shown[task.id] = {"tokens": tokens, "definitions": list(definitions)}
            print(f"{task.id:60} {tokens:>5} tok  names {task.cross_file_names} -> {heads}")
    finally:
        pipeline.close()
        shutil.rmtree(work / "runs" / "context", ignore_errors=True)
    with_context = sum(v["tokens"] > 0 for v in shown.values())
    print(f"{with_context}/{len(shown)} tasks get cross-file context")
    return {"tasks": len(shown), "tasks_with_context": with_context}


def run_arms(
    args: argparse.Namespace,
    arms: list[str],
    tasks: Sequence[Any],
    run_one: Callable[[Arm, Any, Path], dict[str, Any]],
    line: Callable[[Any, dict[str, Any]], str],
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, float]]:
    """Run every task under each arm in turn (one pipeline per arm); return rows and load times.

    ``run_one(arm, task, scratch)`` writes and judges one task in the folder ``scratch``
    (removed afterwards unless ``--keep``); ``line(task, row)`` is its progress line.
    """
    rows: dict[str, list[dict[str, Any]]] = {}
    loads: dict[str, float] = {}
    for name in arms:
        arm = Arm(name, args)
        loads[name] = arm.load_s
        rows[name] = []
        try:
            for index, task in enumerate(tasks):
                folder = task.id.replace(":", "__").replace("/", "_")
                scratch = Path(args.work) / "runs" / name / folder
                row = run_one(arm, task, scratch)
                rows[name].append(row)
                if not args.keep:
                    shutil.rmtree(scratch, ignore_errors=True)
                print(
                    f"[{name}] {index + 1:>3}/{len(tasks)} {line(task, row)}"
                    + (f" ERROR {row['error']}" if "error" in row else ""),
                    flush=True,
                )
        finally:
            arm.close()
    return rows, loads


def paired(on: list[bool], off: list[bool]) -> dict[str, Any]:
    from codegen_lsp.eval.passk import paired_bootstrap

    mean, low, high = paired_bootstrap([float(x) for x in on], [float(x) for x in off])
    return {
        "won": sum(a and not b for a, b in zip(on, off, strict=True)),
        "lost": sum(b and not a for a, b in zip(on, off, strict=True)),
        "difference": mean,
        "ci95": [low, high],
    }


def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [r["seconds"] for r in rows]
    tokens = [r.get("context_tokens", 0) for r in rows]
    return {
        "tasks": len(rows),
        "passed": sum(r["passed"] for r in rows),
        "pass_rate": sum(r["passed"] for r in rows) / len(rows) if rows else float("nan"),
        "context_tokens_mean": statistics.fmean(tokens) if tokens else 0.0,
        "context_tokens_median": statistics.median(tokens) if tokens else 0.0,
        "seconds_mean": statistics.fmean(seconds) if seconds else 0.0,
        "seconds_median": statistics.median(seconds) if seconds else 0.0,
        "import_error_candidates": sum(r.get("import_error_candidates", 0) for r in rows),
        "run_error_candidates": sum(r.get("run_error_candidates", 0) for r in rows),
        "no_candidate": sum(r.get("candidates", 1) == 0 for r in rows),
        "crashed": sum("error" in r for r in rows),
        "tasks_with_context": sum(r.get("context_tokens", 0) > 0 for r in rows),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    tasks_file = Path(args.tasks_file)
    if not tasks_file.exists():
        select(args)
    tasks = load_tasks(tasks_file)[: args.tasks or None]
    work = Path(args.work)
    roots = {p.name: project_dir(work, p) for p in PACKAGES}
    arms = [a for a in args.arms.split(",") if a]
    if not set(arms) <= {"on", "off", "oracle"}:
        raise SystemExit("--arms takes on, off, on,off (or oracle: the original bodies)")
    print(
        f"model {args.model}: {len(tasks)} tasks x arms {','.join(arms)}, n={args.n}, "
        f"seed {args.seed}, prompt format {args.prompt_format or 'default'}; tests time out "
        f"after {args.timeout:.0f} s",
        flush=True,
    )

    def one(arm: Arm, task: Task, scratch: Path) -> dict[str, Any]:
        return run_task(arm, roots[task.package], scratch, task, args.timeout)

    def line(task: Task, row: dict[str, Any]) -> str:
        return (
            f"{task.id:58} {'PASS' if row['passed'] else 'fail'} {row['seconds']:6.1f} s "
            f"ctx {row.get('context_tokens', 0):>4} tok"
            + (
                f" import-errors {row['import_error_candidates']}"
                if row.get("import_error_candidates")
                else ""
            )
        )

    rows, loads = run_arms(args, arms, tasks, one, line)
    print()
    header = f"{'task':58}" + "".join(f" {a + ' pass':>8} {'s':>6} {'ctx':>5}" for a in arms)
    print(header)
    for i, task in enumerate(tasks):
        cells = "".join(
            f" {'PASS' if rows[a][i]['passed'] else '-':>8} {rows[a][i]['seconds']:6.1f} "
            f"{rows[a][i].get('context_tokens', 0):>5}"
            for a in arms
        )
        print(f"{task.id[-58:]:58}{cells}")
    summary = {name: figures(rows[name]) for name in arms}
    print()
    print(
        f"{'arm':6} {'top-1 pass':>14} {'ctx tok mean/median':>20} {'gen s mean/median':>18}"
        f" {'import-err cands':>16} {'run-err cands':>13} {'no cand':>7}"
    )
    for name, fig in summary.items():
        print(
            f"{name:6} {fig['passed']:>4}/{fig['tasks']:<3} {fig['pass_rate']:6.1%}"
            f" {fig['context_tokens_mean']:>10.0f} / {fig['context_tokens_median']:<7.0f}"
            f" {fig['seconds_mean']:>8.1f} / {fig['seconds_median']:<7.1f}"
            f" {fig['import_error_candidates']:>16} {fig['run_error_candidates']:>13}"
            f" {fig['no_candidate']:>7}"
        )
    comparison = None
    if arms == ["on", "off"] or arms == ["off", "on"]:
        comparison = paired([r["passed"] for r in rows["on"]], [r["passed"] for r in rows["off"]])
        low, high = comparison["ci95"]
        print(
            f"on vs off: won {comparison['won']}, lost {comparison['lost']}, difference "
            f"{comparison['difference']:+.1%} (paired bootstrap 95% [{low:+.1%}, {high:+.1%}])"
        )
    print(f"model load s: {', '.join(f'{a} {s:.1f}' for a, s in loads.items())}")
    output = {
        "model": args.model,
        "prompt_format": args.prompt_format or "default",
        "n": args.n,
        "seed": args.seed,
        "tasks": len(tasks),
        "arms": summary,
        "on_vs_off": comparison,
        "model_load_s": loads,
    }
    if args.json:
        Path(args.json).write_text(
            json.dumps({**output, "rows": rows}, indent=1, default=str) + "\n", encoding="utf-8"
        )
    return output


def add_run_options(parser: argparse.ArgumentParser, n: int, timeout_s: float) -> None:
    """The options both repo-level benches take (this one and bench/project_context.py)."""
    parser.add_argument("--tasks", type=int, default=0, help="the first N tasks (0: all)")
    parser.add_argument("--n", type=int, default=n, help="samples per task")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default=None, help="default: the product's default model")
    parser.add_argument(
        "--prompt-format", default="", help="override sampling.promptFormat (auto, raw, chat, fim)"
    )
    parser.add_argument(
        "--no-int8-graph",
        action="store_true",
        help="run everything on the int4 graph (model.int8Graph off): a larger model's int8 "
        "graph is built from an fp32 export, which needs several times its size in memory",
    )
    parser.add_argument("--json", default="", help="write the summary and per-task rows here")
    parser.add_argument("--timeout", type=float, default=timeout_s, help="seconds per test run")
    parser.add_argument("--keep", action="store_true", help="keep each task's project copy")


def parse_run_options(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the command line; ``--model`` defaults to the product's default model."""
    args = parser.parse_args()
    if args.model is None:
        from codegen_lsp.settings import Settings

        args.model = Settings().model.name
    return args


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_options(parser, n=8, timeout_s=60.0)
    parser.add_argument("--select", action="store_true", help="(re)build the task list and stop")
    parser.add_argument("--arms", default="on,off", help="on, off, or on,off")
    parser.add_argument("--work", default=str(DEFAULT_WORK), help="sdists, sources and copies")
    parser.add_argument("--tasks-file", default=str(TASKS_FILE))
    parser.add_argument("--per-package", type=int, default=16, help="--select: tasks per package")
    parser.add_argument("--select-seed", type=int, default=1, help="--select: the shuffle's seed")
    parser.add_argument(
        "--show-context", action="store_true", help="print each task's cross-file context and stop"
    )
    args = parse_run_options(parser)
    if args.select:
        select(args)
        return 0
    if args.show_context:
        print(json.dumps(show_context(args)))
        return 0
    print(json.dumps(run(args), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
