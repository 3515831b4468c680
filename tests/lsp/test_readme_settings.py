"""The README's settings reference is the one generated from the settings tree."""

from __future__ import annotations

from pathlib import Path

from codegen_lsp.settings import settings_reference

README = Path(__file__).resolve().parents[2] / "README.md"


def _settings_table(readme: str) -> str:
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return "\n".join(rows)


def test_readme_settings_table_is_generated_from_the_tree() -> None:
    table = _settings_table(README.read_text(encoding="utf-8"))
    assert table == settings_reference(), (
        "README's settings table is stale: regenerate it with `python -m codegen_lsp.settings`"
    )
