"""The words the user reads: action titles and reasons built from execution evidence.

A candidate's title says in words what was checked and how it went, then the gist of its code:
"Implement: 3/3 examples pass — return a + b (+2 lines)". No bare number: the ranking's score
travels in the action's structured data (:func:`candidate_data`), where a client that has room
for it (VS Code's picker) shows it with its meaning. A failing candidate says which example
failed and how (the pipeline's wording: what it returned against what was expected).
"""

from __future__ import annotations

from typing import Any

from codegen_lsp.execution import describe_failure
from codegen_lsp.outcomes import ExplainResult, RankedCandidate
from codegen_lsp.sandbox.types import CandidateRun

_MAX_TEXT = 60
_TITLE_ERROR = 48  # an error in a title leaves room for the gist


def _short(text: str | None, limit: int = _MAX_TEXT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_failure(run: CandidateRun) -> str | None:
    """Describe the first failing example of ``run`` (or why it could not run), else None."""
    if run.error:
        return f"does not run: {_short(run.error)}"
    for result in run.results:
        if result.status != "passed":
            return describe_failure(result)
    return None


def passes(candidate: RankedCandidate) -> bool:
    """Tell whether the candidate ran and passed every example it has."""
    return candidate.run.error is None and candidate.run.passed == candidate.run.total


SCORE_MEANING = (
    "the ranking's confidence (0 to 1): model likelihood times the verifier's estimate,"
    " pooled over the samples that behave alike"
)


def evidence(candidate: RankedCandidate) -> str:
    """Return ``3/3 examples pass``, or what stands in for it, in words only."""
    run = candidate.run
    if run.error:
        return f"does not run: {_short(run.error, _TITLE_ERROR)}"
    if run.total == 0 and "inputs" in candidate.score_parts:
        # Compared with its siblings on inputs: say how many samples behaved like it.
        agree, samples, count, documented, crashes = _agreement(candidate)
        # A raise the docstring asks for is part of the evidence, not a fault: said apart.
        raises = f" · raises as documented on {documented}" if documented else ""
        raises += f" · raises on {crashes}" if crashes else ""
        return (
            f"no examples · {agree}/{samples} agree on {count} inputs{raises}{_ignores(candidate)}"
        )
    if run.total == 0:
        return f"no examples to check{_ignores(candidate)}"
    return f"{run.passed}/{run.total} examples pass"


def _ignores(candidate: RankedCandidate) -> str:
    """`` · ignores payer``: a parameter its body never reads, which nothing else judged."""
    return f" · ignores {', '.join(candidate.ignored)}" if candidate.ignored else ""


def _agreement(candidate: RankedCandidate) -> tuple[int, int, int, int, int]:
    """Return the score's parts on inputs, as counts.

    Samples alike, samples, inputs, and of those inputs the ones it raised on as its docstring
    says and the ones it raised on otherwise.
    """
    parts = candidate.score_parts
    return (
        int(parts.get("agreement", 0)),
        int(parts.get("samples", 0)),
        int(parts.get("inputs", 0)),
        int(parts.get("documented_raises", 0)),
        int(parts.get("crashes", 0)),
    )


def candidate_data(candidate: RankedCandidate) -> dict[str, Any]:
    """Return a candidate's evidence as data (camelCase), for clients that show more than a title.

    Clients read this, never the title: what ran, what passed, the first failure, the
    parameters its body never reads (without examples), how many samples agree (on how many
    inputs, on how many of those it raised an exception its docstring asks for and on how many
    it raised otherwise; or how many of the passing ones act alike near the examples), the
    score and what it means.
    """
    run = candidate.run
    data: dict[str, Any] = {
        "examplesPassed": run.passed,
        "examplesTotal": run.total,
        "passes": passes(candidate),
        "score": round(float(candidate.score), 4),
        "scoreMeaning": SCORE_MEANING,
        "verified": bool(candidate.verified),
        "lines": len(_statements(candidate.body)),
    }
    if run.error:
        data["error"] = run.error
    if candidate.ignored:
        data["ignoredParameters"] = list(candidate.ignored)
    failure = first_failure(run)
    if failure is not None:
        data["failure"] = failure
    if run.total == 0 and "inputs" in candidate.score_parts:
        (
            data["agreement"],
            data["samples"],
            data["inputs"],
            data["documentedRaises"],
            data["crashes"],
        ) = _agreement(candidate)
    elif candidate.group_size > 1:
        data["agreement"] = candidate.group_size
    near = candidate.score_parts.get("near_agreement")
    if near is not None:
        # The share of the passing candidates' likelihood that did what this one did on the
        # calls near the examples: below ranking.verifiedNearAgreement it is not verified.
        data["nearAgreement"] = round(float(near), 3)
    samples = candidate.score_parts.get("near_samples")
    if samples is not None:
        # The samples that pass every example and act like this one near them, itself
        # included: below ranking.verifiedNearSamples it is not verified.
        data["nearSamples"] = int(samples)
    if candidate.score_parts.get("breaks_near"):
        # It raised on an empty argument near the examples: why it is not verified.
        data["breaksNear"] = True
    return data


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
    candidate: RankedCandidate,
    verb: str = "Implement",
    preview: bool = False,
    gist: str | None = None,
) -> str:
    """Return the code action title of one ranked candidate, optionally with its code's gist.

    ``gist`` replaces the candidate's own :func:`code_preview` (see :func:`distinct_previews`).
    The gist is one line of the body; how many more there are follows it, so that a title
    never hides statements behind a tidy ``return``.
    """
    title = f"{verb}: {evidence(candidate)}"
    if not preview:
        return title
    snippet = with_rest(candidate.body, gist if gist is not None else code_preview(candidate.body))
    return f"{title} — {snippet}" if snippet else title


def with_rest(body: str, gist: str) -> str:
    """Return ``gist`` followed by how many other statements the body has ("(+2 lines)")."""
    rest = len(_statements(body)) - 1
    if not gist or rest <= 0:
        return gist
    return f"{gist} (+{rest} line{'s' if rest > 1 else ''})"


def failing_title(candidate: RankedCandidate, gist: str, verb: str = "Implement") -> str:
    """Title a failing candidate by its failure first, for clients without disabled actions.

    ``Implement anyway (fails: `add(-1, 1)` returned 2, expected 0) — return a - b``: the user
    sees that applying it writes a body known to be wrong, before any code or number.
    """
    failure = first_failure(candidate.run) or "fails its examples"
    reason = failure if failure.startswith("does not run") else f"fails: {failure}"
    title = f"{verb} anyway ({reason})"
    gist = with_rest(candidate.body, gist)
    return f"{title} — {gist}" if gist else title


def explain_evidence(result: ExplainResult) -> str:
    """Say how the generated examples of an explanation fared ("2/3 generated examples kept")."""
    return (
        f"{result.examples_kept}/{result.examples_checked} generated examples kept "
        "(checked against the function)"
    )


_WHY_DROPPED = (
    "the function could not run",
    "dropped an example",
    "corrected an example",
    "no generated example held",
)


def explain_message(label: str, notes: list[str], limit: int = 2) -> str:
    """Return ``label`` followed by why examples were dropped or corrected (at most ``limit``).

    The pipeline's notes say it ("dropped an example that does not hold: `f(2)` returned 5,
    expected 4"); the rest of them go to the log.
    """
    reasons = [note for note in notes if note.startswith(_WHY_DROPPED)]
    shown = reasons[:limit]
    more = len(reasons) - len(shown)
    tail = "; ".join(shown) + (f"; and {more} more (see the log)" if more > 0 else "")
    return f"{label}. {tail[0].upper()}{tail[1:]}." if tail else label
