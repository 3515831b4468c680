"""The messages between a language server and a model process (the shared daemon, a private child).

Each message is framed by :mod:`codegen_lsp.framing` (a 4-byte big-endian length, then that many
bytes of UTF-8 JSON). Requests carry ``op`` (``hello``, ``generate``, ``score``,
``count_tokens``, ``chat_prompt``, ``cancel``) and an ``id``; replies carry the same ``id`` and
either ``result`` or ``error`` (with ``kind`` ``cancelled`` for a cancelled generation). Events
carry ``event`` and no ``id``: ``sampled`` (how many samples of the request ``target`` are done)
and, from a private child loading its model, ``progress`` and ``failed``.

This module holds what both sides agree on: the protocol version, the error a model process
reports, and requests and samples to and from JSON. The serving side is ``daemon.py``, the
calling side ``connection.py``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from codegen_lsp.engine.types import GenerationRequest, Sample, Timings

PROTOCOL_VERSION = 1


class SharedEngineError(Exception):
    """A model process (shared or private) failed a request; the message says what happened."""


def request_to_wire(request: GenerationRequest) -> dict[str, Any]:
    """Return a JSON-ready form of ``request``."""
    wire = dataclasses.asdict(request)
    wire.pop("on_sample", None)  # a callback stays on this side; progress comes back as events
    wire["stop"] = list(request.stop)
    return wire


def request_from_wire(wire: dict[str, Any]) -> GenerationRequest:
    """Rebuild a request (unknown keys are ignored, so newer clients stay compatible)."""
    known = {f.name for f in dataclasses.fields(GenerationRequest)}
    fields = {key: value for key, value in wire.items() if key in known}
    fields["stop"] = tuple(fields.get("stop", ()))
    return GenerationRequest(**fields)


def sample_from_wire(wire: dict[str, Any]) -> Sample:
    """Rebuild a sample sent by :func:`dataclasses.asdict`."""
    return Sample(
        text=wire["text"],
        token_ids=list(wire["token_ids"]),
        logprobs=list(wire["logprobs"]),
        finish_reason=wire["finish_reason"],
        timings=Timings(**wire.get("timings", {})),
    )
