"""The language server's entry point: the server with every feature registered, served.

``codegen-lsp`` (``--stdio``, the default, or ``--tcp``) lands in :func:`run_server`. The
feature modules register their handlers on a :class:`~codegen_lsp.lsp.server.CodegenServer`
here, so that the server module imports none of them (no import cycle inside ``lsp/``).
"""

from __future__ import annotations

import faulthandler
import json
import logging
import signal
import sys

from pygls.exceptions import JsonRpcException

from codegen_lsp.lsp import actions, commands, configuration, documents, inline
from codegen_lsp.lsp.server import CodegenServer, PipelineFactory, exit_soon, log_stream

log = logging.getLogger(__name__)


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


def create_server(pipeline_factory: PipelineFactory | None = None) -> CodegenServer:
    """Build the server with every feature registered."""
    server = CodegenServer(pipeline_factory)
    for feature in (configuration, documents, actions, commands, inline):
        feature.register(server)
    return server


def run_server(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087) -> int:
    """Serve LSP over stdio (the default) or TCP until the client disconnects."""
    # pygls logs every message at INFO; that much text (a 1 MB document per keystroke) only
    # helps when debugging the protocol itself (-vv).
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("pygls").setLevel(logging.WARNING)
    for name in ("pygls.server", "pygls.protocol.json_rpc"):
        logging.getLogger(name).addFilter(_quiet_unreadable_messages)
    # Generation runs on a worker thread; hand the interpreter back to the event loop often so
    # that code actions stay fast while it runs (the default is every 5 ms).
    sys.setswitchinterval(0.001)
    _dump_stacks_on_signal()
    server = create_server()
    if tcp:
        logging.getLogger("asyncio").addFilter(_quiet_exit_over_tcp)
        server.start_tcp(host, port)
    else:
        server.start_io()
    # The client has gone (exit, or end of input). Make sure the process ends whatever its
    # threads are doing (an editor waits for it), then stop the jobs even without a shutdown
    # request, and the model's child with them.
    exit_soon()
    server.close_jobs(wait=True)
    return 0


def _dump_stacks_on_signal() -> None:
    """Let ``kill -USR1 PID`` write every thread's stack to the log (a hung server, diagnosed)."""
    stream = log_stream()
    if stream is not None and hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, file=stream, all_threads=True)
