"""Loading HumanEval and MBPP as (docstring, function, reference code) triples."""

from __future__ import annotations

import ast
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from codegen_lsp.context import all_functions
from codegen_lsp.eval.datasets import DatasetError, find_data_file


def _data_file(name: str) -> Path:
    """Find ``name`` where the evaluation does ($CODEGEN_LSP_DATA, the shared data folder)."""
    try:
        return find_data_file(name)
    except DatasetError:
        return Path(name)  # absent: the tests that need it skip


HUMANEVAL = _data_file("HumanEval.jsonl.gz")
MBPP_TRAIN = _data_file("mbpp-train.jsonl")
DATA = HUMANEVAL.parent


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
