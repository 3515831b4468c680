"""Agreement (MBR-exec, CodeT): candidates that behave the same back each other.

With examples, candidates are grouped by their execution signature on them; a candidate that
errors is never grouped with anything (two crashes are not agreement).

Without examples, candidates that ran on inputs drawn from the signature (or proposed by the
model) are compared input by input (Shi et al. 2022): the similarity of two candidates is the
share of inputs on which they returned equal values or raised the same exception type (two
timeouts never agree, nor two errors of broken code, an ``AttributeError`` or a ``NameError``:
five bodies that read ``entry.amount`` from a dict agree only in being wrong, and their
"agreement" outranked the one body that read ``entry["amount"]``; for a function without type
hints, whose inputs nothing vouches for, they still agree). Partial agreement counts,
so two right bodies that differ only on an input outside the function's domain (an empty list
where the docstring promises one) still back each other. Candidates that ran on nothing agree
only with exact duplicates of their code.
"""

from __future__ import annotations

import hashlib

from codegen_lsp.ranking.candidate import HINTED_BROKEN_CODE, UNCOMPARED, Candidate


def group_keys(candidates: list[Candidate]) -> list[str]:
    """Return a group key per candidate: equal keys behaved the same."""
    keys = []
    for index, candidate in enumerate(candidates):
        if candidate.errored:
            keys.append(f"error:{index}")
        elif candidate.examples_total == 0:
            keys.append(_behaviour_key(candidate))
        elif candidate.signature is None:  # an unhashable result: nothing to compare with
            keys.append(f"error:{index}")
        else:
            keys.append(f"sig:{candidate.signature}")
    return keys


def _behaviour_key(candidate: Candidate) -> str:
    broken = not candidate.crashes_excused and candidate.broken_keys.intersection(
        candidate.behaviour
    )
    if not candidate.behaviour or broken:
        # Broken code agrees with nothing (see :func:`similarity`): a group of it would show
        # as "5/8 agree" in the editor.
        return f"code:{candidate.code}"
    return f"behaviour:{behaviour_digest(candidate)}"


def behaviour_digest(candidate: Candidate) -> str:
    """Return a digest equal for candidates that did the same on every drawn input."""
    return hashlib.sha256("\n".join(candidate.behaviour).encode("utf-8")).hexdigest()


def group_sizes(candidates: list[Candidate]) -> list[int]:
    """How many samples (duplicates included) behaved like each candidate."""
    keys = group_keys(candidates)
    totals: dict[str, int] = {}
    for key, candidate in zip(keys, candidates, strict=True):
        totals[key] = totals.get(key, 0) + candidate.duplicates
    return [totals[key] for key in keys]


def similarity(first: Candidate, second: Candidate) -> float:
    """Share of the drawn inputs on which the two behaved alike (0 when either ran none)."""
    if first is second:
        return 1.0
    if not first.behaviour or len(first.behaviour) != len(second.behaviour):
        return 0.0
    # Without type hints nothing vouches for the inputs (the model's calls pass an int where
    # the body splits a string): an AttributeError may be the input's fault, and agrees.
    vouched = not (first.crashes_excused and second.crashes_excused)
    alike = sum(
        a == b and a not in UNCOMPARED and not (vouched and a in HINTED_BROKEN_CODE)
        for a, b in zip(first.behaviour, second.behaviour, strict=True)
    )
    return alike / len(first.behaviour)


def behaviour_support(candidates: list[Candidate], weights: list[float]) -> list[float]:
    """Each candidate's support: the ``weights`` of all candidates, each times its similarity."""
    return [
        sum(
            weight * similarity(candidate, other)
            for other, weight in zip(candidates, weights, strict=True)
        )
        for candidate in candidates
    ]
