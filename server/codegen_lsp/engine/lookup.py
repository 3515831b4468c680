"""Prompt lookup: drafts for speculative decoding copied from the text so far, no draft model.

Code repeats itself: a body reuses the names, calls and lines of its prompt (a repair rewrites
the previous attempt nearly verbatim, a docstring's examples repeat the signature). When the
last few tokens occurred before, the tokens that followed them then are a cheap guess at what
follows now (Saxena 2023, "prompt lookup decoding"). The decoding loop has the model check the
guess in one forward pass (:func:`codegen_lsp.engine.sampling.speculate`) and keeps what it
would have produced anyway.

A pass over more positions is not free, though: with int4 on 2 CPU cores one position took
26 ms and each further one 5 to 7 ms more, so 8 wrong drafts cost more than two plain steps.
How many tokens to draft is therefore chosen per match from how often drafts after matches of
that length were kept lately: as many as maximise the expected tokens per unit of pass cost,
none when even one is more likely wrong than worth it (a 1-token match in new code, say).

New code repeats what the model wrote before, too: its own habits (``for i in range(len(``,
``return result``) and the project's names recur from one request to the next. So the tokens
of the samples it wrote in earlier requests of this process are a second place to look
(:class:`WrittenBefore`, the last ``WRITTEN_TOKENS`` of them, in memory only), after the
request's own text, for every row (each position draws with its own random number, so drafts
change how fast a seeded request is, never what it draws). Replayed over the committed HumanEval
samples in order (greedy bodies, the 10 samples of each earlier task remembered), the tokens
per unit of pass cost rose from 1.04 to 1.10 with 16k tokens remembered (1.06 with 2k).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

MAX_NGRAM = 3
"""Longest suffix of the text so far that is looked up."""
MIN_NGRAM = 1
"""Shortest suffix looked up: a single token still predicts well inside repeated code."""
MAX_DRAFT = 8
"""Most tokens proposed at once."""
POSITION_COST = 0.25
"""What one more position adds to a pass, as a fraction of a one-position pass (measured above;
on a GPU it is far less, which makes the drafts chosen here short rather than wrong)."""
WRITTEN_TOKENS = 16384
"""How many tokens of earlier samples :class:`WrittenBefore` keeps (about 40 requests' worth).
It holds up to twice as many before dropping the older ones: at most about 13 MB (measured
with 32k tokens of distinct n-grams)."""
MEMORY = 0.8
"""How much of the acceptance record each new match keeps (about the last five checks count)."""


@dataclass
class _Record:
    """Drafted tokens kept and drafts cut short lately, after matches of one length."""

    kept: float = 0.0
    misses: float = 0.0

    def rate(self) -> float:
        """Return the chance that the next drafted token is kept, given the ones before it were."""
        return (self.kept + 1.0) / (self.kept + self.misses + 2.0)  # 1/2 before any check


def draft_length(rate: float, most: int) -> int:
    """Return how many tokens to draft when each is kept with chance ``rate`` (0: none).

    A pass with ``k`` drafts yields ``1 + rate + ... + rate**k`` tokens on average and costs
    ``1 + POSITION_COST * k`` one-position passes; the ``k`` with the most tokens per cost wins.
    """
    best, best_yield = 0, 1.0
    expected = 1.0
    for length in range(1, most + 1):
        expected += rate**length
        tokens_per_cost = expected / (1.0 + POSITION_COST * length)
        if tokens_per_cost > best_yield:
            best, best_yield = length, tokens_per_cost
    return best


class WrittenBefore:
    """The tokens of samples the model wrote in earlier requests, indexed as the text so far is.

    Shared by the requests of one engine (so safe between threads). Suffixes are indexed
    within a sample, never across two. Once more than twice ``limit`` tokens are held, only
    the latest samples that fit in ``limit`` are kept.
    """

    def __init__(self, limit: int = WRITTEN_TOKENS, max_ngram: int = MAX_NGRAM) -> None:
        self.limit = limit
        self.sizes = range(max_ngram, MIN_NGRAM - 1, -1)
        self._lock = threading.Lock()
        self._samples: list[list[int]] = []
        self._tokens: list[int] = []
        self._followers: dict[tuple[int, ...], int] = {}

    def __len__(self) -> int:
        return len(self._tokens)

    def add(self, tokens: list[int]) -> None:
        """Remember one finished sample's tokens."""
        if not tokens:
            return
        with self._lock:
            self._samples.append(list(tokens))
            if len(self._tokens) + len(tokens) > 2 * self.limit:
                kept: list[list[int]] = []
                size = 0
                for sample in reversed(self._samples):
                    if size + len(sample) > self.limit:
                        break
                    kept.append(sample)
                    size += len(sample)
                self._samples = kept[::-1]
                self._tokens, self._followers = [], {}
                for sample in self._samples:
                    self._index(sample)
            else:
                self._index(tokens)

    def clear(self) -> None:
        """Forget every sample (a benchmark measuring drafts from the request alone)."""
        with self._lock:
            self._samples, self._tokens, self._followers = [], [], {}

    def _index(self, tokens: list[int]) -> None:
        first = len(self._tokens)
        self._tokens.extend(tokens)
        for end in range(first + 1, len(self._tokens)):
            for size in self.sizes:
                if end - size >= first:  # within this sample only
                    self._followers[tuple(self._tokens[end - size : end])] = end

    def following(self, suffix: tuple[int, ...], limit: int) -> list[int]:
        """Return up to ``limit`` tokens that followed ``suffix`` in an earlier sample (latest)."""
        with self._lock:
            start = self._followers.get(suffix)
            if start is None:
                return []
            # A draft may run past its sample's end into the next: only a worse guess, and the
            # check keeps no more than the model agrees with.
            return self._tokens[start : start + limit]


class PromptLookup:
    """The tokens so far (prompt + generated) and, per n-gram, where its latest follower is.

    An n-gram is indexed only once a token follows it, so the suffix being looked up never
    finds itself. Lookups and appends cost O(``MAX_NGRAM``): no rescan of a long prompt per token.
    """

    def __init__(
        self,
        ids: list[int],
        max_ngram: int = MAX_NGRAM,
        min_ngram: int = MIN_NGRAM,
        earlier: WrittenBefore | None = None,
    ) -> None:
        self.earlier = earlier
        self.tokens: list[int] = []
        self.sizes = range(max_ngram, min_ngram - 1, -1)
        self._followers: dict[tuple[int, ...], int] = {}
        self._records = {size: _Record() for size in self.sizes}
        self._matched: int | None = None
        for token in ids:
            self.append(token)

    def append(self, token: int) -> None:
        """Add ``token``; the n-grams just before it now have a follower (the latest wins)."""
        end = len(self.tokens)
        self.tokens.append(token)
        for size in self.sizes:
            if end >= size:
                self._followers[tuple(self.tokens[end - size : end])] = end

    def checked(self, drafted: int, accepted: int) -> None:
        """Record that the model kept ``accepted`` of the ``drafted`` tokens just proposed."""
        if self._matched is None:
            return
        record = self._records[self._matched]
        record.kept += accepted
        record.misses += accepted < drafted

    def drafts(self, limit: int) -> list[int]:
        """Return up to ``limit`` tokens that followed the longest suffix seen before, or none.

        The request's own text first (the latest match), then earlier samples (``earlier``).
        """
        self._matched = None
        if limit <= 0:
            return []
        for size in self.sizes:
            if len(self.tokens) < size:
                continue
            suffix = tuple(self.tokens[-size:])
            start = self._followers.get(suffix)
            found = (
                self.tokens[start : start + MAX_DRAFT]
                if start is not None
                else self.earlier.following(suffix, MAX_DRAFT)
                if self.earlier is not None
                else []
            )
            if found:
                record = self._records[size]
                # Forget a little at every match, drafted or not: a length that stopped
                # drafting drifts back to trying one token, so it can earn drafts again.
                record.kept *= MEMORY
                record.misses *= MEMORY
                self._matched = size
                return found[: draft_length(record.rate(), min(limit, MAX_DRAFT))]
        return []
