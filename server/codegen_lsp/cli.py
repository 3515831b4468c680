"""The ``codegen-lsp`` command line.

``codegen-lsp --stdio`` (or with no arguments) starts the language server; the subcommands expose
the same pipeline for the shell: ``models``, ``check``, ``complete``, ``explain``, ``repair``,
``eval``, ``serve``. Each subcommand lives in its own module under ``commands/``, which keeps its
heavy imports inside the function that runs it, so that ``--stdio`` start-up stays fast. A
subcommand module that fails to import is a bug and fails loudly; it is never hidden.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from codegen_lsp import __version__
from codegen_lsp.commands import check, compare, complete, evaluate, models, serve

# Each registers its subcommands with add_parser(subparsers), in this order.
COMMAND_MODULES = (models, check, complete, evaluate, compare, serve)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codegen-lsp",
        description="Writes Python function bodies and proves them before it shows them.",
    )
    parser.add_argument("--version", action="version", version=f"codegen-lsp {__version__}")
    parser.add_argument("--stdio", action="store_true", help="serve LSP over stdio (default)")
    parser.add_argument("--tcp", action="store_true", help="serve LSP over TCP")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    parser.add_argument("--log-file", help="write the log to this file instead of stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_parser(subparsers)
    return parser


def configure_logging(verbosity: int, log_file: str | None) -> None:
    """Log to stderr (never stdout: it carries LSP) or to a file."""
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.log_file)
    if args.command is None:
        from codegen_lsp.lsp.main import run_server

        return run_server(tcp=args.tcp, host=args.host, port=args.port)
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
