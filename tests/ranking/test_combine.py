"""The combiner on fixed candidate sets: order, grouping, switches, evidence, verified."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from codegen_lsp import inputs
from codegen_lsp.ranking import agreement, combine, verifier
from codegen_lsp.ranking.candidate import (
    FROZEN_WRITE,
    OBJECT_MISUSE,
    OPERAND_MISUSE,
    Candidate,
    documented_raises,
)
from codegen_lsp.settings import RankingSettings


def cand(code: str, passed: int, total: int, lp: float, sig: str | None, **kw: object) -> Candidate:
    errored = sig is None and total > 0
    return Candidate(
        code=code,
        logprobs=[lp, lp],
        examples_passed=passed,
        examples_total=total,
        errored=errored,
        signature=sig,
        record="ERROR: boom" if errored else "# return: (int)=3",
        description="Add.\n>>> add(1, 2)\n3",
        **kw,  # type: ignore[arg-type]
    )


def order(cands: list[Candidate], **settings: object) -> list[str]:
    ranked = combine.rank(cands, RankingSettings(**settings))  # type: ignore[arg-type]
    return [cands[r.index].code for r in ranked]


def test_examples_come_first_then_agreement_mass() -> None:
    cands = [
        cand("wrong-confident", 0, 2, -0.01, "s0"),
        cand("right-a", 2, 2, -0.9, "s1"),
        cand("right-b", 2, 2, -1.0, "s1"),
        cand("other-pass", 2, 2, -0.5, "s2"),
    ]
    # The two agreeing candidates outweigh the single more confident one.
    assert order(cands) == ["right-a", "right-b", "other-pass", "wrong-confident"]
    # Without agreement, confidence decides among the passing ones.
    assert order(cands, agreement=False) == ["other-pass", "right-a", "right-b", "wrong-confident"]
    # Without the examples signal, the confident wrong one can win on log-prob alone.
    assert order(cands, examples=False, agreement=False)[0] == "wrong-confident"


def test_errors_never_group() -> None:
    cands = [
        cand("e1", 0, 2, -0.1, None),
        cand("e2", 0, 2, -0.1, None),
        cand("ok", 0, 2, -2.0, "s"),
    ]
    assert agreement.group_sizes(cands) == [1, 1, 1]
    ranked = combine.rank(cands, RankingSettings())
    assert all(r.group_size == 1 for r in ranked)


def test_duplicates_count_as_agreement() -> None:
    cands = [cand("a", 1, 1, -0.5, "x", duplicates=3), cand("b", 1, 1, -0.2, "y")]
    assert order(cands) == ["a", "b"]
    assert agreement.group_sizes(cands) == [3, 1]


def test_score_parts_and_lever_score() -> None:
    cands = [cand("a", 1, 1, -0.5, "x"), cand("b", 1, 1, -0.5, "x"), cand("c", 0, 1, -1.0, "z")]
    ranked = combine.rank(cands, RankingSettings(verifier=False))
    top = ranked[0]
    p = math.exp(-0.5)
    assert top.parts["p_lm"] == pytest.approx(p)
    assert top.parts["examples"] == 1.0 and top.parts["agreement"] == 2.0
    assert top.score == pytest.approx(2 * p / (2 * p + math.exp(-1.0)))
    assert "verifier" not in top.parts


def test_verified_needs_all_examples_and_the_threshold() -> None:
    passing = [cand("a", 2, 2, -0.1, "x"), cand("b", 2, 2, -0.1, "y")]
    ranked = combine.rank(passing, RankingSettings(verifier=False, verified_threshold=0.4))
    assert ranked[0].score == pytest.approx(0.5) and ranked[0].verified
    ranked = combine.rank(passing, RankingSettings(verifier=False, verified_threshold=0.6))
    assert not ranked[0].verified
    partial = [cand("a", 1, 2, -0.1, "x")]
    ranked = combine.rank(partial, RankingSettings(verifier=False, verified_threshold=0.0))
    assert ranked[0].score == pytest.approx(1.0) and not ranked[0].verified
    no_examples = [Candidate(code="a", logprobs=[-0.1], examples_total=0)]
    ranked = combine.rank(no_examples, RankingSettings(verifier=False, verified_threshold=0.0))
    assert not ranked[0].verified


def test_a_body_that_ignores_a_parameter_is_never_marked_verified() -> None:
    # Three of four samples of a ride log's `best_segment(segments, min_length_km)` passed its
    # example and agreed near it, picking the longest segment of all, and were marked.
    passing = [cand("a", 2, 2, -0.1, "x"), cand("b", 2, 2, -0.1, "y")]
    settings = RankingSettings(verifier=False, verified_threshold=0.4)
    assert combine.rank(passing, settings)[0].verified
    ignoring = [dataclasses.replace(c, unread=("min_length_km",)) for c in passing]
    assert not any(r.verified for r in combine.rank(ignoring, settings))
    # Nor without examples, where nearly all the samples agree on every input.
    agreeing = probed("sums-all", -0.1, "abcd", dup=4)
    marking = RankingSettings(verified_agreement=0.9)
    assert combine.rank([agreeing], marking)[0].verified
    alone = dataclasses.replace(agreeing, unread=("payer",))
    assert not combine.rank([alone], marking)[0].verified


def test_a_failing_reviewer_contributes_nothing() -> None:
    def broken(_: Candidate) -> list[float]:
        raise RuntimeError("model gone")

    cands = [cand("a", 1, 1, -0.5, "x"), cand("b", 1, 1, -0.4, "y")]
    ranked = combine.rank(cands, RankingSettings(reviewer=True), review_fn=broken)
    assert [r.reviewer for r in ranked] == [None, None]
    assert order(cands) == [cands[r.index].code for r in ranked]


def test_reviewer_reorders_when_on() -> None:
    cands = [cand("a", 1, 1, -0.5, "x"), cand("b", 1, 1, -0.5, "y")]

    def review(c: Candidate) -> list[float]:
        return [-0.1] if c.code == "b" else [-3.0]

    ranked = combine.rank(cands, RankingSettings(reviewer=True), review_fn=review)
    assert cands[ranked[0].index].code == "b" and ranked[0].reviewer == pytest.approx(-0.1)


def test_verifier_model_scores_and_a_broken_one_is_ignored(tmp_path: Path) -> None:
    n = len(verifier.FEATURES)
    weights = [0.0] * n
    weights[verifier.FEATURES.index("pass_fraction")] = 3.0
    import numpy as np

    # Threshold 0.3: the top score here (0.38) clears it, not the setting's default (0.5).
    model = verifier.VerifierModel(np.array(weights), 0.0, np.zeros(n), np.ones(n), 0.3)
    path = tmp_path / "v.json"
    model.save(path)
    loaded = verifier.VerifierModel.load(path)
    assert loaded is not None
    cands = [cand("a", 2, 2, -0.5, "x"), cand("b", 0, 2, -0.1, "y")]
    probs = verifier.verify(cands, agreement.group_sizes(cands), loaded)
    assert probs[0] == pytest.approx(1 / (1 + math.exp(-3.0))) and probs[1] == pytest.approx(0.5)
    # One passing sample: the mark's samples gate (tested below) is not what this is about.
    ranked = combine.rank(cands, RankingSettings(verified_near_samples=1), loaded)
    assert ranked[0].parts["verifier"] == pytest.approx(probs[0])
    p_a, p_b = math.exp(-0.5), math.exp(-0.1)
    assert ranked[0].score == pytest.approx(p_a * probs[0] / (p_a + p_b))  # 0.382
    # The threshold read back from the artifact (0.3), not the setting's default (0.5), decides.
    assert loaded.threshold == 0.3 and RankingSettings().verified_threshold == 0.5
    assert ranked[0].verified
    path.write_text("{not json")
    assert verifier.VerifierModel.load(path) is None
    shape_mismatch = verifier.VerifierModel(np.zeros(3), 0.0, np.zeros(3), np.ones(3), 0.5)
    assert verifier.verify(cands, [1, 1], shape_mismatch) == [None, None]


def test_the_verified_threshold_is_the_verifiers_else_the_setting() -> None:
    import numpy as np

    n = len(verifier.FEATURES)
    weights = np.zeros(n)
    weights[verifier.FEATURES.index("pass_fraction")] = 3.0

    def model(threshold: float) -> verifier.VerifierModel:
        return verifier.VerifierModel(weights, 0.0, np.zeros(n), np.ones(n), threshold)

    cands = [cand("a", 2, 2, -0.5, "x"), cand("b", 0, 2, -0.1, "y")]
    p_a, p_b = math.exp(-0.5), math.exp(-0.1)
    with_verifier = p_a * (1 / (1 + math.exp(-3.0))) / (p_a + p_b)  # 0.382
    without_verifier = p_a / (p_a + p_b)  # 0.401
    low, high = 0.35, 0.45
    # Both scores lie between the two thresholds: which one is used decides "verified".
    assert low < with_verifier < high and low < without_verifier < high

    def top(settings: RankingSettings, m: verifier.VerifierModel | None) -> combine.Ranked:
        # One passing sample: the mark's samples gate (tested below) is not what this is about.
        ranked = combine.rank(cands, dataclasses.replace(settings, verified_near_samples=1), m)
        assert cands[ranked[0].index].code == "a" and cands[ranked[0].index].passes_all
        return ranked[0]

    # With a verifier model, its threshold decides, whichever way the setting points.
    first = top(RankingSettings(verified_threshold=high), model(low))
    assert first.score == pytest.approx(with_verifier) and first.verified
    first = top(RankingSettings(verified_threshold=low), model(high))
    assert first.score == pytest.approx(with_verifier) and not first.verified
    # The mark's own threshold (chosen with the near gate), when the metadata has one, beats
    # the verifier's, both ways.
    marked = dataclasses.replace(model(high), mark_threshold=low)
    assert top(RankingSettings(verified_threshold=high), marked).verified
    marked = dataclasses.replace(model(low), mark_threshold=high)
    assert not top(RankingSettings(verified_threshold=low), marked).verified
    # Without the near gate the mark's threshold (chosen with it) does not apply.
    assert top(RankingSettings(example_variants=False), marked).verified
    # Without one, the setting decides, both ways.
    first = top(RankingSettings(verified_threshold=low), None)
    assert first.score == pytest.approx(without_verifier) and first.verified
    first = top(RankingSettings(verified_threshold=high), None)
    assert first.score == pytest.approx(without_verifier) and not first.verified


def test_the_shipped_verifier_prefers_passing_agreeing_candidates() -> None:
    model = verifier.VerifierModel.load()
    assert model is not None, "server/codegen_lsp/data/verifier.json must ship with the package"
    assert 0.0 < model.threshold <= 1.0
    cands = [
        cand("good", 2, 2, -0.3, "x", duplicates=2),
        cand("also-good", 2, 2, -0.4, "x"),
        cand("bad", 0, 2, -0.3, "y"),
        cand("crash", 0, 2, -0.3, None),
    ]
    probs = verifier.verify(cands, agreement.group_sizes(cands), model)
    assert all(p is not None and 0.0 <= p <= 1.0 for p in probs)
    assert probs[0] > probs[2] and probs[0] > probs[3]  # type: ignore[operator]


def _longer_is_better() -> verifier.VerifierModel:
    """A verifier that scores the body's length: it prefers the longer of two candidates."""
    import numpy as np

    n = len(verifier.FEATURES)
    weights = np.zeros(n)
    weights[verifier.FEATURES.index("body_lines")] = 10.0
    return verifier.VerifierModel(weights, -10.0, np.zeros(n), np.ones(n), 0.9)


