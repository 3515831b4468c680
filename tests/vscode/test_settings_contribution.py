"""The VS Code extension's settings mirror the server's settings tree (settings.py).

Every server setting appears in client-vscode/package.json under "codegenLsp.<section>.<name>"
with the same type, default, allowed values and range, so what a user sets in VS Code is what
the server reads. `python tests/vscode/test_settings_contribution.py --write` regenerates the
block after settings.py changes.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import sys
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from codegen_lsp import settings as tree

PACKAGE_JSON = Path(__file__).resolve().parents[2] / "client-vscode" / "package.json"

# Settings that configure the extension itself; the server never sees them.
CLIENT_SETTINGS: dict[str, dict[str, Any]] = {
    "codegenLsp.interpreter": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "scope": "resource",
        "markdownDescription": (
            "The Python interpreter (with arguments, if any) that runs `codegen-lsp`, e.g. "
            '`["${workspaceFolder}/.venv/bin/python"]`. Empty: the Python extension\'s selected '
            "interpreter, else `codegen-lsp` on PATH, else `python3`."
        ),
    },
    "codegenLsp.trace.server": {
        "type": "string",
        "enum": ["off", "messages", "verbose"],
        "default": "off",
        "scope": "window",
        "description": "Log the LSP messages between VS Code and the server in the output channel.",
    },
}

# Short descriptions for fields settings.py leaves without an attribute docstring.
UNDOCUMENTED = {
    "sampling.n": "How many candidate bodies are sampled per request.",
    "sampling.temperature": "Sampling temperature; 0 is greedy.",
    "sampling.top_p": "Nucleus sampling: keep the smallest token set with this probability mass.",
    "sampling.top_k": "Keep only the k most likely tokens at each step; 0 disables.",
    "sampling.max_new_tokens": "Longest body, in tokens.",
    "sampling.prompt_format": "How the prompt is built; `auto` picks the model's own format.",
    "ranking.mean_logprob": "Rank by the model's mean token log-probability.",
    "ranking.examples": "Rank by the docstring examples passed.",
    "ranking.agreement": "Rank by how many samples behave the same on the examples.",
    "ranking.verifier": "Rank with the learned verifier (LEVER).",
    "sandbox.memory_mb": "Memory limit of one candidate's run, in MiB.",
    "server.warmup_delay_ms": "How long the cursor must rest before warm-up generation starts.",
}


def _json_type(annotation: Any) -> dict[str, Any]:
    if get_origin(annotation) is Literal:
        values = list(get_args(annotation))
        return {"type": "string", "enum": values}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is float:
        return {"type": "number"}
    if annotation is str:
        return {"type": "string"}
    raise TypeError(f"no JSON schema type for {annotation!r}")


def expected_configuration() -> dict[str, Any]:
    """The "contributes.configuration" block that mirrors settings.py."""
    properties: dict[str, Any] = dict(CLIENT_SETTINGS)
    for section in dataclasses.fields(tree.Settings):
        cls = section.default_factory  # type: ignore[misc]
        assert isinstance(cls, type)
        hints = typing.get_type_hints(cls)
        docs = tree._field_docs(cls, ast, inspect)  # the same reader as the README table
        for field in dataclasses.fields(cls):
            path = f"{section.name}.{field.name}"
            wire = f"codegenLsp.{tree.to_camel(section.name)}.{tree.to_camel(field.name)}"
            schema = _json_type(hints[field.name])
            schema["default"] = field.default
            if path in tree._RANGES:
                schema["minimum"], schema["maximum"] = tree._RANGES[path]
                if schema["type"] == "integer":
                    schema["minimum"] = int(schema["minimum"])
                    schema["maximum"] = int(schema["maximum"])
            schema["scope"] = "resource"
            schema["markdownDescription"] = docs.get(field.name) or UNDOCUMENTED.get(path, "")
            properties[wire] = schema
    return {"title": "codegen-lsp", "properties": properties}


def test_every_server_setting_is_contributed_with_its_default_and_range() -> None:
    package = json.loads(PACKAGE_JSON.read_text())
    assert package["contributes"]["configuration"] == expected_configuration(), (
        "client-vscode/package.json is out of date with settings.py: run "
        "`.venv/bin/python tests/vscode/test_settings_contribution.py --write`"
    )


def test_every_contributed_setting_has_a_description() -> None:
    properties = expected_configuration()["properties"]
    missing = [
        key
        for key, schema in properties.items()
        if not (schema.get("description") or schema.get("markdownDescription"))
    ]
    assert missing == []


def test_contributed_defaults_are_what_the_server_parses_to_the_defaults() -> None:
    # Sending the extension's defaults must produce the server's defaults with no warning.
    properties = expected_configuration()["properties"]
    raw: dict[str, Any] = {}
    for key, schema in properties.items():
        if key in CLIENT_SETTINGS:
            continue
        _, section, name = key.split(".")
        raw.setdefault(section, {})[name] = schema["default"]
    parsed, warnings = tree.parse_settings(raw)
    assert warnings == []
    assert parsed == tree.Settings()


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        package = json.loads(PACKAGE_JSON.read_text())
        package["contributes"]["configuration"] = expected_configuration()
        PACKAGE_JSON.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {PACKAGE_JSON}")
    else:
        print(json.dumps(expected_configuration(), indent=2))
