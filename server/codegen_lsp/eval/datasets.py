"""Evaluation tasks from HumanEval-format and MBPP-format files.

A task is what a user would write: a prompt (imports, helpers, a signature and a docstring with
examples) and the hidden tests that judge a body but are never shown to the ranking. HumanEval
rows are used as they are. MBPP rows are converted as LEVER does: the reference solution's
signature, a docstring holding the task's description and its first test as an example, and
every test as the hidden check; ``mbpp-train+`` and ``mbpp-validation+`` judge them on more
calls too, against the reference solution (``models/verifier/mbpp_plus.py``). HumanEval+ rows
(EvalPlus, ``humaneval+``) keep HumanEval's prompt; their hidden check runs the body and the
canonical solution on every base and plus input and requires equal outputs, floats within the
row's ``atol`` (``find_zero`` is judged by its polynomial's value at the returned root, as
EvalPlus does).
"""

from __future__ import annotations

import ast
import dataclasses
import gzip
import json
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

# $CODEGEN_LSP_DATA, then ../shared/data from the working directory, then the folder of that name
# beside this checkout (the project's machines keep the datasets there).
DATA_DIRS = (
    "$CODEGEN_LSP_DATA",
    "../shared/data",
    str(Path(__file__).resolve().parents[3].parent / "shared" / "data"),
)
NAMED = {
    "humaneval": "HumanEval.jsonl.gz",
    "humaneval+": "HumanEvalPlus.jsonl.gz",
    "mbpp-train": "mbpp-train.jsonl",
    "mbpp-validation": "mbpp-validation.jsonl",
    "mbpp-prompt": "mbpp-prompt.jsonl",
}
MBPP_PLUS = {"mbpp-train+": "mbpp-train.jsonl", "mbpp-validation+": "mbpp-validation.jsonl"}
"""MBPP judged on more calls than its three asserts (``models/verifier/mbpp_plus.py``)."""
MBPP_PLUS_CALLS = Path(__file__).resolve().parent.parent / "data" / "mbpp-plus-inputs.jsonl.gz"
"""Per MBPP train and validation task, the calls the reference answers (argument tuples)."""


class DatasetError(ValueError):
    """A dataset that cannot be found or read; the message says what to do."""


@dataclass(frozen=True)
class Task:
    """One problem: what the user writes, and the hidden tests that judge a body."""

    task_id: str
    prompt: str
    entry_point: str
    test: str
    """Source defining ``check(candidate)``, which raises when the candidate is wrong."""


def find_data_file(name: str) -> Path:
    """Locate a named dataset file in ``$CODEGEN_LSP_DATA`` or the shared data folders."""
    for directory in DATA_DIRS:
        base = os.path.expandvars(directory)
        if base.startswith("$"):
            continue
        path = Path(base) / name
        if path.is_file():
            return path
    raise DatasetError(
        f"{name} not found; set $CODEGEN_LSP_DATA to the folder holding it "
        f"(looked in {', '.join(DATA_DIRS)})"
    )


def load_tasks(spec: str, shown: int = 1) -> list[Task]:
    """Load ``humaneval``, ``mbpp-train``, ``mbpp-validation`` or any HumanEval/MBPP jsonl(.gz).

    ``shown``: how many of an MBPP task's tests its docstring shows as examples.
    ``mbpp-train+`` and ``mbpp-validation+`` are those tasks judged on more calls too.
    """
    named = NAMED | MBPP_PLUS
    path = find_data_file(named[spec]) if spec in named else Path(spec)
    if not path.is_file():
        raise DatasetError(
            f"{spec}: no such dataset; use one of {', '.join(named)} or a .jsonl path"
        )
    plus = read_plus_calls() if spec in MBPP_PLUS else {}
    opener = gzip.open if path.suffix == ".gz" else open
    tasks = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                task = task_from_row(row, shown)
                tasks.append(with_plus_calls(task, row, plus[task.task_id]) if plus else task)
            except (ValueError, KeyError, SyntaxError, TypeError) as error:
                raise DatasetError(
                    f"{path}:{number}: not a HumanEval or MBPP row ({error})"
                ) from error
    return tasks


def task_from_row(row: dict[str, object], shown: int = 1) -> Task:
    """Read one HumanEval row (prompt, test, entry_point) or convert one MBPP or EvalPlus row.

    ``shown``: how many of an MBPP row's tests become examples in the docstring.
    """
    if "plus_input" in row and "canonical_solution" in row:
        return evalplus_task(row)
    if "prompt" in row and "entry_point" in row:
        return Task(
            str(row["task_id"]), str(row["prompt"]), str(row["entry_point"]), str(row["test"])
        )
    if "text" in row and "test_list" in row:
        return mbpp_task(row, shown)
    raise KeyError("need prompt/entry_point/test (HumanEval) or text/code/test_list (MBPP)")


PLUS_CHECK = """
def _plus_check(candidate):
    import copy as _copy
    import math as _math

    def same(got, expected):  # EvalPlus: equal, floats within atol (and rel 1e-7)
        if isinstance(expected, bool) or isinstance(got, bool):
            return got == expected
        if isinstance(expected, float) or isinstance(got, float):
            return isinstance(got, (int, float)) and _math.isclose(
                got, expected, rel_tol=1e-07, abs_tol=_PLUS_ATOL
            )
        if isinstance(expected, (list, tuple)):
            return (
                type(got) is type(expected)
                and len(got) == len(expected)
                and all(same(g, e) for g, e in zip(got, expected))
            )
        return got == expected

    namespace = {}
    exec(_PLUS_REFERENCE, namespace)
    reference = namespace[_PLUS_ENTRY]
    for arguments in _PLUS_INPUTS:
        got = candidate(*_copy.deepcopy(arguments))
        if _PLUS_ENTRY == "find_zero":  # any root will do: the polynomial must vanish there
            assert abs(namespace["poly"](*_copy.deepcopy(arguments), got)) <= _PLUS_ATOL, arguments
            continue
        expected = reference(*_copy.deepcopy(arguments))
        assert same(got, expected), (arguments, got, expected)
"""
"""Judges ``candidate`` on ``_PLUS_INPUTS``: it must return what ``_PLUS_REFERENCE`` does."""