def _short_and_long(total: int) -> list[Candidate]:
    short = Candidate(
        code="    return a + b",
        logprobs=[-0.2, -0.2],
        examples_passed=total,
        examples_total=total,
        signature="x" if total else None,
    )
    long = Candidate(
        code="    s = a\n    s += b\n    return s",
        logprobs=[-0.6, -0.6],
        examples_passed=total,
        examples_total=total,
        signature="y" if total else None,
    )
    return [short, long]


def test_without_examples_the_likelihood_best_comes_first_whatever_the_verifier_says() -> None:
    model = _longer_is_better()
    cands = _short_and_long(total=0)
    probs = verifier.verify(cands, agreement.group_sizes(cands), model)
    # The verifier alone would put the less likely candidate first, and by far enough that
    # P_LM x P_verifier would too (0.82 x 0.04 against 0.55 x 0.98): the gate must hold it off.
    assert probs[1] > 0.9 > 0.1 > probs[0]  # type: ignore[operator]
    ranked = combine.rank(cands, RankingSettings(), model)
    assert cands[ranked[0].index].code == "    return a + b"
    assert [r.verifier for r in ranked] == [None, None]
    for r in ranked:
        assert "verifier" not in r.parts and "agreement" not in r.parts
        assert r.parts["p_lm"] == pytest.approx(math.exp(cands[r.index].mean_logprob or 0.0))
        assert not r.verified
    # The order is mean log-prob's.
    assert [r.index for r in ranked] == [0, 1]
    assert ranked[0].score == pytest.approx(math.exp(-0.2) / (math.exp(-0.2) + math.exp(-0.6)))


