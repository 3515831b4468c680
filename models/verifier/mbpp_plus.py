"""Grow MBPP's hidden tests the way EvalPlus grew HumanEval's: more inputs, judged by the reference.

MBPP judges a body on three asserts, and the docstring shows one or two of them: a body that
passes the examples is judged on one or two more calls, and the "verified" mark chosen on such
labels promises more than HumanEval+ (stricter tests) then finds. This script writes, for every
MBPP train and validation task, more calls of the task's function: each test's call with one
argument changed within its type (the product's own near-example mutations,
``codegen_lsp.variants.mutations``), some with a second argument changed too, and random values
of the same shape. The reference solution runs each call in a child process; a call on which it
raises, runs past :data:`CALL_LIMIT_S`, or returns something that is not plain data (or not the
same twice) is left out, as outside the function's contract. ``codegen-lsp eval --dataset
mbpp-validation+`` (and ``mbpp-train+``) then judges a body on the task's own asserts and on
these calls, where it must return what the reference returns (floats within 1e-7, as EvalPlus).
Measured on the mark's rows, these labels proved too noisy to choose the mark on (MBPP's
references are often wrong off their asserts): ``docs/evaluation.md``, "The verified mark".

Calls that MBPP's functions often take outside their contract are kept out: a negative number
where every test passes one at least zero; a length argument changed apart from the sequence it
measures (``max_chain_length(arr, n)`` with ``n == len(arr)`` in every test: the pair changes
together); an unsorted sequence where every test's is sorted (a random one is sorted instead);
two sequences of different lengths where every test's have one length; a string other than one
character where every test passes one character (:class:`Shape`).

    .venv/bin/python models/verifier/mbpp_plus.py \\
        --out server/codegen_lsp/data/mbpp-plus-inputs.jsonl.gz

Deterministic: the random values are seeded by the task id. Nothing here needs a model.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gzip
import json
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from codegen_lsp.eval.datasets import find_data_file, mbpp_task
from codegen_lsp.variants import mutations

SPLITS = ("mbpp-train.jsonl", "mbpp-validation.jsonl")
CALLS_PER_TASK = 40
"""At most this many calls per task, the tests' own first (every candidate runs each)."""
CALL_LIMIT_S = 0.2
"""A call on which the reference runs longer is left out (a hidden check must stay quick)."""
TASK_LIMIT_S = 60.0
"""The child process that runs one task's reference is stopped after this long."""
RANDOM_PER_SEED = 4
"""Random values of a test's shape added per test call."""

PLAIN = (int, float, str, bool, type(None), list, tuple, dict, set, frozenset)

RUNNER = r"""
import ast, copy, json, signal, sys

class Late(BaseException):
    pass

def late(signum, frame):
    raise Late()

signal.signal(signal.SIGALRM, late)
job = json.loads(sys.stdin.read())
namespace = {}
exec(job["code"], namespace)
function = namespace[job["entry"]]
plain = (int, float, str, bool, type(None), list, tuple, dict, set, frozenset)

def is_plain(value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value) in plain and all(is_plain(item) for item in value)
    if isinstance(value, dict):
        return type(value) is dict and all(is_plain(k) and is_plain(v) for k, v in value.items())
    return type(value) in plain

kept = []
for source in job["calls"]:
    arguments = ast.literal_eval(source)
    try:
        signal.setitimer(signal.ITIMER_REAL, job["limit"])
        first = function(*copy.deepcopy(arguments))
        second = function(*copy.deepcopy(arguments))
        signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException:
        signal.setitimer(signal.ITIMER_REAL, 0)
        continue
    if is_plain(first) and repr(first) == repr(second):
        kept.append(source)
print(json.dumps(kept))
"""


