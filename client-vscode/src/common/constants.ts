// Names shared by the extension's modules: ids, the settings section, command ids.

export const EXTENSION_ID = 'codegen-lsp.codegen-lsp';
export const CLIENT_ID = 'codegenLsp';
export const SERVER_NAME = 'codegen-lsp';
/** The settings section: the server reads it under the same name over workspace/configuration. */
export const SETTINGS_SECTION = 'codegenLsp';
/** The Python package the server runs as (`python -m codegen_lsp`). */
export const SERVER_MODULE = 'codegen_lsp';
/** The console script the server also installs. */
export const SERVER_SCRIPT = 'codegen-lsp';
export const PYTHON_EXTENSION_ID = 'ms-python.python';
/** The URI scheme of the read-only documents the diff preview shows. */
export const PREVIEW_SCHEME = 'codegen-preview';

/**
 * Commands this extension contributes (package.json "contributes.commands"). Not "codegenLsp.*":
 * those are the server's own command ids, which vscode-languageclient registers as VS Code
 * commands itself (a second registration of the same id would fail).
 */
export const Commands = {
    generate: 'codegen.generate',
    explain: 'codegen.explain',
    checkExamples: 'codegen.checkExamples',
    repair: 'codegen.repair',
    restart: 'codegen.restart',
    showLog: 'codegen.showLog',
    cancel: 'codegen.cancel',
} as const;
