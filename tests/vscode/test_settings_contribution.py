"""The VS Code extension's settings mirror the server's settings tree (settings.py).

Every server setting appears in client-vscode/package.json under "codegenLsp.<section>.<name>"
with the same type, default, allowed values and range, so what a user sets in VS Code is what
the server reads. The checked-in file must be exactly what the generator below makes of
settings.py: `python tests/vscode/test_settings_contribution.py --write` regenerates it after
settings.py changes, and a hand edit of the block, or a setting added without regenerating,
fails the first test. The other tests read the checked-in file: what VS Code really shows.
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
        docs = tree._field_docs(cls, ast, inspect)  # the same reader as docs/settings.md
        for field in dataclasses.fields(cls):
            wire = f"codegenLsp.{tree.to_camel(section.name)}.{tree.to_camel(field.name)}"
            schema = _json_type(hints[field.name])
            schema["default"] = field.default
            allowed = tree.field_range(field)
            if allowed is not None:
                schema["minimum"], schema["maximum"] = allowed
                if schema["type"] == "integer":
                    schema["minimum"] = int(schema["minimum"])
                    schema["maximum"] = int(schema["maximum"])
            schema["scope"] = "resource"
            schema["markdownDescription"] = docs[field.name]
            properties[wire] = schema
    return {"title": "codegen-lsp", "properties": properties}


REGENERATE = (
    "client-vscode/package.json is not what settings.py generates: run "
    "`python tests/vscode/test_settings_contribution.py --write` (with the project's "
    ".venv/bin/python) rather than editing the block by hand"
)


def generated_package_json() -> str:
    """package.json as `--write` writes it: the checked-in file with the block regenerated."""
    package = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    package["contributes"]["configuration"] = expected_configuration()
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def contributed_properties() -> dict[str, Any]:
    """The settings the checked-in package.json contributes."""
    package = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    return package["contributes"]["configuration"]["properties"]  # type: ignore[no-any-return]


def test_every_server_setting_is_contributed_with_its_default_and_range() -> None:
    checked_in = PACKAGE_JSON.read_text(encoding="utf-8")
    generated = generated_package_json()
    if checked_in != generated:
        ours = json.loads(checked_in)["contributes"]["configuration"]["properties"]
        theirs = json.loads(generated)["contributes"]["configuration"]["properties"]
        differing = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        detail = ", ".join(differing) or "order or formatting"
        raise AssertionError(f"{REGENERATE}; differing: {detail}")
    # Every field of every settings section is there, under its wire name, and nothing else.
    wire_names = {
        f"codegenLsp.{tree.to_camel(section.name)}.{tree.to_camel(field.name)}"
        for section in dataclasses.fields(tree.Settings)
        for field in dataclasses.fields(section.default_factory())  # type: ignore[misc]
    }
    assert set(contributed_properties()) == wire_names | set(CLIENT_SETTINGS)


def test_every_contributed_setting_has_a_description() -> None:
    properties = contributed_properties()
    missing = [
        key
        for key, schema in properties.items()
        if not (schema.get("description") or schema.get("markdownDescription"))
    ]
    assert missing == []


def test_contributed_defaults_are_what_the_server_parses_to_the_defaults() -> None:
    # Sending the extension's defaults must produce the server's defaults with no warning.
    properties = contributed_properties()
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
        PACKAGE_JSON.write_text(generated_package_json(), encoding="utf-8")
        print(f"wrote {PACKAGE_JSON}")
    else:
        print(json.dumps(expected_configuration(), indent=2))
