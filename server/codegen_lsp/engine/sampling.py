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
    """Return ``log_softmax`` over the last axis (float32 terms, float64 sums)."""
    values = np.asarray(logits, dtype=np.float32)
    shifted = values - values.max(axis=-1, keepdims=True)
    log_total = np.log(np.exp(shifted).sum(axis=-1, keepdims=True, dtype=np.float64))
    return (shifted - log_total).astype(np.float32)


def token_logprobs(logits: FloatArray, tokens: IntArray) -> FloatArray:
    """Return each row's log-probability of its token under ``log_softmax(logits)``.

    The 152k exponentials stay in float32 (a float64 pass cost 20 ms a step at batch 8 here);
    the sum accumulates in float64, so the result is within ~1e-6 of a float64 computation.
    """
    values = np.asarray(logits, dtype=np.float32)
    peak = values.max(axis=-1)
    total = np.exp(values - peak[:, None]).sum(axis=-1, dtype=np.float64)
    chosen = values[np.arange(len(tokens)), tokens].astype(np.float64)
    return (chosen - peak - np.log(total)).astype(np.float32)


def candidates(
    row: FloatArray, temperature: float, top_p: float, top_k: int
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Return the tokens sampling may pick from ``row`` and their probabilities (summing to 1).

    Top-k keeps the k largest logits; top-p then keeps the smallest prefix (by descending
    probability, at temperature ``temperature``, renormalised over what top-k kept) whose mass
    reaches ``top_p``; at least one token always survives. Only the pool of candidates is
    handled in float64; the full row is touched once by ``argpartition`` (and, for nucleus
    sampling without top-k, once more for the normaliser).
    """
    row = np.asarray(row, dtype=np.float32)
    vocabulary = row.shape[-1]
    if 0 < top_k < vocabulary:
        pool = np.argpartition(row, -top_k)[-top_k:]
        normaliser_over_pool = True
    elif top_p < 1.0 and vocabulary > NUCLEUS_POOL:
        pool = np.argpartition(row, -NUCLEUS_POOL)[-NUCLEUS_POOL:]
        normaliser_over_pool = False
    else:
        pool = np.arange(vocabulary)
        normaliser_over_pool = True
    # Temperature scaling keeps the order, so the pool of the raw logits is the pool.
    order = pool[np.argsort(-row[pool], kind="stable")]
    values = row[order].astype(np.float64) / temperature
    peak = values[0]
    weights = np.exp(values - peak)
    if normaliser_over_pool:
        total = weights.sum()
    else:
        scale = np.float32(1.0 / temperature)
        total = np.exp((row - row[order[0]]) * scale).sum(dtype=np.float64)
        if weights.sum() / total < top_p:  # a flat row: the pool misses part of the nucleus
            order = np.argsort(-row, kind="stable")
            weights = np.exp(row[order].astype(np.float64) / temperature - peak)
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
