"""Run candidate bodies on probe calls in a real sandbox and read what each did."""

from __future__ import annotations

from codegen_lsp import inputs
from codegen_lsp.context import FunctionContext
from codegen_lsp.sandbox.runner import Sandbox
from codegen_lsp.settings import SandboxSettings


def behaviours(
    ctx: FunctionContext,
    bodies: dict[str, str],
    calls: list[str],
    allowed: frozenset[str] | None = None,
    fields: inputs.ReturnFields | None = None,
) -> dict[str, tuple[tuple[str, ...], float]]:
    """Per named body (indented, as in the module): its behaviour keys and wrong-type share."""
    probes = inputs.probe_examples(calls)
    with Sandbox(SandboxSettings(timeout_s=3.0, memory_mb=512)) as sandbox:
        return {
            name: inputs.behaviour(
                sandbox.run(ctx.module_with_body(body), ctx.name, probes).results, allowed, fields
            )
            for name, body in bodies.items()
        }