def seed_calls(row: dict[str, Any], entry: str) -> list[tuple[Any, ...]]:
    """The argument tuples of the task's own tests' calls of ``entry`` (literal arguments only)."""
    found = []
    for test in row["test_list"]:
        for node in ast.walk(ast.parse(test)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == entry
                and not node.keywords
            ):
                try:
                    arguments = tuple(ast.literal_eval(argument) for argument in node.args)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    continue
                if arguments not in found:
                    found.append(arguments)
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def length_pairs(seeds: list[tuple[Any, ...]]) -> dict[int, int]:
    """Argument positions ``n -> s`` where ``n`` is ``len`` of argument ``s`` in every test."""
    pairs: dict[int, int] = {}
    if not seeds or len({len(seed) for seed in seeds}) != 1:
        return pairs
    width = len(seeds[0])
    for number in range(width):
        for sized in range(width):
            if number != sized and all(
                type(seed[number]) is int
                and isinstance(seed[sized], list | tuple | str)
                and seed[number] == len(seed[sized])
                for seed in seeds
            ):
                pairs[number] = sized
                break
    return pairs


def _non_negative(seeds: list[tuple[Any, ...]], position: int) -> bool:
    values = [seed[position] for seed in seeds if position < len(seed)]
    return all(not _is_number(value) or value >= 0 for value in values)


def _allowed(value: Any, non_negative: bool) -> bool:
    """Keep a mutant unless it makes a number negative where every test's is at least zero."""
    if not non_negative:
        return True
    if _is_number(value):
        return bool(value >= 0)
    if isinstance(value, list | tuple):
        return all(_allowed(item, True) for item in value)
    return True


def _random_like(value: Any, rng: random.Random, non_negative: bool) -> Any:
    """A random value of ``value``'s shape: same types, other sizes and contents."""
    if isinstance(value, bool):
        return rng.random() < 0.5
    if isinstance(value, int):
        low = 0 if non_negative else -abs(value) - 5
        return rng.randint(low, abs(value) * 2 + 5)
    if isinstance(value, float):
        low = 0.0 if non_negative else -abs(value) - 5.0
        return round(rng.uniform(low, abs(value) * 2 + 5.0), 3)
    if isinstance(value, str):
        alphabet = value or "ab"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 2 * len(value) + 2)))
    if isinstance(value, list | tuple) and value:
        items = [
            _random_like(rng.choice(value), rng, non_negative)
            for _ in range(rng.randint(0, 2 * len(value) + 2))
        ]
        return items if isinstance(value, list) else tuple(items)
    return value


def _coupled(arguments: list[Any], pairs: dict[int, int]) -> tuple[Any, ...]:
    for number, sized in pairs.items():
        arguments[number] = len(arguments[sized])
    return tuple(arguments)


@dataclass(frozen=True)
class Shape:
    """What every test's call has in common, which a grown call keeps: MBPP's functions often
    take such a call outside their contract (a search in a sorted list given an unsorted one,
    two tuples compared item by item given tuples of two lengths, a character given "")."""

    sorted_at: frozenset[int]
    """Positions where every test passes a sorted sequence (one of at least three items)."""
    same_length: frozenset[tuple[int, int]]
    """Pairs of positions whose sequences have one length in every test (two or more items)."""
    characters_at: frozenset[int]
    """Positions where every test passes a string of one character."""

    @classmethod
    def of(cls, seeds: list[tuple[Any, ...]]) -> Shape:
        """Read the shape the tests' calls share."""
        if not seeds or len({len(seed) for seed in seeds}) != 1:
            return cls(frozenset(), frozenset(), frozenset())
        width = range(len(seeds[0]))
        columns = [[seed[position] for seed in seeds] for position in width]
        sequences = [all(isinstance(v, list | tuple | str) for v in c) for c in columns]
        return cls(
            sorted_at=frozenset(
                p
                for p in width
                if all(isinstance(v, list | tuple) and _is_sorted(v) for v in columns[p])
                and any(len(v) >= 3 for v in columns[p])
            ),
            same_length=frozenset(
                (p, q)
                for p in width
                for q in width
                if p < q
                and sequences[p]
                and sequences[q]
                and all(len(a) == len(b) for a, b in zip(columns[p], columns[q], strict=True))
                and any(len(v) >= 2 for v in columns[p])
            ),
            characters_at=frozenset(
                p for p in width if all(isinstance(v, str) and len(v) == 1 for v in columns[p])
            ),
        )

    def with_sorted(self, arguments: tuple[Any, ...]) -> tuple[Any, ...]:
        """The call with its sequences sorted where every test's is."""
        found = list(arguments)
        for position in self.sorted_at:
            with contextlib.suppress(TypeError, IndexError):
                value = found[position]
                found[position] = type(value)(sorted(value))
        return tuple(found)

    def fits(self, arguments: tuple[Any, ...]) -> bool:
        """Whether the call keeps the shape (lengths paired, characters one long)."""
        try:
            paired = all(len(arguments[p]) == len(arguments[q]) for p, q in self.same_length)
            return paired and all(
                isinstance(arguments[p], str) and len(arguments[p]) == 1 for p in self.characters_at
            )
        except (TypeError, IndexError):
            return False


