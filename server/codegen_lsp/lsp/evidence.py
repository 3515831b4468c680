"""The words the user reads: action titles and reasons built from execution evidence.

A candidate's title says how many of the docstring's examples it passed and its score, so the
user can tell a proven body from a guess ("Implement: 3/3 examples pass · 0.91"). A failing
candidate says which example failed and how (the pipeline's wording: what it returned against
what was expected).
"""

from __future__ import annotations

from typing import Any

from codegen_lsp.pipeline import describe_failure
from codegen_lsp.sandbox.types import CandidateRun

_MAX_TEXT = 60


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def first_failure(run: CandidateRun) -> str | None:
    """Describe the first failing example of ``run`` (or why it could not run), else None."""
    if run.error:
        return f"does not run: {_short(run.error)}"
    for result in run.results:
        if result.status != "passed":
            return describe_failure(result)
    return None


def passes(candidate: Any) -> bool:
    """Tell whether the candidate ran and passed every example it has."""
    return candidate.run.error is None and candidate.run.passed == candidate.run.total


def evidence(candidate: Any) -> str:
    """Return ``3/3 examples pass · 0.91``, or what stands in for it."""
    run = candidate.run
    if run.error:
        proof = "does not run"
    elif run.total == 0 and "inputs" in candidate.score_parts:
        # Compared with its siblings on drawn inputs: say how many samples behaved like it.
        parts = candidate.score_parts
        agree, samples, count = (int(parts.get(k, 0)) for k in ("agreement", "samples", "inputs"))
        proof = f"no examples · {agree}/{samples} agree on {count} inputs"
    elif run.total == 0:
        proof = "no examples to check"
    else:
        proof = f"{run.passed}/{run.total} examples pass"
    return f"{proof} · {candidate.score:.2f}"


def code_preview(body: str) -> str:
    """Return the line that best tells a candidate from its siblings: its last ``return``.

    Candidates that behave the same on the examples share one score, so without this their
    menu titles are identical. A body without a ``return`` shows its first statement.
    """
    statements = _statements(body)
    if not statements:
        return ""
    returns = [line for line in statements if line == "return" or line.startswith("return ")]
    return _short(returns[-1] if returns else statements[0])


def _statements(body: str) -> list[str]:
    return [
        stripped
        for stripped in (line.strip() for line in body.splitlines())
        if stripped and not stripped.startswith("#")
    ]


def distinct_previews(bodies: list[str]) -> list[str]:
    """Return each body's gist (:func:`code_preview`), told apart where two would read the same.

    When two candidates end in the same ``return`` (``return count``), the one listed later
    shows its first statement that the earlier ones lack, so that no two menu entries read
    alike unless their code is the same.
    """
    previews = [code_preview(body) for body in bodies]
    for index, body in enumerate(bodies):
        earlier = [other for other in range(index) if previews[other] == previews[index]]
        if not earlier:
            continue
        seen = {line for other in earlier for line in _statements(bodies[other])}
        own = next((line for line in _statements(body) if line not in seen), None)
        if own is not None:
            previews[index] = _short(own)
    return previews


def candidate_title(
    candidate: Any, verb: str = "Implement", preview: bool = False, gist: str | None = None
) -> str:
    """Return the code action title of one ranked candidate, optionally with its code's gist.

    ``gist`` replaces the candidate's own :func:`code_preview` (see :func:`distinct_previews`).
    """
    title = f"{verb}: {evidence(candidate)}"
    snippet = (gist if gist is not None else code_preview(candidate.body)) if preview else ""
    return f"{title} — {snippet}" if snippet else title


def failing_title(candidate: Any, gist: str, verb: str = "Implement") -> str:
    """Title a failing candidate by its failure first, for clients without disabled actions.

    ``Implement anyway (fails: `add(-1, 1)` returned 2, expected 0) — return a - b``: the user
    sees that applying it writes a body known to be wrong, before any code or number.
    """
    failure = first_failure(candidate.run) or "fails its examples"
    reason = failure if failure.startswith("does not run") else f"fails: {failure}"
    title = f"{verb} anyway ({reason})"
    return f"{title} — {gist}" if gist else title