def test_with_examples_the_same_verifier_still_counts() -> None:
    model = _longer_is_better()
    cands = _short_and_long(total=2)  # both pass both examples: the verifier decides
    ranked = combine.rank(cands, RankingSettings(), model)
    assert cands[ranked[0].index].code.startswith("    s = a")
    assert all(r.verifier is not None and "verifier" in r.parts for r in ranked)
    assert all("agreement" in r.parts for r in ranked)


def test_without_examples_exact_duplicates_still_weigh() -> None:
    # No behaviour to agree on, but three samples wrote the same code: their mass counts, as
    # every sample's P_LM does in LEVER's sum.
    cands = [
        Candidate(code="a", logprobs=[-0.3], duplicates=3),
        Candidate(code="b", logprobs=[-0.2]),
    ]
    ranked = combine.rank(cands, RankingSettings())
    assert [cands[r.index].code for r in ranked] == ["a", "b"]
    assert ranked[0].group_size == 3 and "agreement" not in ranked[0].parts


def probed(code: str, lp: float, behaviour: str, wrong: float = 0.0, dup: int = 1) -> Candidate:
    """A candidate of a function without examples, run on len(behaviour) drawn inputs."""
    keys = tuple("t" if c == "t" else ("!E" if c == "!" else f"={c}") for c in behaviour)
    return Candidate(
        code=code,
        logprobs=[lp, lp],
        behaviour=keys,
        wrong_type_share=wrong,
        duplicates=dup,
        description="Sum it.",
    )


def test_without_examples_the_behaviour_most_samples_share_ranks_first() -> None:
    cands = [
        probed("confident-odd-one", -0.05, "abcd"),
        probed("agree-1", -0.4, "wxyz"),
        probed("agree-2", -0.5, "wxyz"),
        probed("mostly-agree", -0.45, "wxya"),  # differs on one input of four: partial support
    ]
    ranked = combine.rank(cands, RankingSettings())
    assert [cands[r.index].code for r in ranked][:3] == ["agree-1", "agree-2", "mostly-agree"]
    top = ranked[0]
    assert top.parts["agreement"] == 2 and top.parts["inputs"] == 4 and top.parts["samples"] == 4
    assert not top.verified  # agreement is evidence, never proof
    # Switched off, or with no inputs run, it is the model's likelihood again.
    assert order(cands, agreement=False)[0] == "confident-odd-one"
    bare = [dataclasses.replace(c, behaviour=()) for c in cands]
    assert order(bare)[0] == "confident-odd-one"
    assert "inputs" not in combine.rank(bare, RankingSettings())[0].parts


