"""Mean token log-probability (Chen et al. 2021): the model's own confidence in a candidate."""

from __future__ import annotations

import math

from codegen_lsp.ranking.candidate import Candidate


def mean_logprob(candidate: Candidate) -> float | None:
    """Return the candidate's mean token log-probability, None when unknown."""
    return candidate.mean_logprob


def lm_probability(candidate: Candidate) -> float | None:
    """exp(mean log-prob): the length-normalised P_LM of LEVER's score; None when unknown."""
    value = candidate.mean_logprob
    return math.exp(value) if value is not None else None
