"""The unbiased pass@k estimator against hand-computed values, and the paired bootstrap."""

from __future__ import annotations

import pytest
from codegen_lsp.eval.passk import mean_pass_at_k, paired_bootstrap, pass_at_k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 1, 1, 1 / 5),
        (5, 2, 2, 1 - 3 / 10),  # 1 - C(3,2)/C(5,2)
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5)
        (20, 1, 10, 1 - 92378 / 184756),  # 1 - C(19,10)/C(20,10) = 0.5
        (4, 0, 2, 0.0),
        (4, 3, 2, 1.0),  # fewer than k wrong samples: always a correct one among k
        (1, 1, 1, 1.0),
    ],
)
def test_pass_at_k_matches_hand_computed_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_1_is_the_fraction_correct() -> None:
    assert pass_at_k(100, 37, 1) == pytest.approx(0.37)


@pytest.mark.parametrize(("n", "c", "k"), [(5, 6, 1), (5, -1, 1), (5, 1, 0), (5, 1, 6)])
def test_invalid_arguments_are_rejected(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_mean_over_tasks_skips_tasks_with_too_few_samples() -> None:
    assert mean_pass_at_k([(5, 1), (5, 2), (1, 1)], 2) == pytest.approx((0.4 + 0.7) / 2)


def test_paired_bootstrap() -> None:
    assert paired_bootstrap([1.0, 0.0, 1.0], [1.0, 0.0, 1.0]) == (0.0, 0.0, 0.0)
    assert paired_bootstrap([1.0] * 4, [0.0] * 4) == (1.0, 1.0, 1.0)
    mean, low, high = paired_bootstrap([1, 0, 1, 1, 0, 1, 1, 1], [0, 0, 1, 0, 0, 1, 0, 1])
    assert mean == pytest.approx(0.375) and low <= mean <= high and low >= 0.0