def test_without_examples_only_near_unanimous_clean_agreement_is_verified() -> None:
    settings = RankingSettings(verified_agreement=0.9)
    unanimous = [probed(f"same-{i}", -0.2, "abcd") for i in range(4)]
    assert all(r.verified for r in combine.rank(unanimous, settings))
    # A dissenting sample lowers the share below the bar: nothing is verified.
    split = [*unanimous[:3], probed("other", -0.2, "wxyz")]
    assert not any(r.verified for r in combine.rank(split, settings))
    # Samples that all raise alike agree, but their own crashes count against them.
    crashing = [probed(f"crash-{i}", -0.2, "ab!!") for i in range(4)]
    assert not any(r.verified for r in combine.rank(crashing, settings))
    # Nothing run, nothing verified, however many samples wrote the same code.
    bare = [dataclasses.replace(c, behaviour=()) for c in unanimous]
    assert not any(r.verified for r in combine.rank(bare, settings))
    # The default bar is the one chosen on data (models/verifier/verified.py --no-examples).
    default = combine.rank(unanimous, RankingSettings())[0]
    assert default.verified is (default.score >= RankingSettings().verified_agreement)


def test_similarity_counts_inputs_alike_and_never_two_timeouts() -> None:
    a, b = probed("a", -0.1, "xy!t"), probed("b", -0.1, "xz!t")
    assert agreement.similarity(a, b) == pytest.approx(0.5)  # x and the same exception
    assert agreement.similarity(a, a) == 1.0
    assert agreement.similarity(a, probed("c", -0.1, "")) == 0.0


def test_broken_code_agrees_with_nothing() -> None:
    # Found on a ledger's `total(entries: list[Entry])` (Entry a TypedDict): five samples read
    # `entry.amount` and raised AttributeError on every non-empty list; as "agreement" they
    # outranked the one body that read `entry["amount"]` and never raised.
    def reads(code: str, lp: float, attribute: bool) -> Candidate:
        key = "!AttributeError" if attribute else "=1"
        return dataclasses.replace(
            probed(code, lp, ""), behaviour=("=0", key, key, key), description="Sum them."
        )

    broken = [reads(f"attr-{i}", -0.3, True) for i in range(5)]
    right = reads("key", -0.3, False)
    assert agreement.similarity(broken[0], broken[1]) == pytest.approx(0.25)  # only `=0`
    ranked = combine.rank([*broken, right], RankingSettings())
    assert ranked[0].index == 5, [(r.index, r.score) for r in ranked]
    # Each broken one is a group of its own: the editor does not say "5/6 agree".
    assert [r.group_size for r in ranked] == [1] * 6
    # Refusals still agree: two bodies raising the ValueError the inputs call for back each other.
    refusing = [
        dataclasses.replace(c, behaviour=("=0", "!ValueError", "!ValueError", "=2"))
        for c in broken[:2]
    ]
    assert agreement.similarity(*refusing) == 1.0
    assert combine.rank(refusing, RankingSettings())[0].group_size == 2
    # Without type hints nothing vouches for the inputs: HumanEval/67's unhinted
    # `fruit_distribution(s, n)` was proposed `s` an int, where every body's `s.split()`
    # raises AttributeError; the seven right bodies must still back each other.
    unhinted = [dataclasses.replace(c, crashes_excused=True) for c in broken[:2]]
    assert agreement.similarity(*unhinted) == 1.0
    assert combine.rank(unhinted, RankingSettings())[0].group_size == 2


def test_own_crashes_and_wrong_return_types_count_against_a_candidate() -> None:
    # Two equally likely candidates that agree with nobody: the one that crashes on half the
    # inputs, and the one that returns a type the annotation rules out, come last.
    clean = probed("clean", -0.3, "abcd")
    crashes = probed("crashes", -0.3, "ef!!")
    wrong_type = probed("wrong-type", -0.3, "ghij", wrong=1.0)
    ranked = combine.rank([crashes, wrong_type, clean], RankingSettings())
    assert [r.index for r in ranked] == [2, 0, 1]
    assert ranked[1].score == pytest.approx(ranked[0].score * (1 - combine.CRASH_PENALTY * 0.5))
    # The parts say on how many inputs each raised, so that agreeing crashes read as such.
    assert [r.parts["crashes"] for r in ranked] == [0, 2, 0]


def test_without_type_hints_a_refused_input_is_no_fault_but_broken_code_still_is() -> None:
    # MBPP's get_pairs_count(arr, n, sum) is proposed n past the end of arr: the right bodies
    # index arr[i] for i < n and raise there, a wrong one loops over arr and does not. Without
    # hints nothing vouches for the model's proposed inputs, so raising on one is no fault.
    crashes = dataclasses.replace(probed("crashes", -0.3, "ef!!"), crashes_excused=True)
    clean = dataclasses.replace(probed("clean", -0.3, "abcd"), crashes_excused=True)
    assert combine.behaviour_penalty(crashes) == 1.0
    ranked = combine.rank([crashes, clean], RankingSettings())
    assert ranked[0].score == pytest.approx(ranked[1].score)
    # With hints the same crashes count (the inputs were ones the function accepts).
    hinted = dataclasses.replace(crashes, crashes_excused=False)
    assert combine.behaviour_penalty(hinted) == pytest.approx(1 - combine.CRASH_PENALTY * 0.5)
    # A typo'd name is broken code whatever the input: it always counts.
    broken = dataclasses.replace(crashes, behaviour=tuple("!NameError" for _ in range(4)))
    assert combine.behaviour_penalty(broken) == pytest.approx(1 - combine.BROKEN_PENALTY)


