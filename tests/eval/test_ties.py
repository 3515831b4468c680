"""The combined ranker's top-1 in the harness: only candidates equal in every part but the
index are ties (a tie is broken at random, so counting false ties moves the figure)."""

from __future__ import annotations

from codegen_lsp.eval.harness import expected_top1, ranker_keys
from codegen_lsp.ranking import combine
from codegen_lsp.ranking.candidate import Candidate
from codegen_lsp.settings import RankingSettings


def passing(code: str, logprob: float, near: tuple[str, ...] = ()) -> Candidate:
    return Candidate(
        code=code,
        logprobs=[logprob] * 4,
        examples_passed=2,
        examples_total=2,
        signature="same on the examples",
        near=near,
    )


def test_the_likelier_of_two_equal_candidates_is_the_combined_rankers_only_choice() -> None:
    candidates = [passing("likely", -0.1), passing("unlikely", -0.9)]
    ranked = combine.rank(candidates, RankingSettings(verifier=False))
    keys = ranker_keys(candidates, ranked, [None, None])["combined"]
    assert keys is not None and keys[0] != keys[1]
    assert expected_top1(keys, [True, False], [1, 1]) == 1.0


def test_a_candidate_that_finishes_near_the_examples_is_chosen_before_a_likelier_one() -> None:
    candidates = [passing("recursion", -0.1, ("t",)), passing("loop", -0.9, ("=1",))]
    ranked = combine.rank(candidates, RankingSettings(verifier=False))
    assert [candidates[r.index].code for r in ranked] == ["loop", "recursion"]
    keys = ranker_keys(candidates, ranked, [None, None])["combined"]
    assert keys is not None and expected_top1(keys, [False, True], [1, 1]) == 1.0
