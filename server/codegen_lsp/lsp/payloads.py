"""The commands' arguments and replies: what ``workspace/executeCommand`` carries, typed.

The code actions hand each command one argument, a :class:`CommandTarget` (the document
version and the function the action was made for); clients send it back as they got it (the VS
Code extension also builds one, ``{uri, version, line}``, when no action is at hand). The
commands answer with one of the replies below; the VS Code extension reads ``applied``,
``title``, ``evidence``, ``message``, ``function``, ``examples`` and ``passed`` from them.

Both go through pygls' own converter (:attr:`CodegenServer.converter`), the one that reads and
writes every LSP structure: for attrs classes it writes camelCase names (``examples_checked``
is ``examplesChecked``) and leaves out a field with a default while it holds that default. So a
field that must always be on the wire has no default, and one that is sometimes absent defaults
to None. The reference for clients is docs/language-server.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from cattrs import Converter
from pygls.exceptions import JsonRpcInvalidParams

EXPECTED_ARGUMENT = "expected one argument {uri, version, line}"


@attrs.define
class CommandTarget:
    """The argument of every command: a function in one version of a document."""

    uri: str
    line: int
    """0-based line of the function's ``def``."""
    version: int | None = None
    """The document version the action was made for; None: whatever version is open."""
    function: str | None = None
    """The function's name (for the reader of the message; ``line`` finds the function)."""
    fresh: bool = False
    """Generate: draw new samples even when candidates for this version are ready."""
    note: str | None = None
    """Repair: the failing example to fix the function from."""
    rewrite: bool = False
    """Explain: the model may rewrite the user's docstring too."""

    @classmethod
    def from_arguments(cls, converter: Converter, arguments: Sequence[Any]) -> CommandTarget:
        """Read a command's arguments; anything but one target is Invalid Params."""
        raw = arguments[0] if arguments else None
        if not isinstance(raw, dict) or not {"uri", "line"} <= raw.keys():
            raise JsonRpcInvalidParams(EXPECTED_ARGUMENT)
        try:
            target: CommandTarget = converter.structure(raw, cls)
        except Exception as error:  # cattrs groups what it found; say the first, plainly
            found = getattr(error, "exceptions", None) or [error]
            raise JsonRpcInvalidParams(f"{EXPECTED_ARGUMENT}: {found[0]}") from None
        return target


@attrs.define
class Started:
    """The reply to a client that blocks on commands: the work goes on, the edit follows."""

    started: bool
    message: str


@attrs.define
class NotApplied:
    """A command that could not do its work (no body to write, a pipeline failure)."""

    applied: bool
    message: str

    @classmethod
    def because(cls, message: str) -> NotApplied:
        """Return the reply for a command that applied nothing, saying why."""
        return cls(applied=False, message=message)


@attrs.define
class PromptContext:
    """What the model saw of the project, and where the examples ran."""

    definitions: list[str]
    tokens: int
    interpreter: str
    not_looked_up: list[str] = attrs.field(factory=list)
    """Names the context's time box left unasked: the model may not have seen them."""


@attrs.define
class ImplementReply:
    """Generate and repair: the candidates found, and the one applied if any passed."""

    function: str
    candidates: int
    passing: int
    notes: list[str]
    applied: bool
    context: PromptContext
    message: str | None = None
    """Why nothing was applied: no candidate passed."""
    title: str | None = None
    """The applied candidate's title, with its evidence."""
    evidence: dict[str, Any] | None = None
    """The applied candidate's evidence, as in a candidate action's ``data.evidence``."""


@attrs.define
class ExplainReply:
    """Explain: the docstring written, with how many of its examples were checked and kept."""

    applied: bool
    function: str
    docstring: str
    examples_checked: int
    examples_kept: int
    notes: list[str]
    message: str


@attrs.define
class CheckReply:
    """Check examples: how many of the function's examples pass."""

    function: str
    examples: int
    passed: int
    message: str


CommandReply = Started | NotApplied | ImplementReply | ExplainReply | CheckReply
"""Every reply a command sends."""
