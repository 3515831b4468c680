"""Choosing the next token from raw logits: greedy, top-k, then top-p (nucleus), seeded.

A step over a 152k vocabulary must stay cheap next to the model itself, so nothing here sorts the
whole vocabulary. Each row is read a fixed few times: once for its exponentials (written to a
reused buffer) and once for their sum, the log-normaliser that both the chosen token's
log-probability and, at temperature 1, the nucleus normaliser use; and once by a comparison
against a threshold that provably keeps the k largest logits. That threshold is the k-th largest
of a strided subsample of the row: the subsample is part of the row, so at least k logits of the
row reach it, and only those few hundred survivors are partitioned and sorted. Ties at the k-th
place go to the lower token id, as with a stable sort of the whole row.

Without top-k, nucleus sampling first tries a pool of the largest logits and sorts the whole
row only when that pool holds less than ``top_p`` of the mass (flat distributions).

Log-probabilities are always those of the *untempered* model distribution,
``log_softmax(raw logits)``, as :mod:`codegen_lsp.engine.types` documents. The exponentials are
summed in float32 (numpy sums pairwise: about 1e-7 relative error on 152k terms, checked against
float64 by the tests); only the few candidates are handled in float64.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

NUCLEUS_POOL = 1024
"""How many of the largest logits nucleus sampling without top-k looks at first."""

SCRATCH_ELEMENTS = 1 << 21
"""Size of the per-thread float32 buffer the exponentials are written to (8 MiB).

Reusing it saves allocating and first-touching megabytes at every step; longer inputs (scoring
a whole continuation) are processed in blocks of rows that fit it.
"""

SUBSAMPLE_STRIDE = 16
"""Top-k reads every 16th logit to find its threshold; about 16 k logits pass it."""

_scratch = threading.local()


def _buffer(elements: int) -> FloatArray:
    """Return this thread's scratch buffer, at least ``elements`` long."""
    buffer: FloatArray | None = getattr(_scratch, "buffer", None)
    if buffer is None or buffer.size < elements:
        buffer = np.empty(max(elements, SCRATCH_ELEMENTS), dtype=np.float32)
        _scratch.buffer = buffer
    return buffer


