"""The VS Code extension builds, lints, passes its own unit tests and packages into a .vsix.

The unit tests (client-vscode/src/test, node's test runner) cover the extension's own logic:
interpreter resolution, the settings sent to the server, progress in the status bar, reading
candidates and their evidence from code actions, the diff preview's text.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from vscode_harness import run


def test_typescript_lints_clean(client_modules: Path) -> None:
    proc = run(["npm", "run", "--silent", "lint"], client_modules)
    assert "error" not in proc.stdout.lower()


def test_unit_tests_of_the_extension_logic_pass(client_modules: Path) -> None:
    proc = run(["npm", "test", "--silent"], client_modules)
    passed = re.search(r"^# pass (\d+)$", proc.stdout, re.MULTILINE)
    failed = re.search(r"^# fail (\d+)$", proc.stdout, re.MULTILINE)
    assert passed and failed, proc.stdout
    assert int(failed.group(1)) == 0, proc.stdout
    assert int(passed.group(1)) >= 20, proc.stdout


def test_vsix_carries_the_compiled_extension_and_its_runtime_dependencies(vsix: Path) -> None:
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
    assert "extension/out/extension.js" in names
    assert "extension/node_modules/vscode-languageclient/package.json" in names
    # Sources, tests and dev tooling stay out of the package.
    assert not any(name.startswith("extension/src/") for name in names)
    assert not any(name.startswith("extension/out/test/") for name in names)
    assert not any("node_modules/typescript/" in name for name in names)
    assert manifest["engines"]["vscode"] == "^1.82.0"
    commands = {c["command"] for c in manifest["contributes"]["commands"]}
    assert {"codegen.generate", "codegen.explain", "codegen.checkExamples", "codegen.repair"} <= (
        commands
    )
    # The server registers codegenLsp.* itself; the extension must not claim those ids.
    assert not any(c.startswith("codegenLsp.") for c in commands)
