"""What a candidate did on the examples, as text for the verifier and as a grouping key.

``execution_record`` writes LEVER's execution-result format (Ni et al. 2023): one line per
example, ``# return: (type)=value`` for a returned value, ``# raise: Type: message`` for an
exception a doctest expected, and ``ERROR: reason`` for an unexpected exception or a timeout; a
candidate that could not run at all is one ``ERROR: reason`` line. ``execution_signature`` is
equal for two candidates exactly when they returned equal values (and raised the same expected
exceptions) on every example; a candidate with any error or timeout has no signature, so errors
never group.
"""

from __future__ import annotations

import hashlib

from codegen_lsp.sandbox.types import CandidateRun

VALUE_CAP = 200


def execution_record(run: CandidateRun) -> str:
    """Return the LEVER execution record of ``run``."""
    if run.error is not None:
        return f"ERROR: {_one_line(run.error)}"
    lines = []
    for result in run.results:
        if result.status == "timeout":
            lines.append("ERROR: timeout")
        elif result.exception is not None:
            if result.status == "passed":
                lines.append(f"# raise: {_one_line(result.exception)}")
            else:
                lines.append(f"ERROR: {_one_line(result.exception)}")
        else:
            value = _one_line(result.actual_repr or "")
            lines.append(f"# return: ({result.actual_type})={value}")
    return "\n".join(lines)


def execution_signature(run: CandidateRun) -> str | None:
    """Return a key equal for candidates that behaved the same, or None for erroring runs."""
    if run.error is not None or not run.results:
        return None
    parts = []
    for result in run.results:
        if result.status in ("error", "timeout"):
            return None
        if result.exception is not None:  # an expected exception (the example passed)
            parts.append("raise:" + result.exception.split(":", 1)[0])
        elif result.value_digest is None:
            return None
        else:
            parts.append("return:" + result.value_digest)
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= VALUE_CAP else flat[:VALUE_CAP] + "..."
