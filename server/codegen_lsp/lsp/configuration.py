"""Settings from the editor: ``initializationOptions`` and ``workspace/configuration``.

Users configure codegen-lsp under the ``codegenLsp`` section (camelCase names; the reference is
docs/settings.md). The server reads ``initializationOptions`` at start, then asks the client for
the section once initialised and again whenever the client says the configuration changed. An
invalid value keeps its default and the user is told once, not on every change.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from codegen_lsp.lsp.client import ClientFeatures
from codegen_lsp.lsp.server import CodegenServer
from codegen_lsp.settings import parse_settings

log = logging.getLogger(__name__)

SECTION = "codegenLsp"


def _section(raw: Any) -> Any:
    """Accept both ``{"codegenLsp": {...}}`` and the bare tree."""
    if isinstance(raw, dict) and SECTION in raw:
        return raw[SECTION]
    return raw


async def pull_configuration(ls: CodegenServer) -> None:
    """Ask the client for the ``codegenLsp`` section and adopt it on top of the start values."""
    if not ls.features.has_configuration:
        return
    try:
        answer = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
    except Exception as error:  # a client that fails here still gets a working server
        log.info("workspace/configuration failed: %s", error)
        return
    raw = answer[0] if answer else None
    if raw is None:
        return
    settings, warnings = parse_settings(_section(raw), ls.initial_settings)
    ls.apply_settings(settings, warnings)


def register(server: CodegenServer) -> None:
    """Register the settings handlers."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: CodegenServer, params: types.InitializeParams) -> None:
        ls.features = ClientFeatures.from_initialize(params)
        options = _section(params.initialization_options)
        settings, warnings = parse_settings(options if options is not None else None)
        ls.initial_settings = settings
        ls.apply_settings(settings, warnings)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: CodegenServer, params: types.InitializedParams) -> None:
        await pull_configuration(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(
        ls: CodegenServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if ls.features.has_configuration:
            await pull_configuration(ls)
            return
        raw = _section(params.settings)
        if isinstance(raw, dict):
            settings, warnings = parse_settings(raw, ls.initial_settings)
            ls.apply_settings(settings, warnings)
