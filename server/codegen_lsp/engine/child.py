"""The private model process: one server's model, in a child that ends with its server.

:class:`~codegen_lsp.engine.private.PrivateEngine` starts ``python -m codegen_lsp.engine.child``
with one end of a socket pair; the child loads the model (:func:`load_engine`, any backend) and
serves that one peer with :class:`~codegen_lsp.engine.daemon.EngineDaemon` until it hangs up.
A watch on the parent ends it as soon as the server is gone, even while the model loads.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

from codegen_lsp.engine.daemon import EngineDaemon
from codegen_lsp.engine.loader import load_engine
from codegen_lsp.framing import send_message
from codegen_lsp.settings import ModelSettings

log = logging.getLogger(__name__)


PARENT_POLL_S = 0.5


def exit_with_parent(parent: int) -> None:
    """End this process as soon as ``parent`` is gone, whatever the main thread is doing.

    The socket's end-of-file says the same, but only once the main thread reads it again: not
    while the model loads, nor during a long step. A child that outlived its server would keep
    the editor's stderr pipe open, and an editor waiting for that pipe would hang.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        log.info("the server (process %d) is gone: exiting", parent)
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def child_main(argv: list[str] | None = None) -> int:
    """Entry point of the private model process (see :class:`PrivateEngine`)."""
    parser = argparse.ArgumentParser(prog="python -m codegen_lsp.engine.child")
    parser.add_argument("--fd", type=int, required=True, help="the inherited socket")
    parser.add_argument("--model-settings", required=True, help="ModelSettings as JSON")
    parser.add_argument("--log-file")
    parser.add_argument("--log-level", type=int, default=logging.WARNING)
    parser.add_argument("--parent", type=int, help="end when this process is gone")
    args = parser.parse_args(argv)
    handler: logging.Handler = (
        logging.FileHandler(args.log_file, encoding="utf-8")
        if args.log_file
        else logging.StreamHandler()
    )
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)s model[{os.getpid()}] %(name)s: %(message)s")
    )
    logging.basicConfig(level=args.log_level, handlers=[handler])
    sock = socket.socket(fileno=args.fd)
    known = {f.name for f in dataclasses.fields(ModelSettings)}
    given = json.loads(args.model_settings)
    settings = ModelSettings(**{k: v for k, v in given.items() if k in known})
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the editor's Ctrl+C is for the editor
    exit_with_parent(args.parent or os.getppid())

    def progress(message: str) -> None:
        with contextlib.suppress(OSError):
            send_message(sock, {"event": "progress", "message": message})

    try:
        engine = load_engine(settings, progress)
    except Exception as error:
        log.warning("cannot load %s: %s", settings.name, error)
        with contextlib.suppress(OSError):
            send_message(
                sock, {"event": "failed", "error": str(error), "type": type(error).__name__}
            )
        return 2
    daemon = EngineDaemon(engine, Path("/nonexistent-private"), idle_timeout_s=float("inf"))
    # SIGTERM keeps its default (end now): a private child has nothing to tidy, and a handler
    # would run only between bytecodes, never while a decoding step holds the interpreter.
    log.info("serving %s to process %d", engine.name, os.getppid())
    daemon.serve_connection(sock)
    return 0


if __name__ == "__main__":
    # The parent's end of the socket closes when it exits, however it exits: the read loop then
    # ends, and so does this process, without waiting for a decoding step to notice.
    status = child_main()
    logging.shutdown()
    os._exit(status)
