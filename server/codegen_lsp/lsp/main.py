"""The language server's entry point: the server with every feature registered, served.

``codegen-lsp`` (``--stdio``, the default, or ``--tcp``) lands in :func:`run_server`. The
feature modules register their handlers on a :class:`~codegen_lsp.lsp.server.CodegenServer`
here, so that the server module imports none of them (no import cycle inside ``lsp/``).
"""

from __future__ import annotations

import sys

from codegen_lsp.lsp import actions, commands, configuration, documents, inline, lifecycle, logs
from codegen_lsp.lsp.lifecycle import exit_soon
from codegen_lsp.lsp.server import CodegenServer


def create_server() -> CodegenServer:
    """Build the server with every feature registered."""
    server = CodegenServer()
    for feature in (configuration, lifecycle, documents, actions, commands, inline):
        feature.register(server)
    return server


def run_server(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087) -> int:
    """Serve LSP over stdio (the default) or TCP until the client disconnects."""
    logs.quiet_pygls(tcp)
    # Generation runs on a worker thread; hand the interpreter back to the event loop often so
    # that code actions stay fast while it runs (the default is every 5 ms).
    sys.setswitchinterval(0.001)
    logs.dump_stacks_on_signal()
    server = create_server()
    if tcp:
        server.start_tcp(host, port)
    else:
        server.start_io()
    # The client has gone (exit, or end of input). Make sure the process ends whatever its
    # threads are doing (an editor waits for it), then stop the jobs even without a shutdown
    # request, and the model's child with them.
    exit_soon()
    server.close_jobs(wait=True)
    return 0
