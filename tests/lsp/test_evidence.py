"""Action titles: the evidence, and a code preview that tells same-score candidates apart."""

from __future__ import annotations

from dataclasses import dataclass, field

from codegen_lsp.lsp.evidence import candidate_title, code_preview, distinct_previews
from codegen_lsp.sandbox.types import CandidateRun, Example, ExampleResult


@dataclass
class FakeRanked:
    """Only the fields a title reads (a RankedCandidate has many more)."""

    body: str
    score: float = 0.84
    run: CandidateRun = field(default_factory=CandidateRun)


def _passing_run(n: int) -> CandidateRun:
    example = Example(call="f(1)", expected="1", line=1)
    return CandidateRun(results=[ExampleResult(example=example, status="passed")] * n)


def test_preview_is_the_last_return_and_skips_comments() -> None:
    body = (
        "    # normalise first\n"
        "    if not numbers:\n"
        "        return []\n"
        "    total = [numbers[0]]\n"
        "    return total\n"
    )
    assert code_preview(body) == "return total"
    assert code_preview("    # only a comment\n    x = 1\n") == "x = 1"
    assert code_preview("   \n") == ""
    long = "    return " + "a + " * 40 + "b\n"
    assert len(code_preview(long)) <= 60 and code_preview(long).endswith("…")


def test_same_score_candidates_get_different_titles() -> None:
    palindrome = FakeRanked(
        body="    t = text.replace(' ', '').lower()\n    return t == t[::-1]\n", run=_passing_run(2)
    )
    vowels = FakeRanked(
        body="    n = sum(c in 'aeiou' for c in text.lower())\n    return n % 2 == 0\n",
        run=_passing_run(2),
    )
    first, second = (candidate_title(c, preview=True) for c in (palindrome, vowels))
    assert first == "Implement: 2/2 examples pass · 0.84 — return t == t[::-1]"
    assert second == "Implement: 2/2 examples pass · 0.84 — return n % 2 == 0"
    assert candidate_title(palindrome) == "Implement: 2/2 examples pass · 0.84"


def test_candidates_ending_in_the_same_return_are_told_apart() -> None:
    loop = (
        "    vowel_count = 0\n    for char in text.lower():\n"
        "        if char in 'aeiou':\n            vowel_count += 1\n    return vowel_count\n"
    )
    comprehension = (
        "    vowel_count = len([c for c in text.lower() if c in 'aeiou'])\n    return vowel_count\n"
    )
    other = "    return sum(c in 'aeiou' for c in text.lower())\n"
    gists = distinct_previews([loop, comprehension, other, loop])
    assert gists[0] == "return vowel_count"
    assert gists[1] == "vowel_count = len([c for c in text.lower() if c in 'aeiou'])"
    assert gists[2] == "return sum(c in 'aeiou' for c in text.lower())"
    assert gists[3] == "return vowel_count"  # the same code: nothing to tell apart
