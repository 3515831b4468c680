"""``codegen-lsp serve``: hold the model once for every editor on this machine.

Editors whose settings have ``model.shared`` on connect to this process over a private Unix
socket instead of loading the model themselves (the first one starts it when none runs).
Running it by hand keeps the model warm before any editor opens::

    codegen-lsp serve                       # default model, exits after 10 idle minutes
    codegen-lsp serve --idle-timeout 0      # never exits on its own
    codegen-lsp serve --print-socket        # where editors with these settings connect

Exit status: 0 after an idle exit or a signal, 1 when another daemon already serves these
settings, 2 when the model cannot be loaded.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> None:
    """Register ``serve``."""
    parser = subparsers.add_parser(
        "serve",
        help="hold the model for every editor on this machine (model.shared)",
        description="Load the model once and serve it to every codegen-lsp on this machine "
        "over a Unix socket only this user can open.",
    )
    parser.add_argument("--model", help="model name or path (default: the settings' default)")
    parser.add_argument("--precision", choices=("auto", "fp32", "int8", "int4"))
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--threads", type=int, help="ONNX Runtime intra-op threads")
    parser.add_argument("--remote-url", help="serve a remote inference server's model instead")
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        help="seconds with no editor connected before exiting (default 600; 0: never)",
    )
    parser.add_argument("--socket", help="socket path (default: derived from the settings)")
    parser.add_argument("--model-settings", help=argparse.SUPPRESS)  # JSON, from an editor
    parser.add_argument(
        "--print-socket", action="store_true", help="print the socket path and exit"
    )
    parser.set_defaults(func=run)


def _model_settings(args: argparse.Namespace) -> Any:
    from codegen_lsp.settings import ModelSettings

    settings = ModelSettings()
    if args.model_settings:
        known = {f.name for f in dataclasses.fields(ModelSettings)}
        given = json.loads(args.model_settings)
        settings = ModelSettings(**{k: v for k, v in given.items() if k in known})
    for flag, field in (
        ("model", "name"),
        ("precision", "precision"),
        ("device", "device"),
        ("threads", "threads"),
        ("remote_url", "remote_url"),
    ):
        value = getattr(args, flag)
        if value is not None:
            setattr(settings, field, value)
    settings.shared = False
    return settings


def run(args: argparse.Namespace) -> int:
    """Load the engine and serve it until idle or signalled."""
    from codegen_lsp.engine.daemon import (
        DEFAULT_IDLE_TIMEOUT_S,
        EngineDaemon,
        claim_socket,
        socket_path,
    )
    from codegen_lsp.engine.loader import load_engine
    from codegen_lsp.engine.protocol import SharedEngineError

    settings = _model_settings(args)
    path = Path(args.socket) if args.socket else socket_path(settings)
    if args.print_socket:
        print(path)
        return 0
    idle = DEFAULT_IDLE_TIMEOUT_S if args.idle_timeout is None else args.idle_timeout
    if idle <= 0:
        idle = float("inf")
    try:
        lock_file = claim_socket(path)  # before loading: a second daemon loads no second model
    except SharedEngineError as error:
        print(f"codegen-lsp serve: {error}", file=sys.stderr)
        return 1
    try:
        engine = load_engine(settings, progress=lambda line: log.info("%s", line))
    except Exception as error:
        print(f"codegen-lsp serve: cannot load the model: {error}", file=sys.stderr)
        lock_file.close()
        return 2
    daemon = EngineDaemon(engine, path, idle_timeout_s=idle, lock_file=lock_file)
    daemon.bind()

    def stop(signum: int, frame: Any) -> None:
        daemon.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"codegen-lsp serve: {engine.name} on {path}", file=sys.stderr, flush=True)
    daemon.serve_forever()
    return 0
