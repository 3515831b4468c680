"""N samples of one prompt decoding over one copy of its cache.

Each of the N rows of a request attends to the same prompt. Copied to every row, the prompt's
keys and values are read N times per step: at 1,779 prompt tokens and 8 rows that is about 350
MB a step, more than the weights, and batch 8 loses half its speed from a 320-token prompt to
that (``docs/benchmarks.md``). Here the rows share one cache row instead:

* positions ``[0, prompt)`` hold the prompt, once;
* each step appends one position per row still decoding, side by side, so past the prompt the
  rows' tokens interleave; ``owner`` records which row wrote each of them;
* a row's new position attends to the prompt and to its own positions only (an attention bias
  of -inf hides the others) at its own rotary position, ``prompt + tokens so far``, so it
  computes what it would over a cache of its own;
* finished rows leave their positions behind (hidden); once the rows left would read less from
  copies of their own, or fewer rows are left than the int8 graph steps, each row's positions
  are copied out (:meth:`SharedPrompt.saves_reading`).

The graph needs two inputs for this (``export.add_row_inputs``): the positions and the bias.
This module is the bookkeeping, numpy only: which position each row writes, what each may see,
and, when the rows left are too few to share, where each row's own cache lies to copy it out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

HIDDEN = np.float32(-np.inf)
"""The bias that hides a cached position from a new one."""
UNWRITTEN = -1
"""``owner`` of a position no row has written (or of the prompt's: every row reads those)."""


@dataclass
class SharedPrompt:
    """Where each row's positions lie in a cache row shared over one prompt.

    ``rows`` are the ids (0 .. N-1, fixed for the request) of the rows still decoding, in batch
    order; ``steps`` how many tokens each of them has fed (all the same: one per step);
    ``filled`` the positions written so far, prompt included; ``row_capacity`` the positions a
    row's own cache would hold (prompt and new tokens), for when the rows part.
    """

    prompt: int
    owner: npt.NDArray[np.int32]
    rows: npt.NDArray[np.int64]
    row_capacity: int
    steps: int = 0
    filled: int = 0

    @classmethod
    def start(cls, prompt: int, rows: int, row_capacity: int) -> SharedPrompt:
        """Return the layout of ``rows`` rows about to decode after ``prompt`` positions.

        Room for each row to write ``row_capacity - prompt`` positions.
        """
        if row_capacity < prompt:
            raise ValueError(f"a capacity of {row_capacity} cannot hold a prompt of {prompt}")
        capacity = prompt + rows * (row_capacity - prompt)
        owner = np.full(capacity, UNWRITTEN, np.int32)
        return cls(prompt, owner, np.arange(rows, dtype=np.int64), row_capacity, 0, prompt)

    @property
    def capacity(self) -> int:
        """Positions the cache row holds."""
        return len(self.owner)

    def room(self) -> int:
        """Positions left for later steps."""
        return self.capacity - self.filled

    def positions(self) -> npt.NDArray[np.int64]:
        """Return the rotary position of each row's next token, [1, rows]."""
        return np.full((1, len(self.rows)), self.prompt + self.steps, dtype=np.int64)

    def bias(self) -> npt.NDArray[np.float32]:
        """Return the attention bias of the next step, [1, 1, rows, filled + rows].

        Row ``r``'s new position sees the prompt, every position it wrote before, and itself
        (written at ``filled + r``); the graph's own causal mask adds nothing to that.
        """
        filled = self.filled
        count = len(self.rows)
        owner = np.concatenate([self.owner[:filled], self.rows.astype(np.int32)])
        visible = owner[None, :] == self.rows[:, None]
        visible[:, : self.prompt] = True
        bias = np.where(visible, np.float32(0), HIDDEN).astype(np.float32)
        return bias.reshape(1, 1, count, filled + count)

    def advance(self) -> None:
        """Record the step just run: each row wrote the next position in batch order."""
        filled = self.filled
        count = len(self.rows)
        if filled + count > self.capacity:
            raise ValueError(f"no room for {count} positions: {self.room()} left")
        self.owner[filled : filled + count] = self.rows
        self.filled += count
        self.steps += 1

    def saves_reading(self, rows: int) -> bool:
        """Whether ``rows`` rows still read less from this cache row than from copies of it.

        A step reads every filled position once here, and ``prompt + steps`` per row from
        copies. With all rows decoding that is always less; but the positions of finished rows
        stay, and every row's query is scored against all of them, so once few rows are left
        after many steps, copies of their own (read and scored only for themselves) cost less.
        """
        return self.filled < rows * (self.prompt + self.steps)

    def keep(self, slots: npt.NDArray[np.int64]) -> None:
        """Keep the rows in batch ``slots`` (in that order); the others stop decoding.

        Their positions stay where they are, hidden from the rows that go on.
        """
        self.rows = self.rows[slots]

    def own_positions(self, slot: int) -> npt.NDArray[np.int64]:
        """Return the positions of the row in batch ``slot``, prompt first, in order.

        Copying these into a cache of its own gives the row the cache it would have had alone.
        """
        row = self.rows[slot]
        filled = self.filled
        own = np.flatnonzero(self.owner[self.prompt : filled] == row) + self.prompt
        return np.concatenate([np.arange(self.prompt, dtype=np.int64), own.astype(np.int64)])

    def grown(self, capacity: int) -> SharedPrompt:
        """Return this layout with room for ``capacity`` positions."""
        owner = np.full(capacity, UNWRITTEN, np.int32)
        owner[: self.capacity] = self.owner
        return SharedPrompt(
            self.prompt, owner, self.rows.copy(), self.row_capacity, self.steps, self.filled
        )
