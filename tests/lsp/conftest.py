"""The ``session`` fixture: a started server, one per recorded client (see lsp_session).

A test marked ``scripted_model`` gets a server whose samples come from a :class:`ScriptedModel`
(the ``scripted`` fixture) through the real remote engine, scripted with :data:`SCRIPTS` for
``lsp_session.SOURCE``; other tests run the small plumbing model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from support.lsp_session import (
    CLIENTS,
    FAST_SETTINGS,
    SCRIPTS,
    Session,
    start_session,
    stop_session,
)
from support.scripted_model import ScriptedModel


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lsp_settings(dict): codegenLsp settings merged over the fast test settings"
    )
    config.addinivalue_line("markers", "lsp_clients(*names): run only with these clients")
    config.addinivalue_line(
        "markers", "scripted_model: samples come from the `scripted` fixture's ScriptedModel"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the client variants a test marked ``lsp_clients`` does not want."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("lsp_clients")
        callspec = getattr(item, "callspec", None)
        client = callspec.params.get("session") if callspec is not None else None
        wanted = marker is None or client is None or client in marker.args
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {key: dict(value) if isinstance(value, dict) else value for key, value in base.items()}
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


@pytest.fixture
def scripted() -> Iterator[ScriptedModel]:
    """A scripted model on loopback, answering for SOURCE's functions (see SCRIPTS)."""
    model = ScriptedModel()
    for pattern, replies in SCRIPTS:
        model.script(pattern, replies)
    yield model
    model.close()


@pytest_asyncio.fixture(params=CLIENTS)
async def session(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Session]:
    marker = request.node.get_closest_marker("lsp_settings")
    settings = _merged(FAST_SETTINGS, marker.args[0] if marker else {})
    if request.node.get_closest_marker("scripted_model") is not None:
        model = request.getfixturevalue("scripted")
        settings = _merged(settings, {"model": {"remoteUrl": model.url, "remoteRetries": 0}})
    started, client = await start_session(tmp_path, request.param, settings)
    yield started
    await stop_session(client, started)
