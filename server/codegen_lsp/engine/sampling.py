"""Choosing the next token from raw logits: greedy, top-k, then top-p (nucleus), seeded.

A step over a 152k vocabulary must stay cheap next to the model itself, so nothing here sorts the
whole vocabulary: top-k takes its candidates with ``argpartition`` (linear time) and sorts only
those k; without top-k, nucleus sampling first tries a pool of the largest logits and sorts the
whole row only when that pool holds less than ``top_p`` of the mass (flat distributions).

Log-probabilities are always those of the *untempered* model distribution,
``log_softmax(raw logits)``, as :mod:`codegen_lsp.engine.types` documents.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

NUCLEUS_POOL = 1024
"""How many of the largest logits nucleus sampling without top-k looks at first."""


def log_softmax(logits: FloatArray) -> FloatArray:
    """Return ``log_softmax`` over the last axis, computed in float64 for stability."""
    wide = logits.astype(np.float64, copy=False)
    peak = wide.max(axis=-1, keepdims=True)
    shifted = wide - peak
    return (shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))).astype(np.float32)


def token_logprobs(logits: FloatArray, tokens: IntArray) -> FloatArray:
    """Return each row's log-probability of its token under ``log_softmax(logits)``."""
    wide = logits.astype(np.float64, copy=False)
    peak = wide.max(axis=-1)
    log_total = np.log(np.exp(wide - peak[:, None]).sum(axis=-1)) + peak
    chosen = wide[np.arange(len(tokens)), tokens]
    return (chosen - log_total).astype(np.float32)


def candidates(
    row: FloatArray, temperature: float, top_p: float, top_k: int
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Return the tokens sampling may pick from ``row`` and their probabilities (summing to 1).

    Top-k keeps the k largest logits; top-p then keeps the smallest prefix (by descending
    probability, at temperature ``temperature``, renormalised over what top-k kept) whose mass
    reaches ``top_p``; at least one token always survives.
    """
    vocabulary = row.shape[-1]
    scaled = row.astype(np.float64) / temperature
    if 0 < top_k < vocabulary:
        pool = np.argpartition(scaled, -top_k)[-top_k:]
        normaliser_over_pool = True
    elif top_p < 1.0 and vocabulary > NUCLEUS_POOL:
        pool = np.argpartition(scaled, -NUCLEUS_POOL)[-NUCLEUS_POOL:]
        normaliser_over_pool = False
    else:
        pool = np.arange(vocabulary)
        normaliser_over_pool = True
    order = pool[np.argsort(-scaled[pool], kind="stable")]
    values = scaled[order]
    peak = values[0]
    weights = np.exp(values - peak)
    if normaliser_over_pool:
        total = weights.sum()
    else:
        total = np.exp(scaled - peak).sum()
        if weights.sum() / total < top_p:  # a flat row: the pool misses part of the nucleus
            order = np.argsort(-scaled, kind="stable")
            weights = np.exp(scaled[order] - peak)
    probabilities = weights / total
    if top_p < 1.0:
        cumulative = np.cumsum(probabilities)
        keep = int(np.searchsorted(cumulative, top_p, side="left")) + 1
        order, probabilities = order[:keep], probabilities[:keep]
    probabilities = probabilities / probabilities.sum()
    return order.astype(np.int64), probabilities


def choose(
    logits: FloatArray,
    temperature: float,
    top_p: float,
    top_k: int,
    rng: np.random.Generator,
) -> tuple[IntArray, FloatArray]:
    """Pick one token per row of ``logits`` [rows, vocabulary]; return tokens and log-probs.

    ``temperature`` 0 is greedy (argmax). The log-probabilities are untempered (see module doc).
    """
    if temperature <= 0.0:
        tokens = np.argmax(logits, axis=-1).astype(np.int64)
    else:
        picks = []
        for row in logits:
            options, probabilities = candidates(row, temperature, top_p, top_k)
            if len(options) == 1:
                picks.append(int(options[0]))
                continue
            index = int(np.searchsorted(np.cumsum(probabilities), rng.random(), side="right"))
            picks.append(int(options[min(index, len(options) - 1)]))
        tokens = np.asarray(picks, dtype=np.int64)
    return tokens, token_logprobs(logits, tokens)
