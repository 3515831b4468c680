"""The sandbox's contract: examples in, per-example results and an execution record out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ExampleStatus = Literal["passed", "failed", "error", "timeout"]
SKIP = "SKIP"
"""The doctest option of an example doctest does not run (``# doctest: +SKIP``)."""


@dataclass(frozen=True)
class Example:
    """One runnable example taken from a docstring."""

    call: str
    """Python source of the expression (or statement) to run, e.g. ``add(1, 2)``."""
    expected: str | None
    """Python source of the expected value, or None when only output/exception is expected."""
    line: int
    """1-based line of the example within the docstring."""
    kind: Literal["doctest", "prose", "probe"] = "doctest"
    """``probe``: a call with no expected result, run to compare candidates' behaviour."""
    expected_exception: str | None = None
    """Exception class name the call is expected to raise (``Traceback`` doctests)."""
    expected_output: str | None = None
    """Doctest's expected printed output, compared textually when ``expected`` is None."""
    setup: tuple[str, ...] = ()
    """Statements run before ``call`` (doctest lines that are not expressions)."""
    options: tuple[str, ...] = ()
    """Doctest option flags, e.g. ``ELLIPSIS``, ``NORMALIZE_WHITESPACE``."""
    timeout_s: float | None = None
    """At most this long for this call; None: whatever is left of the run's time. A candidate
    that loops on one drawn input then still runs on the rest."""
    observed: bool = False
    """``call`` returns a list: the result of the call it wraps, then what that call changed
    (its arguments, the object of a method). The whole list is compared; ``actual_type`` is the
    wrapped call's result's (:func:`codegen_lsp.inputs.probe_examples`)."""
    drain: bool = False
    """A returned iterator (a generator, a ``map``) is read, within the call's time, and its
    items are the value: else every generator body would return an unread generator and look
    alike, crash on nothing, and differ from none. ``actual_type`` stays the iterator's."""

    @property
    def skipped(self) -> bool:
        """Doctest would not run it (``+SKIP``): it judges only where a candidate reproduces it."""
        return SKIP in self.options


@dataclass
class ExampleResult:
    """What happened when one example ran."""

    example: Example
    status: ExampleStatus
    actual_type: str | None = None
    actual_repr: str | None = None
    """Capped ``repr`` of the returned value."""
    exception: str | None = None
    """``Type: message`` of a raised exception."""
    stdout: str = ""
    value_digest: str | None = None
    """SHA-256 of the returned value's canonical encoding (equal values, equal digests)."""
    seconds: float = 0.0
    """How long the example took inside the worker."""
    field_types: tuple[tuple[str, str], ...] = ()
    """For a returned object (a dataclass, a plain object): each field and its value's type."""


@dataclass
class CandidateRun:
    """One candidate's results on every example."""

    results: list[ExampleResult] = field(default_factory=list)
    error: str | None = None
    """Set when the candidate could not run at all (syntax error, import failure, crash)."""
    isolation: str = "none"

    @property
    def passed(self) -> int:
        """Number of examples that passed."""
        return sum(r.status == "passed" for r in self.results)

    @property
    def total(self) -> int:
        """Number of examples run."""
        return len(self.results)