def evalplus_task(row: dict[str, object]) -> Task:
    """Convert one HumanEval+ row: HumanEval's prompt, judged on every base and plus input."""
    inputs = [*row["base_input"], *row["plus_input"]]  # type: ignore[misc]
    entry = str(row["entry_point"])
    constants = (
        f"_PLUS_REFERENCE = {str(row['prompt']) + str(row['canonical_solution'])!r}\n"
        f"_PLUS_ENTRY = {entry!r}\n"
        f"_PLUS_ATOL = {float(row['atol'])!r}\n"  # type: ignore[arg-type]
        f"_PLUS_INPUTS = {inputs!r}\n"
    )
    check = constants + PLUS_CHECK + "\ndef check(candidate):\n    _plus_check(candidate)\n"
    return Task(str(row["task_id"]), str(row["prompt"]), entry, check)


def mbpp_task(row: dict[str, object], shown: int = 1) -> Task:
    """Convert an MBPP row: signature + docstring (description and tests as examples) + tests.

    The docstring shows the first ``shown`` tests (at least one; LEVER's prompts show one, an
    editor user more often writes two or three); the hidden check runs every test, so a body
    judged correct passes the shown ones and the others.
    """
    if shown < 1:
        raise ValueError("an MBPP task shows at least one test (its first names the function)")
    code = str(row["code"]).replace("\r\n", "\n").expandtabs(4)
    tests = [str(t) for t in row["test_list"]]  # type: ignore[attr-defined]
    module = ast.parse(code)
    functions = {n.name: n for n in module.body if isinstance(n, ast.FunctionDef)}
    first = ast.parse(tests[0]).body[0]
    if not isinstance(first, ast.Assert):
        raise ValueError("the first test is not an assert")
    called = [
        n.func.id
        for n in ast.walk(first)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in functions
    ]
    if not called:
        raise ValueError("the first test calls no function of the reference code")
    entry = called[0]
    function = functions[entry]
    signature = f"def {entry}({ast.unparse(function.args)}):"
    imports = [ast.unparse(n) for n in module.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    classes = [ast.unparse(n) for n in module.body if isinstance(n, ast.ClassDef)]
    shown_tests = [first, *ast.parse("\n".join(tests[1:shown])).body]
    example = "\n".join(
        _doctest_for(test.test, entry) for test in shown_tests if isinstance(test, ast.Assert)
    )
    description = " ".join(str(row["text"]).split())
    docstring = textwrap.indent(f'"""{description}\n\n{example}\n"""', "    ").lstrip()
    head = "\n".join(imports) + ("\n\n\n" if imports else "")
    head += "".join(f"{c}\n\n\n" for c in classes)
    prompt = f"{head}{signature}\n    {docstring}\n"
    setup = str(row.get("test_setup_code") or "")
    check = "def check(candidate):\n" + textwrap.indent("\n".join([setup, *tests]).strip(), "    ")
    return Task(f"MBPP/{row['task_id']}", prompt, entry, check + "\n")


def read_plus_calls(path: Path = MBPP_PLUS_CALLS) -> dict[str, list[str]]:
    """Per MBPP task id, the calls ``models/verifier/mbpp_plus.py`` kept (argument tuples)."""
    if not path.is_file():
        raise DatasetError(f"{path} is missing; write it with models/verifier/mbpp_plus.py")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return {str(row["task_id"]): [str(call) for call in row["calls"]] for row in rows}


def with_plus_calls(task: Task, row: dict[str, object], calls: list[str]) -> Task:
    """Judge the MBPP task on its asserts and then on ``calls``, each against the reference.

    A body passes when it passes every assert and returns what the reference solution returns on
    every call (floats within 1e-7, as EvalPlus judges HumanEval+).
    """
    reference = str(row["code"]).replace("\r\n", "\n").expandtabs(4)
    constants = (
        f"_PLUS_REFERENCE = {reference!r}\n"
        f"_PLUS_ENTRY = {task.entry_point!r}\n"
        "_PLUS_ATOL = 0.0\n"
        f"_PLUS_INPUTS = [{', '.join(calls)}]\n"
    )
    base = task.test.replace("def check(candidate):", "def _base_check(candidate):", 1)
    check = "def check(candidate):\n    _base_check(candidate)\n    _plus_check(candidate)\n"
    return dataclasses.replace(task, test=constants + base + PLUS_CHECK + check)


def _doctest_for(test: ast.expr, entry: str) -> str:
    """Write the first test as a doctest: ``>>> f(x)`` and a literal, else ``>>> cond``, True."""
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.left, ast.Call)
        and isinstance(test.left.func, ast.Name)
        and test.left.func.id == entry
    ):
        try:
            value = ast.literal_eval(test.comparators[0])
        except (ValueError, SyntaxError, TypeError):
            value = _NOT_LITERAL
        if value is not _NOT_LITERAL and not isinstance(value, float):
            return f">>> {ast.unparse(test.left)}\n{value!r}"
    return f">>> {ast.unparse(test)}\nTrue"


_NOT_LITERAL = object()
