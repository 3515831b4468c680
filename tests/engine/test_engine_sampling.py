"""The sampler on a 152k vocabulary, against a brute-force full-sort reference."""

from __future__ import annotations

import numpy as np
import pytest
from codegen_lsp.engine import sampling

VOCAB = 151_936


def reference_candidates(row: np.ndarray, temperature: float, top_p: float, top_k: int) -> set[int]:
    """Top-k then top-p with a full sort: the textbook definition."""
    order = np.argsort(-row.astype(np.float64), kind="stable")
    if 0 < top_k < len(row):
        order = order[:top_k]
    scaled = row[order].astype(np.float64) / temperature
    weights = np.exp(scaled - scaled.max())
    probabilities = weights / weights.sum()
    cumulative = np.cumsum(probabilities)
    keep = 1
    while keep < len(order) and cumulative[keep - 1] < top_p:
        keep += 1
    return {int(token) for token in order[:keep]}


def peaked_row(rng: np.random.Generator, scale: float) -> np.ndarray:
    return (rng.standard_normal(VOCAB) * scale).astype(np.float32)


@pytest.mark.parametrize(
    ("scale", "temperature", "top_p", "top_k"),
    [
        (4.0, 0.8, 0.95, 50),
        (4.0, 1.0, 0.5, 0),
        (4.0, 0.8, 0.95, 0),  # nucleus larger than the first pool: the full-sort fallback
        (0.1, 1.0, 0.9, 0),  # nearly flat: the nucleus spans most of the vocabulary
        (4.0, 1.3, 1.0, 7),
    ],
)
def test_candidates_match_full_sort_reference(
    scale: float, temperature: float, top_p: float, top_k: int
) -> None:
    row = peaked_row(np.random.default_rng(3), scale)
    tokens, probabilities = sampling.candidates(row, temperature, top_p, top_k)
    assert set(tokens.tolist()) == reference_candidates(row, temperature, top_p, top_k)
    assert probabilities.sum() == pytest.approx(1.0)
    assert np.all(np.diff(probabilities) <= 1e-12)  # descending


def test_samples_respect_top_k_and_top_p() -> None:
    rng = np.random.default_rng(0)
    logits = np.stack([peaked_row(rng, 3.0) for _ in range(4)])
    allowed = [reference_candidates(row, 0.9, 0.8, 20) for row in logits]
    draws = np.random.default_rng(1)
    seen: list[set[int]] = [set() for _ in logits]
    for _ in range(300):
        tokens, _ = sampling.choose(logits, 0.9, 0.8, 20, draws.random(len(logits)))
        for index, token in enumerate(tokens):
            assert int(token) in allowed[index]
            seen[index].add(int(token))
    assert any(len(found) > 1 for found in seen)  # it really samples


def test_temperature_zero_is_argmax_and_logprobs_untempered() -> None:
    rng = np.random.default_rng(5)
    logits = np.stack([peaked_row(rng, 2.0) for _ in range(3)])
    tokens, logprobs = sampling.choose(logits, 0.0, 0.95, 50)
    assert tokens.tolist() == np.argmax(logits, axis=-1).tolist()
    wide = logits.astype(np.float64)
    expected = wide[np.arange(3), tokens] - np.log(np.exp(wide).sum(axis=-1))
    np.testing.assert_allclose(logprobs, expected, rtol=0, atol=1e-5)
    _, tempered = sampling.choose(logits, 0.3, 1.0, 1, rng.random(3))  # top_k=1: the argmax
    np.testing.assert_allclose(tempered, expected, rtol=0, atol=1e-5)


def test_same_uniforms_same_tokens_and_each_row_its_own() -> None:
    logits = np.stack([peaked_row(np.random.default_rng(9), 1.0)] * 4)
    uniforms = np.random.default_rng(42).random(4)
    first, _ = sampling.choose(logits, 1.0, 0.95, 0, uniforms)
    second, _ = sampling.choose(logits, 1.0, 0.95, 0, uniforms.copy())
    assert first.tolist() == second.tolist()
    # A row draws with its own number only: alone, it picks what it picked in the batch.
    for index in range(4):
        alone, _ = sampling.choose(logits[index : index + 1], 1.0, 0.95, 0, uniforms[index:])
        assert alone.tolist() == [first[index]]
    with pytest.raises(ValueError, match="uniform"):
        sampling.choose(logits, 1.0, 0.95, 0, uniforms[:2])


