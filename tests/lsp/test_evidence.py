"""Action titles: the evidence, and a code preview that tells same-score candidates apart."""

from __future__ import annotations

from dataclasses import dataclass, field

from codegen_lsp.lsp.evidence import (
    candidate_data,
    candidate_title,
    code_preview,
    distinct_previews,
    failing_title,
)
from codegen_lsp.sandbox.types import CandidateRun, Example, ExampleResult


@dataclass
class FakeRanked:
    """Only the fields a title reads (a RankedCandidate has many more)."""

    body: str
    score: float = 0.84
    run: CandidateRun = field(default_factory=CandidateRun)
    verified: bool = False
    group_size: int = 1
    score_parts: dict[str, float] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()


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
    assert first == "Implement: 2/2 examples pass — return t == t[::-1] (+1 line)"
    assert second == "Implement: 2/2 examples pass — return n % 2 == 0 (+1 line)"
    assert candidate_title(palindrome) == "Implement: 2/2 examples pass"


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


def test_a_title_never_hides_statements_behind_its_gist() -> None:
    # A do-nothing line before the return is still counted: the user knows there is more.
    body = "    numbers.sort()\n    # keep it\n    return len(numbers)\n"
    candidate = FakeRanked(body=body, run=_passing_run(1))
    assert candidate_title(candidate, preview=True) == (
        "Implement: 1/1 examples pass — return len(numbers) (+1 line)"
    )
    single = FakeRanked(body="    return 1\n", run=_passing_run(1))
    assert candidate_title(single, preview=True) == "Implement: 1/1 examples pass — return 1"
    assert failing_title(candidate, "return len(numbers)").endswith("return len(numbers) (+1 line)")


def test_an_error_is_named_in_the_title_and_no_score_is() -> None:
    run = CandidateRun(error="ModuleNotFoundError: No module named 'models'")
    candidate = FakeRanked(body="    return models.x\n", score=0.12, run=run)
    title = candidate_title(candidate, preview=True)
    assert title == (
        "Implement: does not run: ModuleNotFoundError: No module named 'models' — return models.x"
    )
    assert "0.12" not in title


def test_the_data_carries_the_score_and_what_it_means() -> None:
    failing = Example(call="f(2)", expected="4", line=2)
    run = CandidateRun(
        results=[
            ExampleResult(example=Example(call="f(1)", expected="1", line=1), status="passed"),
            ExampleResult(example=failing, status="failed", actual_repr="5"),
        ]
    )
    data = candidate_data(FakeRanked(body="    x = 1\n    return x\n", score=0.3, run=run))
    assert data["examplesPassed"] == 1 and data["examplesTotal"] == 2
    assert data["passes"] is False and data["verified"] is False
    assert data["score"] == 0.3 and "confidence" in data["scoreMeaning"]
    assert data["failure"] == "`f(2)` returned 5, expected 4"
    assert data["lines"] == 2 and "agreement" not in data
    agreeing = FakeRanked(
        body="    return 1\n",
        score_parts={"agreement": 5.0, "samples": 8.0, "inputs": 12.0},
    )
    assert (candidate_data(agreeing)["agreement"], candidate_data(agreeing)["inputs"]) == (5, 12)
    assert "nearAgreement" not in candidate_data(agreeing)
    near = FakeRanked(
        body="    return 1\n",
        run=_passing_run(2),
        score_parts={"near_agreement": 0.8, "near_samples": 1.0},
    )
    assert candidate_data(near)["nearAgreement"] == 0.8
    assert candidate_data(near)["nearSamples"] == 1  # the client reads why it is not verified
    assert "nearSamples" not in candidate_data(agreeing)
    assert "breaksNear" not in candidate_data(near)
    broken = FakeRanked(
        body="    return [numbers[0]]\n",
        run=_passing_run(1),
        score_parts={"near_agreement": 1.0, "near_samples": 2.0, "breaks_near": 1.0},
    )
    assert candidate_data(broken)["breaksNear"] is True  # why it is not verified


def test_agreement_that_is_mostly_crashing_says_so() -> None:
    # Five samples that raise KeyError on the same ten inputs do agree, but on crashing.
    parts = {"agreement": 5.0, "samples": 8.0, "inputs": 12.0, "crashes": 10.0}
    crashing = FakeRanked(body="    return table[key]\n", score_parts=parts)
    title = candidate_title(crashing, preview=True)
    assert (
        title
        == "Implement: no examples · 5/8 agree on 12 inputs · raises on 10 — return table[key]"
    )
    assert candidate_data(crashing)["crashes"] == 10
    clean = FakeRanked(body="    return 1\n", score_parts=parts | {"crashes": 0.0})
    assert "raises" not in candidate_title(clean, preview=True)
    assert candidate_data(clean)["crashes"] == 0


def test_a_raise_the_docstring_asks_for_is_said_apart_from_crashes() -> None:
    # "Raise KeyError when no item has that sku": refusing 16 unknown skus is the evidence that
    # it does so, not a fault; a crash beside it is still called one.
    parts = {"agreement": 7.0, "samples": 8.0, "inputs": 19.0, "crashes": 0.0}
    documented = FakeRanked(
        body="    raise KeyError(sku)\n", score_parts=parts | {"documented_raises": 16.0}
    )
    title = candidate_title(documented, preview=True)
    assert "no examples · 7/8 agree on 19 inputs · raises as documented on 16 —" in title
    assert "raises on" not in title
    assert candidate_data(documented)["documentedRaises"] == 16
    assert candidate_data(documented)["crashes"] == 0
    both = FakeRanked(
        body="    return 1\n", score_parts=parts | {"documented_raises": 16.0, "crashes": 2.0}
    )
    assert "· raises as documented on 16 · raises on 2 —" in candidate_title(both, preview=True)


def test_a_parameter_the_body_never_reads_is_said_in_its_title() -> None:
    # Without examples nothing judged `total_paid`'s body that sums every entry, whoever paid:
    # the user sees that it ignores `payer`.
    parts = {"agreement": 4.0, "samples": 8.0, "inputs": 18.0, "crashes": 0.0}
    ignoring = FakeRanked(body="    return sum(e.cents for e in entries)\n", score_parts=parts)
    ignoring.ignored = ("payer",)
    title = candidate_title(ignoring, preview=True)
    assert "no examples · 4/8 agree on 18 inputs · ignores payer —" in title
    assert candidate_data(ignoring)["ignoredParameters"] == ["payer"]
    unrun = FakeRanked(body="    return 0\n", ignored=("entries", "payer"))
    assert "no examples to check · ignores entries, payer —" in candidate_title(unrun, preview=True)
    reading = FakeRanked(body="    return 1\n", score_parts=parts)
    assert "ignores" not in candidate_title(reading, preview=True)
    assert "ignoredParameters" not in candidate_data(reading)