def _is_sorted(value: list[Any] | tuple[Any, ...]) -> bool:
    try:
        return list(value) == sorted(value)
    except TypeError:
        return False


def grown_calls(seeds: list[tuple[Any, ...]], rng: random.Random) -> list[tuple[Any, ...]]:
    """The tests' calls, then calls with one argument changed, two, and random ones, shuffled."""
    pairs = length_pairs(seeds)
    widest = max((len(seed) for seed in seeds), default=0)
    signs = {position: _non_negative(seeds, position) for position in range(widest)}
    grown: list[tuple[Any, ...]] = []
    for seed in seeds:
        for position, value in enumerate(seed):
            if position in pairs:
                continue
            for mutant in mutations(value):
                if _allowed(mutant, signs[position]):
                    once = _coupled([*seed[:position], mutant, *seed[position + 1 :]], pairs)
                    grown.append(once)
                    others = [p for p in range(len(seed)) if p != position and p not in pairs]
                    if others and rng.random() < 0.5:
                        other = rng.choice(others)
                        near = [m for m in mutations(once[other]) if _allowed(m, signs[other])]
                        if near:
                            twice = list(once)
                            twice[other] = rng.choice(near)
                            grown.append(_coupled(twice, pairs))
        for _ in range(RANDOM_PER_SEED):
            fresh = [
                value if position in pairs else _random_like(value, rng, signs[position])
                for position, value in enumerate(seed)
            ]
            grown.append(_coupled(fresh, pairs))
    rng.shuffle(grown)
    shape = Shape.of(seeds)
    calls: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for arguments in [*seeds, *(shape.with_sorted(arguments) for arguments in grown)]:
        key = repr(arguments)
        if key in seen or not _round_trips(arguments) or not shape.fits(arguments):
            continue
        seen.add(key)
        calls.append(arguments)
    return calls


def _round_trips(arguments: tuple[Any, ...]) -> bool:
    """Whether the call's source reads back as the same values (no nan, no odd objects)."""
    try:
        return bool(ast.literal_eval(repr(arguments)) == arguments)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def reference_keeps(code: str, entry: str, calls: list[str]) -> list[str]:
    """The calls on which the reference returns plain data, the same twice, in time."""
    job = json.dumps({"code": code, "entry": entry, "calls": calls, "limit": CALL_LIMIT_S})
    with tempfile.TemporaryDirectory() as scratch:
        try:
            done = subprocess.run(
                [sys.executable, "-c", RUNNER],
                input=job,
                capture_output=True,
                text=True,
                timeout=TASK_LIMIT_S,
                cwd=scratch,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return []
    if done.returncode != 0:
        return []
    kept: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return kept


def main() -> None:
    """Write one line per task: its id, the calls' argument tuples as Python source."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="a .jsonl.gz file")
    args = parser.parse_args()
    lines = []
    for split in SPLITS:
        with find_data_file(split).open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        for row in rows:
            task = mbpp_task(row)
            seeds = seed_calls(row, task.entry_point)
            rng = random.Random(int(row["task_id"]))
            calls = [repr(arguments) for arguments in grown_calls(seeds, rng)]
            code = str(row["code"]).replace("\r\n", "\n").expandtabs(4)
            kept = reference_keeps(code, task.entry_point, calls)[:CALLS_PER_TASK]
            grown = len(kept) - sum(1 for source in kept if ast.literal_eval(source) in seeds)
            print(f"{task.task_id}: {len(seeds)} test calls, {grown} more kept", file=sys.stderr)
            lines.append(json.dumps({"task_id": task.task_id, "calls": kept}))
    with gzip.open(args.out, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