def test_with_examples_inputs_split_candidates_that_the_examples_cannot() -> None:
    def passing(code: str, lp: float, behaviour: str) -> Candidate:
        keys = tuple(f"={c}" for c in behaviour)
        return dataclasses.replace(cand(code, 2, 2, lp, "s1"), behaviour=keys)

    cands = [passing("likeliest", -0.2, "ab"), passing("b1", -0.5, "cd"), passing("b2", -0.6, "cd")]
    # Alike on the examples: one group, and likelihood decides.
    assert order([dataclasses.replace(c, behaviour=()) for c in cands], verifier=False)[0] == (
        "likeliest"
    )
    # The inputs show two behaviours; the one more samples share comes first.
    assert order(cands, verifier=False)[:2] == ["b1", "b2"]


def test_candidates_that_part_ways_near_the_examples_are_never_verified() -> None:
    strict = RankingSettings(verified_threshold=0.5, verified_near_agreement=1.0)
    alike = [
        cand("a", 2, 2, -0.1, "s1", near=("=1", "!ValueError")),
        cand("b", 2, 2, -1.0, "s1", near=("=1", "!ValueError")),
    ]
    ranked = combine.rank(alike, strict)
    assert ranked[0].verified and ranked[0].parts["near_agreement"] == pytest.approx(1.0)
    # A third passing candidate returns a value where the others raise: same examples, same
    # score for the first (the dissenter comes last among equals), but no longer verified.
    apart = [*alike, cand("c", 2, 2, -3.0, "s1", near=("=1", "=0"))]
    ranked = combine.rank(apart, strict)
    assert [apart[r.index].code for r in ranked] == ["a", "b", "c"]
    assert ranked[0].score == pytest.approx(1.0)
    assert ranked[0].parts["near_agreement"] < 1.0 and not ranked[0].verified
    # Half the likelihood: a small dissent is tolerated...
    half = RankingSettings(verified_threshold=0.5, verified_near_agreement=0.5)
    assert combine.rank(apart, half)[0].verified
    # ... a larger one is not: three ways, none with half of the likelihood.
    split = [
        *alike,
        cand("c", 2, 2, -0.15, "s1", near=("=1", "=0")),
        cand("d", 2, 2, -0.15, "s1", near=("=1", "=2")),
    ]
    top = combine.rank(split, half)[0]
    assert split[top.index].code == "a" and top.parts["near_agreement"] < 0.5
    assert not top.verified
    # A failing candidate is not asked: it cannot be verified anyway.
    failing = [*alike, cand("d", 1, 2, -0.05, "s2", near=("=5", "=5"))]
    top = combine.rank(failing, strict)[0]
    assert top.verified and top.parts["near_agreement"] == pytest.approx(1.0)


def test_a_lone_sample_is_never_verified_two_that_act_alike_near_the_examples_may_be() -> None:
    # The default mark (chosen on MBPP validation with models/verifier/verified.py): another
    # sample must pass every example and do exactly what the top does near them.
    settings = RankingSettings(verified_threshold=0.5)
    assert settings.verified_near_samples == 2
    lone = [cand("a", 2, 2, -0.1, "s1", near=("=1",)), cand("x", 0, 2, -0.1, "s0")]
    assert not combine.rank(lone, settings)[0].verified
    twice = [cand("a", 2, 2, -0.1, "s1", near=("=1",), duplicates=2), lone[1]]
    assert combine.rank(twice, settings)[0].verified
    alike = [*lone, cand("b", 2, 2, -0.2, "s1", near=("=1",))]
    assert combine.rank(alike, settings)[0].verified
    apart = [*lone, cand("b", 2, 2, -0.2, "s1", near=("=2",))]
    assert not any(r.verified for r in combine.rank(apart, settings))
    # Without calls near the examples, two passing samples are enough.
    plain = [cand("a", 2, 2, -0.1, "s1"), cand("b", 2, 2, -0.2, "s1"), lone[1]]
    assert combine.rank(plain, settings)[0].verified


def test_among_equals_the_one_doing_what_most_do_near_the_examples_comes_first() -> None:
    # One LEVER group (same examples, same score). The likeliest goes its own way on one call
    # near the examples; the other two agree there, and the likelier of them comes first. A
    # candidate that fails an example has no say, whatever it did near them.
    equals = [
        cand("loner", 2, 2, -0.1, "s1", near=("=1", "=9", "!ValueError")),
        cand("second", 2, 2, -0.3, "s1", near=("=1", "=2", "!KeyError")),
        cand("third", 2, 2, -0.5, "s1", near=("=1", "=2", "!KeyError")),
        cand("failing", 1, 2, -0.01, "s2", near=("=1", "=9", "!ValueError")),
    ]
    assert order(equals) == ["second", "third", "loner", "failing"]
    consensus = combine.near_consensus(equals, [math.exp(c.mean_logprob or 0) for c in equals])
    assert consensus[0] < consensus[1] == consensus[2] and consensus[3] == 0.0
    # Without the calls near the examples, likelihood decides among equals, as before.
    plain = [dataclasses.replace(c, near=()) for c in equals]
    assert order(plain) == ["loner", "second", "third", "failing"]


