"""Length-prefixed JSON messages: how the server talks to its model processes and sandbox workers.

A message is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON, a JSON
object. The engine speaks it over Unix sockets (the shared daemon, the private model child) and
the sandbox over a worker's pipes; this module is the one place that writes and reads it. It
imports nothing of the package, so the engine and the sandbox, which never import each other, can
both use it.

The sandbox worker (``sandbox/_worker.py``) speaks the same format with its own few lines: it
runs under the project's interpreter, where this package is not importable.
"""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Callable
from typing import Any

HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 64 << 20
"""The largest message a socket peer may send (the header could announce up to 4 GiB)."""


class ProtocolError(Exception):
    """A peer sent something that is not a protocol message."""


def encode(message: dict[str, Any], *, compact: bool = True) -> bytes:
    """Return ``message`` framed: its length, then its JSON.

    ``compact`` leaves out the spaces after ``,`` and ``:``; the sandbox keeps them (its
    messages were written that way from the start, and the worker reads either).
    """
    body = json.dumps(message, separators=(",", ":") if compact else None).encode()
    return HEADER.pack(len(body)) + body


def read_message(
    read_exactly: Callable[[int], bytes | None], limit: int | None = MAX_MESSAGE_BYTES
) -> dict[str, Any] | None:
    """Read one message with ``read_exactly(count)``; None when it returns None (end of input).

    A length over ``limit`` (None: no limit) or a body that is not a JSON object raises
    :class:`ProtocolError`; a body that is not JSON raises ``ValueError``.
    """
    header = read_exactly(HEADER.size)
    if header is None:
        return None
    (length,) = HEADER.unpack(header)
    if limit is not None and length > limit:
        raise ProtocolError(f"message of {length} bytes is over the {limit} limit")
    body = read_exactly(length)
    if body is None:
        return None
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def send_message(sock: socket.socket, message: dict[str, Any]) -> None:
    """Write one message to ``sock``."""
    sock.sendall(encode(message))


def receive_message(sock: socket.socket) -> dict[str, Any] | None:
    """Read one message from ``sock``; None when the peer closed the connection."""
    return read_message(lambda count: _receive_exactly(sock, count))


def _receive_exactly(sock: socket.socket, count: int) -> bytes | None:
    chunks: list[bytes] = []
    while count:
        chunk = sock.recv(min(count, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)
