"""Codex-D reviewer: how well a candidate explains its docstring, log P(docstring | code).

The model scores the docstring written after the candidate's code (back-translation). The
ranking never loads a model: the pipeline passes a small callable that does the scoring.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from codegen_lsp.ranking.candidate import Candidate

log = logging.getLogger(__name__)

ReviewFn = Callable[[Candidate], list[float]]
"""Returns the docstring's token log-probabilities given the candidate's code."""


def review(candidate: Candidate, score_docstring: ReviewFn) -> float | None:
    """Mean log P(docstring | code); None when the docstring is empty or scoring failed."""
    if not candidate.description.strip():
        return None
    try:
        logprobs = score_docstring(candidate)
    except Exception:  # one failing signal contributes nothing; it never sinks the ranking
        log.warning("reviewer failed; ranking without it", exc_info=True)
        return None
    return sum(logprobs) / len(logprobs) if logprobs else None
