// Inline suggestions (ghost text) from the server's textDocument/inlineCompletion.

/**
 * The LSP 3.18 trigger kind for VS Code's.
 *
 * VS Code numbers InlineCompletionTriggerKind from 0 (Invoke = 0, Automatic = 1); LSP 3.18 from 1
 * (Invoked = 1, Automatic = 2). vscode-languageclient 9's proposed feature passes VS Code's number
 * through, so a 3.18 server rejects an explicit trigger (0) as invalid params and reads an
 * automatic one as explicit.
 */
export function lspTriggerKind(vscodeKind: number): number {
    return vscodeKind + 1;
}
