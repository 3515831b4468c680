"""The docstring's own examples: the share a candidate passes, the strongest single signal."""

from __future__ import annotations

from codegen_lsp.ranking.candidate import Candidate


def examples_fraction(candidate: Candidate) -> float | None:
    """Share of the docstring's examples the candidate passes; None when there are none."""
    if candidate.examples_total == 0:
        return None
    return candidate.examples_passed / candidate.examples_total