def test_among_equals_the_one_raising_what_the_docstring_says_comes_first() -> None:
    # "Raise ValueError when currencies mix": every body passes the example (one currency);
    # near it, the likeliest two return a total for a mix, and one refuses it as documented.
    mixing = "Add up amounts; raise ValueError when currencies mix.\n>>> total(a)\n3"
    equals = [
        dataclasses.replace(cand(code, passed, 2, lp, sig, near=near), description=mixing)
        for code, passed, lp, sig, near in (
            ("sums-anyway", 2, -0.1, "s1", ("=1", "=3")),
            ("sums-again", 2, -0.2, "s1", ("=1", "=3")),
            ("refuses", 2, -0.5, "s1", ("=1", "!ValueError")),
            ("fails", 1, -0.01, "s2", ("=1", "!ValueError")),
        )
    ]
    assert order(equals) == ["refuses", "sums-anyway", "sums-again", "fails"]
    # Raising something else, or a docstring that names no exception: the old order.
    other = [
        dataclasses.replace(c, near=("=1", "!KeyError")) if c.code == "refuses" else c
        for c in equals
    ]
    assert order(other)[0] == "sums-anyway"
    silent = [dataclasses.replace(c, description="Add up amounts.") for c in equals]
    assert order(silent)[0] == "sums-anyway"
    # Without examples, the inputs drawn from the signature count as well.
    drawn = dataclasses.replace(equals[2], near=(), behaviour=("=1", "!ValueError"))
    assert drawn.raises_as_documented and not equals[0].raises_as_documented


def test_a_documented_raise_on_an_empty_argument_is_no_sign_of_the_rule() -> None:
    # `total([])` near the example: a body that refuses it with a ValueError (as `max([])`
    # would) and sums a mix has not followed "raise ValueError when currencies mix"; the body
    # that refuses the mix has, and comes first though less likely.
    mixing = "Add up amounts; raise ValueError when currencies mix.\n>>> total(a)\n3"
    refuses_empty = dataclasses.replace(
        cand("refuses-empty", 2, 2, -0.1, "s1", near=("!ValueError", "=3")),
        near_empty=("!ValueError",),
        description=mixing,
    )
    refuses_mix = dataclasses.replace(
        cand("refuses-mix", 2, 2, -0.5, "s1", near=("!IndexError", "!ValueError")),
        near_empty=("!IndexError",),
        description=mixing,
    )
    assert not refuses_empty.raises_as_documented and refuses_mix.raises_as_documented
    assert order([refuses_empty, refuses_mix]) == ["refuses-mix", "refuses-empty"]
    # Where the docstring speaks of emptiness, refusing an empty argument is the rule.
    empty_rule = dataclasses.replace(
        refuses_empty, description="Add up; raise ValueError when items is empty.\n>>> total(a)\n3"
    )
    assert empty_rule.raises_as_documented


@pytest.mark.parametrize(
    ("description", "names"),
    [
        ("Add up amounts; raise ValueError when currencies mix.", {"ValueError"}),
        (
            "Look it up. Raises a `KeyError` if absent, throws TypeError else.",
            {"KeyError", "TypeError"},
        ),
        ("Parse.\n\n:param text: the text\n:raises ValueError: when empty\n", {"ValueError"}),
        (
            "Parse.\n\n    Raises:\n        KeyError: if missing.\n        OverdrawnError: if\n"
            "            the balance is short.\n\n    Returns:\n        Int: the total\n",
            {"KeyError", "OverdrawnError"},
        ),
        (
            "Parse.\n\nRaises\n------\nTypeError\n    If wrong.\n\nNotes\n-----\nNone\n",
            {"TypeError"},
        ),
        ("Raise an error if the list is empty; raises the price.", set()),
        ("Return the value.", set()),
    ],
)
def test_the_exceptions_a_docstring_says_are_raised(description: str, names: set[str]) -> None:
    assert documented_raises(description) == names


def test_a_candidate_that_hangs_near_the_examples_is_never_verified() -> None:
    # Both pass every example and act alike where both finished; the likelier one recurses
    # without memory and ran out of time on the larger call (``fib4(33)``).
    settings = RankingSettings(verified_threshold=0.5)
    finishing = [
        cand("loop", 2, 2, -0.1, "s1", near=("=1", "=2")),
        cand("loop again", 2, 2, -0.2, "s1", near=("=1", "=2")),
    ]
    assert combine.rank(finishing, settings)[0].verified
    hanging = [
        cand("recursion", 2, 2, -0.1, "s1", near=("t", "=2")),
        cand("recursion again", 2, 2, -0.2, "s1", near=("t", "=2")),
    ]
    ranked = combine.rank(hanging, settings)
    assert ranked[0].score == pytest.approx(1.0) and ranked[0].parts["near_agreement"] == 1.0
    assert not ranked[0].verified


