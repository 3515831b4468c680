"""A body that changes the arguments it is given, where its docstring does not ask for it.

``median([3, 1, 2])`` answers 2 whether the body sorts a copy or the caller's list; the second
surprises the caller. Through the whole pipeline with a scripted model and the real sandbox:
an equal candidate that leaves its arguments alone is put first, and when none does, the result
says what the top candidate changes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest
from codegen_lsp.context import find_function
from codegen_lsp.execution import argument_changes, returned_first, run_probes
from codegen_lsp.inputs import argument_check
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.settings import SandboxSettings, Settings
from support.scripted_model import ScriptedModel, body, implementing

SOURCE = '''def median(values: list[int]) -> float:
    """Return the median of values.

    >>> median([3, 1, 2])
    2
    >>> median([4, 1, 3, 2])
    2.5
    """
'''
IN_PLACE = """values.sort()
middle = len(values) // 2
if len(values) % 2:
    return values[middle]
return (values[middle - 1] + values[middle]) / 2"""
ON_A_COPY = """ordered = sorted(values)
middle = len(ordered) // 2
if len(ordered) % 2:
    return ordered[middle]
return (ordered[middle - 1] + ordered[middle]) / 2"""


@pytest.fixture
def scripted() -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    yield model
    model.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(timeout_s=5.0)) as box:
        yield box


def _implement(model: ScriptedModel, source: str, written: list[tuple[str, float]]):  # type: ignore[no-untyped-def]
    model.script(implementing("median"), [body(code, logprob) for code, logprob in written])
    settings = Settings()
    settings.model.remote_url = model.url
    settings.model.remote_retries = 0
    settings.sampling.n = 4
    settings.sampling.first_wave = 0
    settings.sampling.prompt_format = "chat"
    settings.ranking.verifier = False
    pipeline = Pipeline(settings)
    try:
        return pipeline.implement(source, 0)
    finally:
        pipeline.close()


def test_an_equal_candidate_that_leaves_its_arguments_alone_comes_first(
    scripted: ScriptedModel,
) -> None:
    # The in-place body is the likelier one, and both pass both examples alike.
    result = _implement(scripted, SOURCE, [(IN_PLACE, -0.1), (ON_A_COPY, -0.9)])
    top = result.candidates[0]
    assert "sorted(values)" in top.body and top.rank == 1
    assert result.candidates[1].rank == 2 and "values.sort()" in result.candidates[1].body
    assert (
        "put first an equal candidate that leaves its arguments alone: the likelier one changes "
        "them (on `median([3, 1, 2])`)" in result.notes
    )


def test_when_every_equal_candidate_changes_its_arguments_the_result_says_so(
    scripted: ScriptedModel,
) -> None:
    result = _implement(scripted, SOURCE, [(IN_PLACE, -0.1)])
    assert "values.sort()" in result.candidates[0].body
    assert (
        "the top candidate changes the arguments it is given (on `median([3, 1, 2])`), which its "
        "docstring does not ask for" in result.notes
    )


def test_a_docstring_that_asks_for_it_is_not_second_guessed(scripted: ScriptedModel) -> None:
    asked = SOURCE.replace("Return the median", "Sort values in place and return the median")
    result = _implement(scripted, asked, [(IN_PLACE, -0.1), (ON_A_COPY, -0.9)])
    assert "values.sort()" in result.candidates[0].body
    assert not any("arguments" in note for note in result.notes)


def test_the_check_compares_each_call_s_arguments_before_and_after(sandbox: Sandbox) -> None:
    ctx = find_function(SOURCE, 0)
    calls = ["median([3, 1, 2])", "median(values=[5, 4, 6])", "median(7)", "len([1])"]
    assert argument_check("median(7)", "median") is None  # constants: nothing to change
    assert argument_check("len([1])", "median") is None  # not a call of the function
    assert argument_check("median(*xs)", "median") is None
    keyword = argument_check("median(values=[5, 4, 6])", "median")
    assert keyword is not None and keyword.endswith("(values=[5, 4, 6])")
    popping = "values.pop()\nreturn 0"
    bodies = [textwrap.indent(code, "    ") for code in (ON_A_COPY, IN_PLACE, popping)]
    changed = argument_changes(ctx, bodies, calls, sandbox)
    assert changed == [None, "median([3, 1, 2])", "median([3, 1, 2])"]
    # Sorted already, so sorting in place changes nothing: only a change that happened counts.
    assert argument_changes(ctx, bodies[1:2], ["median([1, 2, 3])"], sandbox) == [None]


def test_without_examples_the_inputs_compared_on_are_checked(scripted: ScriptedModel) -> None:
    bare = SOURCE.split("\n\n    >>>")[0] + '\n    """\n'
    assert ">>>" not in bare
    result = _implement(scripted, bare, [(IN_PLACE, -0.1), (ON_A_COPY, -0.9)])
    assert "sorted(values)" in result.candidates[0].body, result.notes
    assert any(note.startswith("put first an equal candidate") for note in result.notes)


def test_without_examples_the_calls_the_top_candidate_returned_on_are_checked_first(
    sandbox: Sandbox,
) -> None:
    # A user's `apply_movements` wrote into the dict it was given only where every sku was
    # found; on a call it raised KeyError on, a change shows nothing of what it does.
    source = (
        "def take_all(stock: dict[str, int], skus: list[str]) -> dict[str, int]:\n"
        '    """Return the stock with one unit taken for each sku."""\n'
    )
    ctx = find_function(source, 0)
    calls = ["take_all({}, ['a'])", "take_all({'a': 2}, ['a'])", "take_all({'b': 1}, ['a'])"]
    in_place = "    for sku in skus:\n        stock[sku] -= 1\n    return stock\n"
    (top,) = run_probes(ctx, [in_place], calls, sandbox)
    assert returned_first(calls, top) == [calls[1], calls[0], calls[2]]
    assert returned_first(calls, None) == calls


SHORT = '''from dataclasses import dataclass


@dataclass
class Item:
    name: str
    qty: float


class Pantry:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.items: dict[str, Item] = {}


def short(pantry: Pantry, name: str, need: float) -> float:
    """Return how much of ``name`` the pantry lacks for ``need``."""
'''


def test_a_change_inside_an_object_without_a_repr_of_its_own_shows(sandbox: Sandbox) -> None:
    # A user's pantry: its repr is its address, so comparing reprs never saw the item's
    # quantity taken, and a `missing` that cooks the recipe while it counts came first unremarked.
    ctx = find_function(
        SHORT,
        SHORT.splitlines().index("def short(pantry: Pantry, name: str, need: float) -> float:"),
    )
    pantry = "(lambda o: setattr(o, 'items', {'rice': Item(name='rice', qty=5.0)}) or o)"
    call = f"short({pantry}(Pantry(owner='a')), 'rice', 2.0)"
    taking = "held = pantry.items[name]\nheld.qty -= need\nreturn max(0.0, -held.qty)"
    counting = "held = pantry.items[name].qty\nreturn max(0.0, need - held)"
    adding = "pantry.items[name] = Item(name, 0.0)\nreturn need"  # a new entry is a change too
    bodies = [textwrap.indent(code, "    ") for code in (counting, taking, adding)]
    changed = argument_changes(
        ctx, bodies, [call, "short(Pantry(owner='b'), 'rice', 2.0)"], sandbox
    )
    assert changed == [None, call, call]
