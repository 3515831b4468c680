"""Classes made by a call read as the class statements they stand for."""

from __future__ import annotations

import ast

import pytest
from codegen_lsp.functional_classes import as_class, class_names


def _read(statement: str) -> str:
    return ast.unparse(as_class(ast.parse(statement).body[0]))


@pytest.mark.parametrize(
    ("statement", "read"),
    [
        (
            'Entry = NamedTuple("Entry", [("payer", str), ("cents", int)])',
            "class Entry(NamedTuple):\n    payer: str\n    cents: int",
        ),
        (
            'Entry = typing.NamedTuple("Entry", (("payer", "str"),))',
            "class Entry(NamedTuple):\n    payer: 'str'",
        ),
        (
            'Entry = NamedTuple("Entry", payer=str, cents=int)',
            "class Entry(NamedTuple):\n    payer: str\n    cents: int",
        ),
        (
            'Pay = TypedDict("Pay", {"debtor": str, "cents": list[int]}, total=False)',
            "class Pay(TypedDict, total=False):\n    debtor: str\n    cents: list[int]",
        ),
        (
            'Rate = namedtuple("Rate", "code per_euro")',
            "class Rate(NamedTuple):\n\n    def __init__(self, code, per_euro):\n        ...",
        ),
        (
            'Rate = collections.namedtuple("Rate", ["code", "per_euro", "day"], defaults=[1])',
            "class Rate(NamedTuple):\n\n"
            "    def __init__(self, code, per_euro, day=None):\n        ...",
        ),
        (
            'Rate = namedtuple("Rate", field_names="code, per_euro")',
            "class Rate(NamedTuple):\n\n    def __init__(self, code, per_euro):\n        ...",
        ),
    ],
)
def test_a_class_made_by_a_call_reads_as_its_class_statement(statement: str, read: str) -> None:
    assert _read(statement) == read


@pytest.mark.parametrize(
    "statement",
    [
        'Pay = TypedDict("Pay", {"first-name": str})',  # no attribute form
        'Entry = NamedTuple("Entry", FIELDS)',  # fields the call does not spell out
        'Rate = namedtuple("Rate", names)',
        'Rate = make("Rate", "code per_euro")',  # not a maker of classes
        'Rate, Other = namedtuple("Rate", "code"), 1',
    ],
)
def test_what_a_call_does_not_spell_out_stays_as_written(statement: str) -> None:
    node = ast.parse(statement).body[0]
    assert as_class(node) is node


def test_the_class_takes_the_assignments_position_throughout() -> None:
    source = '\n\nEntry = NamedTuple(\n    "Entry", [("payer", str)]\n)\n'
    node = ast.parse(source).body[0]
    made = as_class(node)
    assert {
        (part.lineno, part.end_lineno) for part in ast.walk(made) if hasattr(part, "lineno")
    } == {(3, 5)}


def test_the_names_such_calls_bind_are_found_in_a_text() -> None:
    text = (
        'Rate = namedtuple("Rate", "a b")\n'
        "class Other:\n"
        '    Inner = typing.NamedTuple("Inner", [])\n'
        'Pay = TypedDict("Pay", {})\n'
        "rate = make_rate()\n"
    )
    assert class_names(text) == ["Rate", "Inner", "Pay"]
    assert class_names(text, top_level_only=True) == ["Rate", "Pay"]
