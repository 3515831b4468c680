"""The commands' arguments and replies on the wire: camelCase, optional keys left out."""

from __future__ import annotations

import pytest
from cattrs import Converter
from codegen_lsp.lsp.payloads import (
    CommandTarget,
    ExplainReply,
    ImplementReply,
    NotApplied,
    PromptContext,
)
from codegen_lsp.lsp.server import CodegenServer
from pygls.exceptions import JsonRpcInvalidParams


@pytest.fixture(scope="module")
def converter() -> Converter:
    """The converter the server reads and writes messages with."""
    return CodegenServer().converter


def test_a_target_reads_what_the_actions_write_and_what_clients_build(converter: Converter) -> None:
    target = CommandTarget(uri="file:///m.py", line=3, version=2, function="add", rewrite=True)
    wire = converter.unstructure(target)
    assert wire == {
        "uri": "file:///m.py",
        "line": 3,
        "version": 2,
        "function": "add",
        "rewrite": True,
    }
    assert CommandTarget.from_arguments(converter, [wire]) == target
    # The VS Code extension's own argument when no action is at hand.
    built = CommandTarget.from_arguments(converter, [{"uri": "u", "version": 1, "line": 8}])
    assert (built.uri, built.version, built.line, built.fresh, built.note) == (
        "u",
        1,
        8,
        False,
        None,
    )


@pytest.mark.parametrize(
    ("arguments", "detail"),
    [
        ([], ""),
        ([7], ""),
        ([{"uri": "u"}], ""),
        ([{"uri": "u", "line": "x"}], ": invalid literal for int()"),
    ],
)
def test_bad_arguments_are_invalid_params(
    converter: Converter, arguments: list, detail: str
) -> None:
    with pytest.raises(JsonRpcInvalidParams) as raised:
        CommandTarget.from_arguments(converter, arguments)
    assert raised.value.message.startswith("expected one argument {uri, version, line}" + detail)


def test_replies_are_camel_case_and_leave_out_what_is_not_there(converter: Converter) -> None:
    context = PromptContext(definitions=[], tokens=0, interpreter="")
    reply = ImplementReply(
        function="add", candidates=2, passing=0, notes=[], applied=False, context=context
    )
    assert converter.unstructure(reply) == {
        "function": "add",
        "candidates": 2,
        "passing": 0,
        "notes": [],
        "applied": False,
        "context": {"definitions": [], "tokens": 0, "interpreter": ""},
    }
    reply.context.not_looked_up = ["Ride"]
    assert converter.unstructure(reply)["context"]["notLookedUp"] == ["Ride"]
    assert converter.unstructure(NotApplied.because("no body")) == {
        "applied": False,
        "message": "no body",
    }
    explain = ExplainReply(
        applied=True,
        function="add",
        docstring="Add.",
        examples_checked=3,
        examples_kept=2,
        notes=["n"],
        message="m",
    )
    wire = converter.unstructure(explain)
    assert wire["examplesChecked"] == 3 and wire["examplesKept"] == 2
    assert "examples_checked" not in wire
