"""A scripted model behind the real remote engine, for tests that need chosen candidates.

The fast language-server tests used to run on the small plumbing model, which writes nothing
usable with the suite's settings, so every path that starts from a candidate (titles, the
preferred action, disabled reasons, resolve, versioned edits, inline items, apply-once) went
untested. Here a test says which bodies the "model" writes for which function; the server
reaches them through ``model.remoteUrl`` like any inference server, so everything after
sampling is the product's own code: stop sequences, post-processing, the sandbox, ranking,
titles and edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from codegen_lsp.outcomes import GenerationResult
from codegen_lsp.pipeline import Pipeline
from codegen_lsp.settings import Settings

from support.remote_stub import StubServer

# A body's text is cut into "tokens" at word starts, so that log-probabilities have pieces.
_PIECES = re.compile(r"\s*\S+|\s+")


@dataclass(frozen=True)
class Reply:
    """One sample the scripted model returns: its text and its log-probability per token."""

    text: str
    logprob: float = -0.5


def body(code: str, logprob: float = -0.5) -> Reply:
    """A function body as the chat prompt's answer block continues it (indented, fenced)."""
    lines = code.strip("\n").splitlines()
    return Reply("\n".join("    " + line for line in lines) + "\n```", logprob)


def implementing(function: str) -> str:
    """The pattern of a prompt that asks for ``function``'s body (its head ends the prompt)."""
    return rf"def {re.escape(function)}\([^\n]*\n(?:(?!\ndef ).)*\Z"


def proposing(function: str) -> str:
    """The pattern of a prompt that asks for calls of ``function`` (inputs to compare on)."""
    return rf"different calls of the Python function `{re.escape(function)}`"


def proposing_method(owner: str, method: str) -> str:
    """The pattern of a prompt that asks for calls of the method ``owner.method``."""
    return rf"different calls of the method `{re.escape(owner)}\.{re.escape(method)}`"


def asking_for_tests(owner: str, method: str) -> str:
    """The pattern of a prompt that asks for short tests of ``owner.method`` (filled objects)."""
    return rf"different short tests of the method `{re.escape(owner)}\.{re.escape(method)}`"


def explaining(function: str) -> str:
    """The pattern of a prompt that asks for ``function``'s docstring."""
    return rf"Write a docstring for the Python function `{re.escape(function)}`"


class ScriptedModel:
    """An OpenAI-style completions server whose samples a test chooses, prompt by prompt.

    ``script(pattern, replies)`` makes every prompt matching ``pattern`` (a regular expression,
    searched with DOTALL; the newest matching script wins) answer with ``replies``, repeated to
    the ``n`` asked for. A prompt no script matches gets empty samples. ``prompts`` records what
    the server sent, so that a test can assert on it.
    """

    def __init__(self) -> None:
        self.stub = StubServer()
        self.stub.answer = self._answer
        self.scripts: list[tuple[re.Pattern[str], list[Reply]]] = []
        self.prompts: list[str] = []

    @property
    def url(self) -> str:
        return self.stub.url

    @property
    def delay_s(self) -> float:
        return self.stub.delay_s

    @delay_s.setter
    def delay_s(self, seconds: float) -> None:
        """Hold every reply back (the stub notices a client that hangs up meanwhile)."""
        self.stub.delay_s = seconds

    def script(self, pattern: str, replies: list[Reply]) -> None:
        assert replies, "a script needs at least one reply"
        self.scripts.append((re.compile(pattern, re.DOTALL), list(replies)))

    def close(self) -> None:
        self.stub.close()

    def _replies_for(self, prompt: str) -> list[Reply]:
        for pattern, replies in reversed(self.scripts):
            if pattern.search(prompt):
                return replies
        return [Reply("")]

    def _answer(self, request: dict[str, Any]) -> tuple[int, dict[str, str], object]:
        prompt = str(request["prompt"])
        self.prompts.append(prompt)
        n = int(request.get("n") or 1)
        replies = self._replies_for(prompt)
        choices = [_choice(index, replies[index % len(replies)]) for index in range(n)]
        tokens = sum(len(c["logprobs"]["tokens"]) for c in choices)  # type: ignore[index]
        return (
            200,
            {},
            {
                "object": "text_completion",
                "choices": choices,
                "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": tokens},
            },
        )


def _choice(index: int, reply: Reply) -> dict[str, object]:
    pieces = _PIECES.findall(reply.text) or [""]
    offsets, position = [], 0
    for piece in pieces:
        offsets.append(position)
        position += len(piece)
    return {
        "index": index,
        "text": reply.text,
        "finish_reason": "stop",
        "logprobs": {
            "tokens": pieces,
            "token_logprobs": [reply.logprob] * len(pieces),
            "text_offset": offsets,
            "top_logprobs": None,
        },
    }


def implement_scripted(
    source: str,
    line: int,
    scripts: list[tuple[str, list[Reply]]],
    n: int,
    first_wave: int = 0,
    slow_repair_samples: int = 0,
) -> tuple[GenerationResult, list[str]]:
    """Implement the function at ``line`` with a scripted model; return the result and prompts.

    ``scripts``: (prompt pattern, replies) in order, the newest matching one answering. A wave's
    rows come in one request (no greedy first), the verifier is off, no repair round for speed
    unless asked.
    """
    model = ScriptedModel()
    try:
        for pattern, replies in scripts:
            model.script(pattern, replies)
        settings = Settings()
        settings.sampling.n = n
        settings.sampling.first_wave = first_wave
        settings.sampling.enough_passing = 2
        settings.sampling.greedy_first = False
        settings.sampling.slow_repair_samples = slow_repair_samples
        settings.ranking.verifier = False
        settings.model.remote_url = model.url
        settings.model.remote_retries = 0
        pipeline = Pipeline(settings)
        try:
            return pipeline.implement(source, line), model.prompts
        finally:
            pipeline.close()
    finally:
        model.close()
