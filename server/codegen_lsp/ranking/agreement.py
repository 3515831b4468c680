"""Agreement (MBR-exec, CodeT): candidates that behave the same on the examples back each other.

Candidates are grouped by their execution signature; a candidate that errors is never grouped
with anything (two crashes are not agreement). Without examples there is nothing to compare, so
only exact duplicates agree.
"""

from __future__ import annotations

from codegen_lsp.ranking.candidate import Candidate


def group_keys(candidates: list[Candidate]) -> list[str]:
    """Return a group key per candidate: equal keys behaved the same."""
    keys = []
    for index, candidate in enumerate(candidates):
        if candidate.errored:
            keys.append(f"error:{index}")
        elif candidate.examples_total == 0:
            keys.append(f"code:{candidate.code}")
        elif candidate.signature is None:  # an unhashable result: nothing to compare with
            keys.append(f"error:{index}")
        else:
            keys.append(f"sig:{candidate.signature}")
    return keys


def group_sizes(candidates: list[Candidate]) -> list[int]:
    """How many samples (duplicates included) behaved like each candidate."""
    keys = group_keys(candidates)
    totals: dict[str, int] = {}
    for key, candidate in zip(keys, candidates, strict=True):
        totals[key] = totals.get(key, 0) + candidate.duplicates
    return [totals[key] for key in keys]
