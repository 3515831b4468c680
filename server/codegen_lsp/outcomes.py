"""What a pipeline call hands back, and how it reports on its way there.

The surfaces (CLI, language server, evaluation) read these types; the pipeline layer fills them.
Nothing here knows LSP types: positions are 0-based (line, column) pairs and edits are plain text
replacements. A call tells how far it got through a :class:`ProgressFn` (:func:`report` calls
one without letting a broken display stop the work) and stops when its cancel event is set
(:func:`check_cancel`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

from codegen_lsp.engine.types import GenerationCancelled
from codegen_lsp.sandbox.types import CandidateRun, Example

log = logging.getLogger(__name__)


class ProgressFn(Protocol):
    """Where a pipeline call says how far it got (called from its worker thread)."""

    def __call__(self, stage: str, done: int, total: int, passing: int | None = None) -> None:
        """Say that ``stage`` has ``done`` of ``total`` steps behind it.

        While examples run, ``passing`` says how many candidates so far passed every example.
        """


def report(
    progress: ProgressFn | None, stage: str, done: int, total: int, passing: int | None = None
) -> None:
    """Tell ``progress`` (when there is one) how far ``stage`` got; its failure is only logged."""
    if progress is None:
        return
    try:
        progress(stage, done, total, passing)
    except Exception:  # a broken progress display must not stop the work
        log.debug("progress callback failed", exc_info=True)


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise ``GenerationCancelled`` when ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise GenerationCancelled("cancelled")


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
    edits: tuple[TextReplacement, ...] = ()
    """The edits an editor applies when its leading imports move to the file's own (the body
    without them, then their insertion: :mod:`codegen_lsp.import_edits`); empty otherwise."""
    ignored: tuple[str, ...] = ()
    """Without examples, the function's parameters its body never reads
    (:mod:`codegen_lsp.unread`): said in its title, since no example judges it."""

    @property
    def file_edits(self) -> list[TextReplacement]:
        """The edits an editor applies: ``edits``, else ``replacement`` alone."""
        return list(self.edits) or [self.replacement]

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
    prompt: str = ""
    """The prompt the model read (empty for pre-drawn text)."""
    definitions: list[str] = field(default_factory=list)
    """The definitions from other files of the project that the prompt carried."""
    context_tokens: int = 0
    """Estimated tokens those definitions added to the prompt."""
    not_looked_up: list[str] = field(default_factory=list)
    """Names whose definitions the context's time box (``project.contextTimeoutS``) left
    unasked: the prompt may lack what the function needs."""
    interpreter: str = ""
    """The Python the examples ran under."""
    inputs: list[str] = field(default_factory=list)
    """Without examples: the calls the candidates were compared on (drawn, then proposed)."""
    complete: bool = True
    """False for the first wave's candidates, shown while the rest are drawn."""


@dataclass
class ExplainResult:
    """A generated docstring whose examples were checked against the existing function."""

    function_name: str
    docstring: str
    replacement: TextReplacement
    examples_checked: int
    examples_kept: int
    """Examples left in the docstring: those that passed, plus the corrected ones."""
    notes: list[str] = field(default_factory=list)
    examples_corrected: int = 0
    """Doctests whose expected value the model got wrong, rewritten to what the function returns."""


@dataclass
class CheckResult:
    """A function's own docstring examples run against its current body."""

    function_name: str
    function_line: int
    docstring_line: int
    """0-based line of the docstring's opening quotes in the source (the ``def`` line when there
    is no docstring); an example's line ``n`` in its docstring is source line
    ``docstring_line + n - 1``."""
    run: CandidateRun
    has_docstring: bool = True
    doctest_notes: dict[int, str] = field(default_factory=dict)
    """Per index in ``run.results``: an example that passes here by value but that
    ``python -m doctest`` fails, and why (an expected ``None``, which doctest never shows)."""
