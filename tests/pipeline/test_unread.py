"""The parameters a candidate body never reads, and those it is asked to."""

from __future__ import annotations

import re

import pytest
from codegen_lsp.context import find_function
from codegen_lsp.outcomes import GenerationResult
from codegen_lsp.unread import asked_parameters, unread_parameters
from support.scripted_model import Reply, body, implement_scripted, implementing, proposing


@pytest.mark.parametrize(
    ("body", "unread"),
    [
        ("    return sum(e.cents for e in entries)", ("payer",)),
        ("    return sum(e.cents for e in entries if e.payer == payer)", ()),
        ("    total = 0\n    payer = 'x'\n    return total", ("entries", "payer")),  # a write
        ("    del payer\n    return len(entries)", ()),  # an unused parameter said so
        ("    return f'{payer}: {len(entries)}'", ()),
        ("    def inner():\n        return payer\n    return inner() + entries", ()),
        ("    return eval('payer') + entries", ()),  # reads what it likes
        ("    return (", ()),  # does not parse: nothing claimed
    ],
)
def test_the_parameters_a_body_never_reads(body: str, unread: tuple[str, ...]) -> None:
    assert unread_parameters(("entries", "payer"), body) == unread


def test_self_cls_private_names_and_starred_parameters_are_not_asked_for() -> None:
    source = (
        "class Ledger:\n"
        "    def total(self, entries: list[int], _cache: dict, *args: int, payer: str = '',"
        " **kwargs: int) -> int:\n"
        '        """Total."""\n'
    )
    assert asked_parameters(find_function(source, 1)) == ("entries", "payer")


TALLY = '''from typing import NamedTuple

Entry = NamedTuple("Entry", [("payer", str), ("cents", int)])


def total_paid(entries: list[Entry], payer: str) -> int:
    """Return the cents that ``payer`` paid over all entries."""
'''
SUMS_ALL = "return sum(entry.cents for entry in entries)"
FILTERS = "return sum(entry.cents for entry in entries if entry.payer == payer)"


def _total_paid(bodies: list[Reply]) -> GenerationResult:
    line = TALLY.splitlines().index("def total_paid(entries: list[Entry], payer: str) -> int:")
    scripts = [(implementing("total_paid"), bodies), (proposing("total_paid"), [Reply("```")])]
    return implement_scripted(TALLY, line, scripts, n=len(bodies))[0]


def test_a_body_that_reads_every_parameter_comes_before_likelier_ones_that_do_not() -> None:
    # A user's tally: the likelier samples summed every entry, whoever paid.
    ignoring = [body(SUMS_ALL, -0.05), body("return sum(e.cents for e in entries)", -0.06)]
    result = _total_paid([*ignoring, body(FILTERS, -0.4)])
    assert len(result.inputs) > 1, result.notes  # the entries were drawn and compared on
    assert result.candidates[0].body.strip() == FILTERS
    assert not any("never reads" in note for note in result.notes)


def test_the_title_notes_say_when_the_top_never_reads_a_parameter() -> None:
    result = _total_paid([body(SUMS_ALL, -0.05), body("return len(entries)", -0.3)])
    assert result.candidates[0].body.strip() == SUMS_ALL
    assert [c.ignored for c in result.candidates] == [("payer",), ("payer",)]  # for the titles
    assert (
        "the top candidate never reads `payer`, which the function takes: no candidate that "
        "reads every parameter did as well"
    ) in result.notes


def test_a_first_wave_alike_but_ignoring_a_parameter_does_not_end_the_draw() -> None:
    # Three samples of a user's `total_paid` summed every entry and agreed on every input:
    # the draw stopped there, and the rest (which may read `payer`) was never drawn.
    line = TALLY.splitlines().index("def total_paid(entries: list[Entry], payer: str) -> int:")
    alike = [body(SUMS_ALL, -0.05), body("return sum(e.cents for e in entries)", -0.06)]
    scripts = [(implementing("total_paid"), alike), (proposing("total_paid"), [Reply("```")])]
    result, prompts = implement_scripted(TALLY, line, scripts, n=3, first_wave=2)
    assert not any(note.startswith("stopped after") for note in result.notes), result.notes
    asked = [p for p in prompts if not re.search(proposing("total_paid"), p)]
    assert len(asked) == 2, asked  # the first wave, then the rest
    # Alike and reading every parameter, the first wave is enough.
    reading = [body(FILTERS, -0.05), body(FILTERS.replace("entry", "e"), -0.06)]
    scripts = [(implementing("total_paid"), reading), (proposing("total_paid"), [Reply("```")])]
    result, _ = implement_scripted(TALLY, line, scripts, n=3, first_wave=2)
    assert any(note.startswith("stopped after 2 of 3") for note in result.notes), result.notes