def test_a_candidate_that_breaks_near_the_examples_is_verified_only_where_that_is_excused() -> None:
    # Both pass every example and raise alike on one call near them (``rolling_max([])``).
    settings = RankingSettings(verified_threshold=0.5)

    def pair(key: str, **kw: object) -> list[Candidate]:
        return [
            dataclasses.replace(
                cand(code, 2, 2, lp, "s1", near=("=1", key), near_empty=(key,)), **kw
            )  # type: ignore[arg-type]
            for code, lp in (("a", -0.1), ("b", -0.2))
        ]

    broken = combine.rank(pair("!IndexError"), settings)[0]
    assert broken.score == pytest.approx(1.0) and not broken.verified
    assert broken.parts["breaks_near"] == 1.0
    for excused in (
        pair("!ValueError"),  # how Python refuses a value outside the domain: max([])
        pair("!IndexError", crashes_excused=True),  # no hints: nothing says the call is allowed
        pair("!IndexError", description="Add.\nRaises IndexError when empty.\n>>> add(1, 2)\n3"),
        pair("=2"),
        pair("!IndexError", near_empty=()),  # not on an empty argument: fib4(-5)
    ):
        ranked = combine.rank(excused, settings)[0]
        assert ranked.verified and "breaks_near" not in ranked.parts


def test_many_samples_agreeing_on_broken_code_lose_to_one_that_runs() -> None:
    # The user try's cart: seven samples read `self.discount.percent` (no such attribute) and
    # raise alike on every input; one sample runs. A refused input is no fault (a ValueError on
    # a drawn value the docstring rules out), but an AttributeError on every input is.
    def raising(code: str, error: str) -> Candidate:
        keys = tuple(f"!{error}" for _ in range(4))
        return dataclasses.replace(probed(code, -0.2, "abcd"), behaviour=keys)

    broken = [raising(f"percent-{i}", "AttributeError") for i in range(7)]
    runs = probed("value", -0.2, "abcd")
    assert order([*broken, runs])[0] == "value"
    # Seven samples that refuse every drawn input alike still outweigh the one that does not.
    refusing = [raising(f"refuses-{i}", "ValueError") for i in range(7)]
    assert order([*refusing, runs])[0].startswith("refuses")
    assert runs.broken_share == 0 and broken[0].broken_share == 1 == broken[0].crash_share
    assert refusing[0].broken_share == 0


def test_arithmetic_the_hints_rule_out_is_broken_code_where_the_inputs_follow_them() -> None:
    # `line.unit_price * line.quantity` where Money has no `*`, on inputs drawn from the hints:
    # the code's fault. Without hints the model's calls may pass a str where a body adds ints.
    assert inputs.error_key("TypeError: unsupported operand type(s) for *: 'Money' and 'int'") == (
        OPERAND_MISUSE
    )
    assert inputs.error_key("TypeError: 'int' object is not subscriptable") == "!TypeError"
    # The same misuse, however Python words it for the operator and the operands' order.
    for message in (
        "can't multiply sequence by non-int of type 'float'",
        'can only concatenate str (not "int") to str',
        "can't concat int to bytes",
        "bad operand type for unary -: 'str'",
        "'<' not supported between instances of 'NoneType' and 'datetime.date'",
        "'>=' not supported between instances of 'Money' and 'int'",
    ):
        assert inputs.error_key(f"TypeError: {message}") == OPERAND_MISUSE, message
    # A bare `list`'s drawn items may be of any builtin type: sorting them is the input's fault.
    for message in (
        "'<' not supported between instances of 'str' and 'int'",
        "'<' not supported between instances of 'NoneType' and 'int'",
        "must be real number, not str",
    ):
        assert inputs.error_key(f"TypeError: {message}") == "!TypeError", message
    keys = (OPERAND_MISUSE, OPERAND_MISUSE, "=1", "=2")
    hinted = dataclasses.replace(probed("times", -0.2, "abcd"), behaviour=keys)
    unhinted = dataclasses.replace(hinted, crashes_excused=True)
    assert hinted.broken_share == 0.5 and unhinted.broken_share == 0.0
    assert combine.behaviour_penalty(hinted) < combine.behaviour_penalty(
        dataclasses.replace(hinted, behaviour=("!ValueError", "!ValueError", "=1", "=2"))
    )
    # Two hinted bodies that both misuse an operand do not agree there (broken code agrees
    # with nothing); without hints they do.
    assert agreement.similarity(hinted, dataclasses.replace(hinted, code="other")) == 0.5
    assert agreement.similarity(unhinted, dataclasses.replace(unhinted, code="other")) == 1.0
    # A docstring that says it raises TypeError does not excuse the misuse where hints hold.
    documented = dataclasses.replace(hinted, description="Multiply; raises TypeError if odd.")
    assert documented.documented_share == 0.0
    assert dataclasses.replace(documented, crashes_excused=True).documented_share == 0.5