def float64_log_softmax(values: np.ndarray) -> np.ndarray:
    """log_softmax computed in float64, shifted by the row maximum (the textbook way)."""
    wide = values.astype(np.float64)
    peaks = wide.max(axis=-1, keepdims=True)
    return wide - peaks - np.log(np.exp(wide - peaks).sum(axis=-1, keepdims=True))


def awkward_rows() -> np.ndarray:
    """Rows where an unshifted or float32 normaliser could go wrong, with a normal one."""
    rng = np.random.default_rng(11)
    normal = peaked_row(rng, 4.0)
    huge = normal + np.float32(500.0)  # exp overflows float32: needs the shifted route
    tiny = normal - np.float32(400.0)  # exp underflows to 0 everywhere
    spread = normal.copy()
    spread[:10] = 80.0  # a few terms near float32's exp limit, the rest far below
    masked = normal.copy()
    masked[::3] = -np.inf  # tokens a model masks out
    tied = np.zeros(VOCAB, dtype=np.float32)  # a flat row: every token tied
    steps = np.repeat(np.arange(VOCAB // 64, dtype=np.float32), 64)[:VOCAB]
    steps = np.pad(steps, (0, VOCAB - len(steps)), constant_values=-1.0)  # runs of ties
    return np.stack([normal, huge, tiny, spread, masked, tied, steps])


def test_log_probabilities_equal_float64_log_softmax_on_awkward_rows() -> None:
    rows = awkward_rows()
    expected = float64_log_softmax(rows)
    # rtol: the results are float32, whose spacing at -2000 is already 1e-4.
    np.testing.assert_allclose(sampling.log_softmax(rows), expected, rtol=1e-7, atol=1e-5)
    tokens = np.argmax(rows, axis=-1)
    tokens[0] = int(np.argmin(rows[0]))  # an unlikely token too
    got = sampling.token_logprobs(rows, tokens)
    np.testing.assert_allclose(got, expected[np.arange(len(rows)), tokens], rtol=0, atol=1e-5)
    for temperature in (0.0, 0.8):
        uniforms = np.random.default_rng(2).random(len(rows))
        chosen, logprobs = sampling.choose(rows, temperature, 0.95, 50, uniforms)
        want = expected[np.arange(len(rows)), chosen]
        np.testing.assert_allclose(logprobs, want, rtol=0, atol=1e-5)
        assert np.all(np.isfinite(logprobs))


def test_log_probabilities_of_many_rows_processed_in_blocks() -> None:
    """More rows than the scratch buffer holds: the blocks must line up with their rows."""
    rng = np.random.default_rng(4)
    rows = np.stack([peaked_row(rng, 1.0 + index) for index in range(30)])
    assert len(rows) * VOCAB > sampling.SCRATCH_ELEMENTS
    tokens = rng.integers(0, VOCAB, size=len(rows))
    expected = float64_log_softmax(rows)[np.arange(len(rows)), tokens]
    got = sampling.token_logprobs(rows, tokens)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_tempered_normaliser_equals_float64() -> None:
    rows = awkward_rows()[:5]
    for scale in (1.0, 1.25, 1 / 0.7):
        wide = rows.astype(np.float64) * scale
        peaks = wide.max(axis=-1)
        expected = peaks + np.log(np.exp(wide - peaks[:, None]).sum(axis=-1))
        got = sampling.log_normalisers(rows, scale)
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-5)


def reference_top_k(row: np.ndarray, k: int) -> list[int]:
    return [int(t) for t in np.argsort(-row.astype(np.float64), kind="stable")[:k]]


@pytest.mark.parametrize("k", [1, 7, 50, 1024, VOCAB - 1, VOCAB, VOCAB + 5])
def test_top_k_indices_equal_stable_full_sort(k: int) -> None:
    for row in awkward_rows():
        got = sampling.top_k_indices(row, k)
        expected = reference_top_k(row, k)
        assert len(got) == len(expected) == min(k, VOCAB)
        # Ties at the k-th place go to the lower token ids, as with a stable sort.
        assert sorted(got.tolist()) == sorted(expected)


def test_top_k_indices_when_the_largest_logits_all_sit_in_the_subsample() -> None:
    """The threshold's guarantee: it holds even when the subsample holds every large logit."""
    row = np.zeros(VOCAB, dtype=np.float32)
    strided = row[:: sampling.SUBSAMPLE_STRIDE]
    strided[:] = np.linspace(100.0, 1.0, len(strided), dtype=np.float32)
    for k in (50, 1024):
        assert sorted(sampling.top_k_indices(row, k).tolist()) == sorted(reference_top_k(row, k))


def test_top_k_indices_on_a_small_vocabulary_and_boundary_ties() -> None:
    row = np.asarray([0.0, 3.0, 1.0, 3.0, 2.0, 3.0, 1.0], dtype=np.float32)
    assert sorted(sampling.top_k_indices(row, 2).tolist()) == [1, 3]
    assert sorted(sampling.top_k_indices(row, 4).tolist()) == [1, 3, 4, 5]
    assert sorted(sampling.top_k_indices(row, 5).tolist()) == [1, 2, 3, 4, 5]


def test_top_k_larger_than_vocabulary_and_top_p_one_keep_everything() -> None:
    row = np.asarray([0.5, -1.0, 2.0, 0.5], dtype=np.float32)
    tokens, probabilities = sampling.candidates(row, 1.0, 1.0, 10)
    assert tokens.tolist() == [2, 0, 3, 1]
    expected = np.exp(float64_log_softmax(row[None])[0])[tokens]
    np.testing.assert_allclose(probabilities, expected, rtol=1e-12)


def test_nucleus_with_a_given_log_normaliser_matches_computing_it() -> None:
    row = peaked_row(np.random.default_rng(8), 3.0)
    log_total = float(sampling.log_normalisers(row[None])[0])
    given = sampling.candidates(row, 1.0, 0.9, 0, log_total)
    computed = sampling.candidates(row, 1.0, 0.9, 0)
    assert given[0].tolist() == computed[0].tolist()
    np.testing.assert_allclose(given[1], computed[1], rtol=1e-9)
    assert set(given[0].tolist()) == reference_candidates(row, 1.0, 0.9, 0)


def test_threads_sampling_at_once_get_what_each_gets_alone() -> None:
    """The scratch buffer is per thread: concurrent requests must not see each other's terms."""
    from concurrent.futures import ThreadPoolExecutor

    first = np.stack([peaked_row(np.random.default_rng(row), 2.0) for row in range(4)])
    batches = [first * np.float32(1.0 + shift) for shift in range(4)]

    def draw(batch: np.ndarray) -> tuple[list[int], list[float]]:
        uniforms = np.random.default_rng(7).random(len(batch))
        tokens, logprobs = sampling.choose(batch, 0.9, 0.95, 40, uniforms)
        return tokens.tolist(), logprobs.tolist()

    alone = [draw(batch) for batch in batches]
    for _ in range(5):
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(draw, batches)) == alone


