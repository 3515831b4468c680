"""Doctests marked ``+SKIP``: run, and judging only where some candidate reproduces them."""

from __future__ import annotations

from codegen_lsp import execution
from codegen_lsp.sandbox.examples import extract_examples
from codegen_lsp.sandbox.types import CandidateRun, Example, ExampleResult
from support.scripted_model import body, implement_scripted, implementing

# toolz's valmap: its one example is skipped (old Pythons ordered dicts differently).
VALMAP = '''def valmap(func, d, factory=dict):
    """Apply function to values of dictionary

    >>> bills = {"Alice": [20, 15, 30], "Bob": [10, 35]}
    >>> valmap(sum, bills)  # doctest: +SKIP
    {'Alice': 65, 'Bob': 45}
    """
'''

# A skipped example that shows a random draw: no body can reproduce it.
PICK = '''import random


def pick(items):
    """Return one of ``items`` at random.

    >>> pick([5])
    5
    >>> pick([1, 2, 3])  # doctest: +SKIP
    2
    """
'''


def test_a_skipped_doctest_with_a_result_is_kept_only_when_asked_for() -> None:
    doc = """
    >>> setup()  # doctest: +SKIP
    >>> f(4)  # doctest: +SKIP
    1
    >>> f(5)
    2
    >>> show(f)  # doctest: +SKIP
    """
    assert [e.call for e in extract_examples(doc, "f")] == ["f(5)"]
    kept = extract_examples(doc, "f", skipped=True)
    # The skipped statement sets nothing up; the skipped call showing nothing is not kept.
    assert [(e.call.split("#")[0].strip(), e.expected, e.setup, e.skipped) for e in kept] == [
        ("f(4)", "1", (), True),
        ("f(5)", "2", (), False),
    ]


def run_of(statuses: list[str], examples: list[Example]) -> CandidateRun:
    return CandidateRun(
        [ExampleResult(e, s) for e, s in zip(examples, statuses, strict=True)]  # type: ignore[arg-type]
    )


def test_an_unreproduced_skipped_example_is_dropped_and_a_reproduced_one_kept() -> None:
    plain = Example(call="f(1)", expected="1", line=1)
    reproduced = Example(call="f(2)", expected="2", line=2, options=("SKIP",))
    unreproduced = Example(call="f(3)", expected="7", line=3, options=("SKIP",))
    examples = [plain, reproduced, unreproduced]
    runs = [
        run_of(["passed", "passed", "failed"], examples),
        run_of(["failed", "failed", "failed"], examples),
        CandidateRun([], error="SyntaxError"),
    ]
    kept, trimmed, dropped = execution.reproduced_examples(examples, runs)
    assert kept == [plain, reproduced] and dropped == 1
    assert [(r.passed, r.total) for r in trimmed] == [(2, 2), (0, 2), (0, 0)]
    assert trimmed[2].error == "SyntaxError"
    note = execution.skipped_note(kept, dropped)
    assert note is not None and "1 example marked `doctest: +SKIP`" in note
    assert "reproduced by no candidate" in note


def test_a_skipped_example_some_body_reproduces_ranks_that_body_first() -> None:
    wrong = body("return {k: func(k) for k in d}", logprob=-0.1)  # likelier, keys not values
    right = body("return factory((k, func(v)) for k, v in d.items())", logprob=-0.9)
    result, _ = implement_scripted(VALMAP, 0, [(implementing("valmap"), [wrong, right])], n=2)
    top = result.candidates[0]
    assert "d.items()" in top.body
    assert (top.run.passed, top.run.total) == (1, 1)
    assert any("marked `doctest: +SKIP` ran too" in note for note in result.notes)


def test_a_skipped_example_no_body_reproduces_judges_none() -> None:
    first = body("return items[0]", logprob=-0.1)
    last = body("return items[-1]", logprob=-0.5)
    result, _ = implement_scripted(PICK, 3, [(implementing("pick"), [first, last])], n=2)
    top = result.candidates[0]
    assert (top.run.passed, top.run.total) == (1, 1)
    assert not any("no candidate passes" in note for note in result.notes)
    assert any("reproduced by no candidate" in note for note in result.notes)


def test_bodies_that_pass_only_skipped_examples_are_not_verified() -> None:
    # Two bodies that agree on the skipped example and near it: checked examples would mark
    # them; a skipped one alone does not (its author did not have it checked).
    comprehension = body("return {k: func(v) for k, v in d.items()}", logprob=-0.1)
    built = body("return factory((k, func(v)) for k, v in d.items())", logprob=-0.2)
    result, _ = implement_scripted(
        VALMAP, 0, [(implementing("valmap"), [comprehension, built])], n=2
    )
    assert all((c.run.passed, c.run.total) == (1, 1) for c in result.candidates)
    assert not any(c.verified for c in result.candidates), [
        c.score_parts for c in result.candidates
    ]


def test_a_docstring_whose_only_examples_are_unreproduced_says_so() -> None:
    only_skipped = PICK.replace("    >>> pick([5])\n    5\n", "")
    first = body("return items[0]", logprob=-0.1)
    result, _ = implement_scripted(only_skipped, 3, [(implementing("pick"), [first])], n=1)
    assert result.candidates and not result.examples
    said = (
        "no examples that run (the docstring's 1 marked `doctest: +SKIP` was reproduced by no "
        "candidate): nothing is verified"
    )
    assert any(note.startswith(said) for note in result.notes), result.notes
    assert not any("no examples in the docstring" in note for note in result.notes)
    assert not any("judged none" in note for note in result.notes)  # said once