def test_misusing_a_classs_object_or_constructor_is_broken_code_on_hinted_inputs() -> None:
    # A ledger's body looped over the `Room` it looked up: TypeError on every input, no repair.
    for message in (
        "TypeError: 'Room' object is not iterable",
        "TypeError: 'Booking' object is not subscriptable",
        "TypeError: 'Status' object is not callable",
        "TypeError: 'datetime.date' object is not iterable",
        # A class called with what it does not take: the probe's own calls build (those
        # that do not are left out before any candidate runs), so the body called it so.
        "TypeError: Room.__init__() missing 1 required positional argument: 'beds'",
        "TypeError: Entry.__new__() takes 4 positional arguments but 5 were given",
        "TypeError: Room.__init__() got an unexpected keyword argument 'size'",
        "TypeError: dict expected at most 1 argument, got 3",  # a TypedDict called positionally
        "TypeError: unhashable type: 'Member'",  # a dataclass's object as a dict's key
    ):
        assert inputs.error_key(message) == OBJECT_MISUSE, message
    # A builtin's may be a drawn value's fault (a bare `list`'s items are anything), and None
    # is what an Optional hint or a helper hands back; a function's arguments may be drawn.
    for message in (
        "TypeError: 'int' object is not subscriptable",
        "TypeError: 'NoneType' object is not iterable",
        "TypeError: helper() takes 2 positional arguments but 3 were given",
        "TypeError: unhashable type: 'list'",
    ):
        assert inputs.error_key(message) == "!TypeError", message
    keys = (OBJECT_MISUSE, "=1", "=2", "=3")
    hinted = dataclasses.replace(probed("loops", -0.2, "abcd"), behaviour=keys)
    assert hinted.broken_share == 0.25
    assert dataclasses.replace(hinted, crashes_excused=True).broken_share == 0.0


def test_writing_a_frozen_dataclass_is_broken_code_where_the_inputs_follow_the_hints() -> None:
    # A user's apply_movements: `item.qty += movement.delta` on a frozen `Item`, in Neovim
    # titled "raises on 1" and shown; as broken code it weighs as such and gets a repair round.
    keys = (FROZEN_WRITE, "=1", "=2", "=3")
    hinted = dataclasses.replace(probed("writes", -0.2, "abcd"), behaviour=keys)
    assert hinted.broken_share == 0.25
    assert dataclasses.replace(hinted, crashes_excused=True).broken_share == 0.0
    assert inputs.error_key("FrozenInstanceError: cannot assign to field 'qty'") == FROZEN_WRITE


def test_without_examples_a_documented_raise_is_no_crash() -> None:
    # "Raise ValueError when currencies mix", no examples: on two of four drawn inputs (mixes)
    # one body refuses as documented, the other sums anyway. Equally likely, neither is
    # penalised for the refusal, and the one doing what the docstring says comes first.
    mixing = "Add up amounts; raise ValueError when currencies mix."

    def drawn(code: str, keys: tuple[str, ...], description: str = mixing) -> Candidate:
        return dataclasses.replace(
            probed(code, -0.3, "abcd"), behaviour=keys, description=description
        )

    refuses = drawn("refuses", ("=1", "=2", "!ValueError", "!ValueError"))
    sums = drawn("sums", ("=1", "=2", "=5", "=7"))
    assert combine.behaviour_penalty(refuses) == combine.behaviour_penalty(sums) == 1.0
    assert order([sums, refuses]) == ["refuses", "sums"]
    # Undocumented, the same refusals count against it; a documented error of broken code too.
    assert combine.behaviour_penalty(drawn("r", refuses.behaviour, "Add up amounts.")) < 1.0
    broken = drawn("b", ("=1", "!NameError"), "Add; raises NameError when unsure.")
    assert broken.documented_share == 0.0 and combine.behaviour_penalty(broken) < 1.0
    # The evidence counts the documented refusals apart from the crashes, for the title.
    ranked = combine.rank([sums, refuses], RankingSettings())
    parts = {[sums, refuses][r.index].code: r.parts for r in ranked}
    assert parts["refuses"]["documented_raises"] == 2 and parts["refuses"]["crashes"] == 0
    assert parts["sums"]["documented_raises"] == 0 and parts["sums"]["crashes"] == 0
    undocumented = drawn("r", refuses.behaviour, "Add up amounts.")
    (alone,) = combine.rank([undocumented], RankingSettings())
    assert alone.parts["crashes"] == 2 and alone.parts["documented_raises"] == 0


def test_without_examples_a_body_that_ignores_a_parameter_loses_to_one_that_reads_them_all() -> (
    None
):
    # A user's `total_paid(entries, payer)`: four samples summed every entry, agreed on every
    # input, and outvoted the one that read `payer`.
    ignoring = dataclasses.replace(probed("sums-all", -0.1, "abcd", dup=4), unread=("payer",))
    cands = [ignoring, probed("filters", -0.2, "wxyz")]
    ranked = combine.rank(cands, RankingSettings())
    assert [cands[r.index].code for r in ranked] == ["filters", "sums-all"]
    assert ranked[1].parts["unread_parameters"] == 1 and "unread_parameters" not in ranked[0].parts
    # With no inputs run, the same.
    bare = [dataclasses.replace(c, behaviour=()) for c in cands]
    assert order(bare) == ["filters", "sums-all"]
    # Where no candidate reads them all there is nothing to prefer: the order is as before.
    alike = [ignoring, dataclasses.replace(cands[1], unread=("entries",))]
    assert order(alike)[0] == "sums-all"
    assert "unread_parameters" not in combine.rank(alike, RankingSettings())[0].parts
    # With examples, the examples judge.
    passing = [
        dataclasses.replace(cand("sums-all", 1, 1, -0.1, "s"), duplicates=4, unread=("payer",)),
        cand("filters", 1, 1, -0.2, "s"),
    ]
    assert order(passing)[0] == "sums-all"
