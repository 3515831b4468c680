"""Loading HumanEval and MBPP as (docstring, function, reference code) triples."""

from __future__ import annotations

import ast
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from codegen_lsp.context import all_functions

DATA = Path("/work/shared/data")
HUMANEVAL = DATA / "HumanEval.jsonl.gz"
MBPP_TRAIN = DATA / "mbpp-train.jsonl"


@dataclass(frozen=True)
class Task:
    task_id: str
    function_name: str
    docstring: str
    reference: str
    """A whole module whose function is known to be right."""


def humaneval_tasks() -> list[Task]:
    tasks = []
    with gzip.open(HUMANEVAL, "rt", encoding="utf-8") as handle:
        for line in handle:
            problem = json.loads(line)
            name = problem["entry_point"]
            docstring = next(
                (f.raw_docstring or "" for f in all_functions(problem["prompt"]) if f.name == name),
                "",
            )
            reference = problem["prompt"] + problem["canonical_solution"]
            tasks.append(Task(problem["task_id"], name, docstring, reference))
    return tasks


def mbpp_tasks(path: Path = MBPP_TRAIN) -> list[Task]:
    """MBPP as LEVER prompts it: the description plus the first test as the docstring."""
    tasks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        problem = json.loads(line)
        first_test = problem["test_list"][0]
        name = _called_name(first_test)
        docstring = f"{problem['text']}\n{first_test}\n"
        reference = (problem.get("test_setup_code") or "") + "\n" + problem["code"]
        tasks.append(Task(f"MBPP/{problem['task_id']}", name, docstring, reference))
    return tasks


def _called_name(test: str) -> str:
    tree = ast.parse(test)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return node.func.id
    return ""