@pytest.mark.parametrize(
    ("draft", "temperature", "top_p", "top_k"),
    [
        (0, 1.0, 1.0, 0),  # the likeliest token
        (3, 0.7, 1.0, 0),  # an unlikely one, tempered
        (1, 1.0, 0.9, 4),  # top-k and top-p truncate
        (5, 1.0, 0.8, 0),  # outside the nucleus: p = 0, always replaced
    ],
)
def test_checking_a_draft_leaves_the_distribution_unchanged(
    draft: int, temperature: float, top_p: float, top_k: int
) -> None:
    # A toy row: whether the draft is kept or replaced, the token must follow p exactly, the
    # draft be kept with probability p(draft), and the token be what `choose` picks with the
    # same number (a draft changes how fast, never what).
    row = np.log(np.asarray([0.4, 0.25, 0.15, 0.1, 0.06, 0.04], dtype=np.float32))
    options, probabilities = sampling.candidates(row, temperature, top_p, top_k)
    target = np.zeros(len(row))
    target[options] = probabilities
    after = np.zeros_like(row)  # the row after the draft: read only when it is kept
    draws = 40_000
    uniforms = np.random.default_rng(123).random((draws, 2))
    counts = np.zeros(len(row))
    kept = 0
    for pair in uniforms:
        tokens, _ = sampling.speculate(
            np.stack([row, after]), [draft], temperature, top_p, top_k, pair
        )
        alone, _ = sampling.choose(row[None], temperature, top_p, top_k, pair[:1])
        assert tokens[0] == alone[0]
        counts[tokens[0]] += 1
        kept += len(tokens) == 2
        assert (len(tokens) == 2) == (tokens[0] == draft)
    # 40k draws: a standard error of at most 0.0025 per frequency; 5 of them is a real bias.
    np.testing.assert_allclose(counts / draws, target, atol=0.0125)
    assert kept / draws == pytest.approx(target[draft], abs=0.0125)


