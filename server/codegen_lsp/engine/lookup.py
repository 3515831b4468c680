"""Prompt lookup: drafts for speculative decoding copied from the text so far, no draft model.

Code repeats itself: a body reuses the names, calls and lines of its prompt (a repair rewrites
the previous attempt nearly verbatim, a docstring's examples repeat the signature). When the
last few tokens occurred before, the tokens that followed them then are a cheap guess at what
follows now (Saxena 2023, "prompt lookup decoding"). The decoding loop has the model check the
guess in one forward pass (:func:`codegen_lsp.engine.sampling.speculate`) and keeps what it
would have produced anyway.
"""

from __future__ import annotations

MAX_NGRAM = 3
"""Longest suffix of the text so far that is looked up."""
MIN_NGRAM = 1
"""Shortest suffix looked up: a single token still predicts well inside repeated code."""
MAX_DRAFT = 8
"""Most tokens proposed at once."""
FIRST_DRAFT = 4
"""Tokens proposed at first, before any has been checked."""


class PromptLookup:
    """The tokens so far (prompt + generated) and, per n-gram, where its latest follower is.

    An n-gram is indexed only once a token follows it, so the suffix being looked up never
    finds itself. Lookups and appends cost O(``MAX_NGRAM``): no rescan of a long prompt per token.

    How many tokens to propose adapts to how many the model kept (:meth:`checked`): a pass over
    more positions is not free (on 2 CPU cores an int4 pass over 9 positions took about 3 times
    one over 1), so drafts that keep failing shrink to one token, where a wrong guess costs
    little, and a run of right ones doubles the length up to ``MAX_DRAFT``.
    """

    def __init__(
        self, ids: list[int], max_ngram: int = MAX_NGRAM, min_ngram: int = MIN_NGRAM
    ) -> None:
        self.tokens: list[int] = []
        self.sizes = range(max_ngram, min_ngram - 1, -1)
        self._followers: dict[tuple[int, ...], int] = {}
        self.budget = FIRST_DRAFT
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
        """Adapt the draft length to the last check: ``accepted`` of ``drafted`` were kept."""
        if accepted == drafted:
            self.budget = min(MAX_DRAFT, 2 * self.budget)
        else:  # the length that would just have passed, and one more
            self.budget = max(1, accepted + 1)

    def drafts(self, limit: int) -> list[int]:
        """Return up to ``limit`` tokens that followed the longest suffix seen before, or none."""
        limit = min(limit, self.budget)
        if limit <= 0:
            return []
        for size in self.sizes:
            if len(self.tokens) < size:
                continue
            start = self._followers.get(tuple(self.tokens[-size:]))
            if start is not None:
                return self.tokens[start : start + limit]
        return []
