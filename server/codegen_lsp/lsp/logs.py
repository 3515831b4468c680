"""What the server's log says: pygls kept to what helps, and a way to see a hung server.

pygls logs every message at INFO and a traceback for every message it cannot read; the
filters here keep the log to one line for what the server answers anyway, and the client's
``exit`` over TCP reads as an ordinary end. ``kill -USR1 PID`` writes every thread's stack to
the log (:func:`dump_stacks_on_signal`); the exit watchdog writes there too (:func:`log_stream`).
"""

from __future__ import annotations

import faulthandler
import json
import logging
import signal
from typing import Any

from pygls.exceptions import JsonRpcException

log = logging.getLogger(__name__)


def quiet_pygls(tcp: bool) -> None:
    """Keep pygls' message traffic and its tracebacks for answered messages out of the log."""
    # pygls logs every message at INFO; that much text (a 1 MB document per keystroke) only
    # helps when debugging the protocol itself (-vv).
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("pygls").setLevel(logging.WARNING)
    for name in ("pygls.server", "pygls.protocol.json_rpc"):
        logging.getLogger(name).addFilter(_quiet_unreadable_messages)
    if tcp:
        logging.getLogger("asyncio").addFilter(_quiet_exit_over_tcp)


def _quiet_unreadable_messages(record: logging.LogRecord) -> bool:
    """Keep pygls' tracebacks for messages it cannot read out of the log (one line instead).

    Those messages are answered (Parse error, Invalid Request, Invalid Params) and logged by
    the server; a traceback would read like a server fault.
    """
    if record.getMessage() == "Unable to handle message" and record.exc_info:
        error = record.exc_info[1]
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError, JsonRpcException)):
            return False
    if isinstance(record.msg, str) and record.msg.startswith("Unable to deserialize message"):
        details = record.getMessage().strip().splitlines()
        record.msg, record.args = "unable to deserialize a message: %s", (details[-1],)
    return True


def _quiet_exit_over_tcp(record: logging.LogRecord) -> bool:
    """Log the client's ``exit`` over TCP as what it is, not as a crash.

    pygls ends the process with ``sys.exit`` from inside the connection's callback; over TCP,
    asyncio reports that as an unhandled exception with a traceback.
    """
    if record.exc_info and isinstance(record.exc_info[1], SystemExit):
        log.info("the client sent exit: stopping (status %s)", record.exc_info[1].code)
        return False
    return True


def log_stream() -> Any:
    """Return the stream the log goes to (a real file), if any: where stacks are dumped."""
    for handler in logging.getLogger().handlers:
        stream = getattr(handler, "stream", None)
        if stream is not None and hasattr(stream, "fileno"):
            try:
                stream.fileno()
            except (OSError, ValueError):
                continue
            return stream
    return None


def dump_stacks_on_signal() -> None:
    """Let ``kill -USR1 PID`` write every thread's stack to the log (a hung server, diagnosed)."""
    stream = log_stream()
    if stream is not None and hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, file=stream, all_threads=True)