def log_normalisers(values: FloatArray, scale: float = 1.0) -> np.ndarray:
    """Return ``log(sum(exp(values * scale)))`` per row of the 2-D ``values``, in float64.

    The exponentials of the logits are summed as they are, without first subtracting each
    row's maximum: that saves two passes over the row, and is exact enough whenever the sum
    neither overflows nor falls so low that terms lost to underflow could matter (below
    ``_SAFE_TOTAL``). Rows outside that range take the shifted route.
    """
    rows, vocabulary = values.shape
    block = max(1, SCRATCH_ELEMENTS // max(vocabulary, 1))
    totals = np.empty(rows, dtype=np.float32)
    with np.errstate(over="ignore", under="ignore"):
        for start in range(0, rows, block):
            stop = min(rows, start + block)
            terms = _buffer((stop - start) * vocabulary)[: (stop - start) * vocabulary]
            terms = terms.reshape(stop - start, vocabulary)
            if scale != 1.0:
                np.multiply(values[start:stop], np.float32(scale), out=terms)
                np.exp(terms, out=terms)
            else:
                np.exp(values[start:stop], out=terms)
            terms.sum(axis=-1, out=totals[start:stop])
    with np.errstate(divide="ignore"):  # a zero total is redone below
        result = np.log(totals.astype(np.float64))
    for index in np.flatnonzero(~(np.isfinite(totals) & (totals >= _SAFE_TOTAL))):
        result[index] = _shifted_log_normaliser(values[index], scale)
    return result


_SAFE_TOTAL = 1e-20
"""Below this a row's unshifted sum of exponentials is redone shifted by its maximum.

float32 exponentials flush to zero below about 1e-45: a vocabulary of a million such lost
terms is under 1e-38, a relative error of 1e-18 on a sum of at least 1e-20.
"""


def _shifted_log_normaliser(row: FloatArray, scale: float) -> float:
    """Return ``log(sum(exp(row * scale)))`` for a row whose plain sum overflows or underflows."""
    top = float(row.max()) * scale
    if not np.isfinite(top):  # every logit -inf (or a +inf or NaN): nothing to normalise
        return top
    terms = np.exp(row.astype(np.float64) * scale - top)
    return top + float(np.log(terms.sum()))


def log_softmax(logits: FloatArray) -> FloatArray:
    """Return ``log_softmax`` over the last axis (float32 terms and sums)."""
    values = np.asarray(logits, dtype=np.float32)
    flat = values.reshape(-1, values.shape[-1])
    shift = log_normalisers(flat)
    return (flat - shift[:, None]).astype(np.float32).reshape(values.shape)


def token_logprobs(logits: FloatArray, tokens: IntArray) -> FloatArray:
    """Return each row's log-probability of its token under ``log_softmax(logits)``."""
    values = np.asarray(logits, dtype=np.float32)
    return _logprobs(values, np.asarray(tokens, dtype=np.int64))


def _logprobs(
    values: FloatArray, tokens: IntArray, log_totals: np.ndarray | None = None
) -> FloatArray:
    if log_totals is None:
        log_totals = log_normalisers(values)
    chosen = values[np.arange(len(tokens)), tokens].astype(np.float64)
    return (chosen - log_totals).astype(np.float32)


def top_k_indices(row: FloatArray, k: int) -> IntArray:
    """Return the ids of the ``k`` largest logits of ``row`` (any order; ties: lower ids first).

    Only the logits at or above the k-th largest of a strided subsample are partitioned: the
    subsample is part of the row, so at least ``k`` logits of the row reach that threshold.
    """
    vocabulary = row.shape[-1]
    if k >= vocabulary:
        return np.arange(vocabulary, dtype=np.int64)
    subsample = row[::SUBSAMPLE_STRIDE]
    if len(subsample) >= 4 * k:
        threshold = np.partition(subsample, -k)[-k]
        survivors = np.flatnonzero(row >= threshold)
    else:
        survivors = np.arange(vocabulary, dtype=np.int64)
    values = row[survivors]
    kth = np.partition(values, -k)[-k]
    above = values > kth
    tied = np.flatnonzero(values == kth)[: k - int(np.count_nonzero(above))]
    return np.concatenate((survivors[above], survivors[tied])).astype(np.int64)


def candidates(
    row: FloatArray,
    temperature: float,
    top_p: float,
    top_k: int,
    log_total: float | None = None,
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Return the tokens sampling may pick from ``row`` and their probabilities (summing to 1).

    Top-k keeps the k largest logits; top-p then keeps the smallest prefix (by descending
    probability, at temperature ``temperature``, renormalised over what top-k kept) whose mass
    reaches ``top_p``; at least one token always survives. Only the pool of candidates is
    handled in float64. ``log_total`` (the row's untempered log-normaliser,
    ``log(sum(exp(row)))``, when the caller has it) spares a pass over the row for nucleus
    sampling without top-k at temperature 1.
    """
    row = np.asarray(row, dtype=np.float32)
    vocabulary = row.shape[-1]
    if 0 < top_k < vocabulary:
        pool = top_k_indices(row, top_k)
        normaliser_over_pool = True
    elif top_p < 1.0 and vocabulary > NUCLEUS_POOL:
        pool = top_k_indices(row, NUCLEUS_POOL)
        normaliser_over_pool = False
    else:
        pool = np.arange(vocabulary)
        normaliser_over_pool = True
    # Temperature scaling keeps the order, so the pool of the raw logits is the pool.
    order = pool[np.argsort(-row[pool], kind="stable")]
    values = row[order].astype(np.float64) / temperature
    top = values[0]
    weights = np.exp(values - top)
    if normaliser_over_pool:
        total = weights.sum()
    else:
        if temperature != 1.0 or log_total is None:
            log_total = float(log_normalisers(row[None, :], 1.0 / temperature)[0])
        total = float(np.exp(log_total - top))
        if weights.sum() / total < top_p:  # a flat row: the pool misses part of the nucleus
            order = np.argsort(-row, kind="stable")
            weights = np.exp(row[order].astype(np.float64) / temperature - top)
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
    uniforms: npt.NDArray[np.float64] | None = None,
) -> tuple[IntArray, FloatArray]:
    """Pick one token per row of ``logits`` [rows, vocabulary]; return tokens and log-probs.

    ``temperature`` 0 is greedy (argmax); otherwise row ``i`` takes the token its candidates'
    cumulative probability reaches at ``uniforms[i]`` (a number in [0, 1): the row's own for
    this position, so that what a row draws never depends on the rows beside it or on drafts).
    The log-probabilities are untempered (see module doc).
    """
    values = np.asarray(logits, dtype=np.float32)
    if temperature <= 0.0:
        tokens = np.argmax(values, axis=-1).astype(np.int64)
        return tokens, _logprobs(values, tokens)
    if uniforms is None or len(uniforms) < len(values):
        raise ValueError(f"sampling {len(values)} rows needs a uniform number for each")
    log_totals = log_normalisers(values)
    picks = []
    for row, log_total, uniform in zip(values, log_totals, uniforms, strict=False):
        options, probabilities = candidates(row, temperature, top_p, top_k, float(log_total))
        picks.append(draw(options, probabilities, float(uniform)))
    tokens = np.asarray(picks, dtype=np.int64)
    return tokens, _logprobs(values, tokens, log_totals)


def draw(options: IntArray, probabilities: npt.NDArray[np.float64], uniform: float) -> int:
    """Return the option whose cumulative probability first passes ``uniform`` (in [0, 1))."""
    if len(options) == 1:
        return int(options[0])
    index = int(np.searchsorted(np.cumsum(probabilities), uniform, side="right"))
    return int(options[min(index, len(options) - 1)])


def speculate(
    logits: FloatArray,
    drafts: list[int],
    temperature: float,
    top_p: float,
    top_k: int,
    uniforms: npt.NDArray[np.float64] | None = None,
) -> tuple[IntArray, FloatArray]:
    """Check ``drafts`` against one row's logits over them; return the tokens kept and log-probs.

    ``logits`` [len(drafts) + 1, vocabulary]: row ``i`` is the model's next-token distribution
    before ``drafts[i]``, the last row the one after every draft. The tokens kept are the drafts
    accepted in order, then one token of the model's own: the replacement at the first rejection,
    or a draw from the last row when every draft passed.

    Each position's token is the one :func:`choose` picks there: the argmax, or at a temperature
    the draw at that position's own uniform number (``uniforms[i]``); a draft is kept when it
    is that token. So the tokens are exactly those that stepping one token at a time would pick,
    with or without drafts, whatever they were. For sampling this is the speculative rule for a
    draft that puts all its mass on one token (Leviathan et al. 2023; Chen et al. 2023) with
    the acceptance test and the replacement coupled through one uniform: the draft is kept with
    probability ``p(draft)``, and otherwise the token is distributed as ``p`` with the draft
    left out. The log-probabilities are untempered, as :func:`choose`'s.
    """
    values = np.asarray(logits, dtype=np.float32)
    if len(values) != len(drafts) + 1:
        raise ValueError(f"{len(drafts)} drafts need {len(drafts) + 1} rows of logits")
    if temperature <= 0.0:
        best = np.argmax(values, axis=-1).astype(np.int64)
    else:
        if uniforms is None or len(uniforms) < len(values):
            raise ValueError(f"{len(drafts)} drafts need {len(values)} uniform numbers")
        best = np.empty(len(values), dtype=np.int64)
        for index, row in enumerate(values):
            options, probabilities = candidates(row, temperature, top_p, top_k)
            best[index] = draw(options, probabilities, float(uniforms[index]))
            if index < len(drafts) and best[index] != drafts[index]:
                break  # the rows past a rejected draft are never read
    kept = 0
    while kept < len(drafts) and int(best[kept]) == drafts[kept]:
        kept += 1
    tokens = best[: kept + 1]
    return tokens, _logprobs(values[: kept + 1], tokens)
