"""The pipeline: context -> prompt -> samples -> executed -> ranked, with evidence.

This is the one entry point the surfaces (CLI, language server, evaluation) call. It knows no
LSP types: positions are 0-based (line, column) pairs and edits are plain text replacements.

CONTRACT (filled in by the pipeline work; the LSP layer codes against these names):

- ``Pipeline(settings, engine=None)``; the engine is loaded lazily on first use.
- ``Pipeline.implement(source, line, column, cancel=None, progress=None) -> GenerationResult``
- ``Pipeline.repair(source, line, column, note=None, cancel=None, progress=None)
  -> GenerationResult``
- ``Pipeline.explain(source, line, column, cancel=None, progress=None) -> ExplainResult``
- ``Pipeline.check(source, line=None) -> list[CheckResult]`` (no model needed)
- ``progress(stage: str, done: int, total: int)`` is called from the worker thread, with
  stage in {"loading model", "sampling", "running examples", "ranking"}.
- ``cancel`` is a ``threading.Event``; when set, the call raises ``GenerationCancelled``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from codegen_lsp.sandbox.types import CandidateRun, Example

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TextReplacement:
    """Replace the text between two 0-based (line, column) positions with ``new_text``."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    new_text: str


@dataclass
class RankedCandidate:
    """One candidate body with the evidence behind its rank."""

    rank: int
    body: str
    """The body as it will be inserted, indented to the function's body indentation."""
    replacement: TextReplacement
    """The edit that puts ``body`` into the source the request was computed on."""
    mean_logprob: float
    run: CandidateRun
    score: float
    verified: bool
    duplicates: int = 1
    """How many samples produced exactly this code."""
    group_size: int = 1
    """How many candidates behaved the same on the examples (agreement)."""
    verifier: float | None = None
    reviewer: float | None = None
    score_parts: dict[str, float] = field(default_factory=dict)

    @property
    def examples_passed(self) -> int:
        """Examples this candidate passed."""
        return self.run.passed

    @property
    def examples_total(self) -> int:
        """Examples this candidate ran."""
        return self.run.total


@dataclass
class GenerationResult:
    """The ranked candidates for one function, best first."""

    function_name: str
    function_line: int
    examples: list[Example]
    candidates: list[RankedCandidate]
    notes: list[str] = field(default_factory=list)
    """Honest remarks for the user, e.g. "no examples in the docstring: nothing is verified"."""


@dataclass
class ExplainResult:
    """A generated docstring whose examples were checked against the existing function."""

    function_name: str
    docstring: str
    replacement: TextReplacement
    examples_checked: int
    examples_kept: int
    notes: list[str] = field(default_factory=list)


@dataclass
class CheckResult:
    """A function's own docstring examples run against its current body."""

    function_name: str
    function_line: int
    docstring_line: int
    """0-based line of the docstring's opening quotes in the source."""
    run: CandidateRun
