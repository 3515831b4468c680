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
        tokens, _ = sampling.choose(logits, 0.9, 0.8, 20, draws)
        for index, token in enumerate(tokens):
            assert int(token) in allowed[index]
            seen[index].add(int(token))
    assert any(len(found) > 1 for found in seen)  # it really samples


def test_temperature_zero_is_argmax_and_logprobs_untempered() -> None:
    rng = np.random.default_rng(5)
    logits = np.stack([peaked_row(rng, 2.0) for _ in range(3)])
    tokens, logprobs = sampling.choose(logits, 0.0, 0.95, 50, rng)
    assert tokens.tolist() == np.argmax(logits, axis=-1).tolist()
    wide = logits.astype(np.float64)
    expected = wide[np.arange(3), tokens] - np.log(np.exp(wide).sum(axis=-1))
    np.testing.assert_allclose(logprobs, expected, rtol=0, atol=1e-5)
    _, tempered = sampling.choose(logits, 0.3, 1.0, 1, rng)  # top_k=1 also picks the argmax
    np.testing.assert_allclose(tempered, expected, rtol=0, atol=1e-5)


def test_same_seed_same_tokens() -> None:
    logits = np.stack([peaked_row(np.random.default_rng(9), 1.0)] * 4)
    first, _ = sampling.choose(logits, 1.0, 0.95, 0, np.random.default_rng(42))
    second, _ = sampling.choose(logits, 1.0, 0.95, 0, np.random.default_rng(42))
    assert first.tolist() == second.tolist()