def test_speculate_keeps_the_drafts_greedy_would_pick() -> None:
    rng = np.random.default_rng(0)
    logits = np.stack([peaked_row(rng, 3.0) for _ in range(4)])
    best = np.argmax(logits, axis=-1).tolist()
    wrong = (best[1] + 1) % VOCAB
    tokens, logprobs = sampling.speculate(logits, [best[0], wrong, best[2]], 0.0, 1.0, 0)
    assert tokens.tolist() == best[:2]  # the first draft kept, the second replaced by the argmax
    expected = sampling.token_logprobs(logits[:2], np.asarray(best[:2], dtype=np.int64))
    np.testing.assert_array_equal(logprobs, expected)
    tokens, _ = sampling.speculate(logits, best[:3], 0.0, 1.0, 0)
    assert tokens.tolist() == best  # all kept, and the last row's own token after them
    with pytest.raises(ValueError, match="drafts need"):
        sampling.speculate(logits, best, 0.0, 1.0, 0)


def test_speculate_without_drafts_is_choose() -> None:
    row = peaked_row(np.random.default_rng(4), 2.0)[None, :]
    for seed in range(5):
        uniform = np.random.default_rng(seed).random(1)
        chosen = sampling.choose(row, 0.9, 0.95, 50, uniform)
        speculated = sampling.speculate(row, [], 0.9, 0.95, 50, uniform)
        assert chosen[0].tolist() == speculated[0].tolist()
        np.testing.assert_array_equal(chosen[1], speculated[1])


def test_speculated_pairs_follow_the_model() -> None:
    # Two positions on a toy vocabulary: the joint distribution of the first two tokens with a
    # draft for the first must be p(first) * p(second | first), as sampling one by one gives.
    first = np.log(np.asarray([0.5, 0.3, 0.2], dtype=np.float32))
    after = np.log(np.asarray([0.1, 0.6, 0.3], dtype=np.float32))  # the row after the draft
    rng = np.random.default_rng(7)
    counts: dict[tuple[int, ...], int] = {}
    draws = 30_000
    for _ in range(draws):
        pair = rng.random(2)
        tokens, _ = sampling.speculate(np.stack([first, after]), [1], 1.0, 1.0, 0, pair)
        key = tuple(tokens.tolist())
        counts[key] = counts.get(key, 0) + 1
    p_first, p_after = np.exp(first), np.exp(after)
    for token in (0, 2):  # the draft rejected: the replacement alone, distributed as p
        assert counts[(token,)] / draws == pytest.approx(p_first[token], abs=0.015)
    for token in range(3):  # the draft kept: then a token from the row after it
        expected = p_first[1] * p_after[token]
        assert counts[(1, token)] / draws == pytest.approx(expected, abs=0.015)
