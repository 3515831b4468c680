// Requests the extension's commands send to the server, each with a work-done progress token so
// the status bar shows its stages and a click cancels it.
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import {
    CodeAction,
    CodeActionRequest,
    CodeActionResolveRequest,
    Command,
    ExecuteCommandRequest,
    LanguageClient,
    WorkDoneProgress,
} from 'vscode-languageclient/node';
import { explainFailure } from './failures';
import { StatusBar } from './statusBar';

/** The commands the server registered (workspace/executeCommand), from its capabilities. */
export function advertisedCommands(client: LanguageClient): string[] {
    return client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
}

/**
 * Run a server command with progress in the status bar. `title` labels the task until the
 * server's own progress begins. Throws RequestCancelled when the user cancels.
 */
export async function executeServerCommand(
    client: LanguageClient,
    status: StatusBar,
    command: string,
    args: unknown[],
    title: string,
): Promise<unknown> {
    const token = `codegen-${crypto.randomUUID()}`;
    const cancellation = new vscode.CancellationTokenSource();
    const onCancel = () => cancellation.cancel();
    status.progress(token, { kind: 'begin', title, cancellable: true }, onCancel);
    const subscription = client.onProgress(WorkDoneProgress.type, token, (value) => {
        // The server's begin carries its own title; keep ours if it sends none.
        status.progress(token, value.kind === 'begin' ? { ...value, title: value.title || title } : value, onCancel);
    });
    try {
        return await client.sendRequest(
            ExecuteCommandRequest.type,
            { command, arguments: args, workDoneToken: token },
            cancellation.token,
        );
    } catch (error) {
        throw explainFailure(error, cancellation.token.isCancellationRequested);
    } finally {
        subscription.dispose();
        status.drop(token);
        cancellation.dispose();
    }
}

/** The server's code actions at a position, as raw LSP objects (their `data` kept). */
export async function codeActionsAt(
    client: LanguageClient,
    document: vscode.TextDocument,
    position: vscode.Position,
    token?: vscode.CancellationToken,
): Promise<(CodeAction | Command)[]> {
    const lspPosition = { line: position.line, character: position.character };
    const result = await client.sendRequest(
        CodeActionRequest.type,
        {
            textDocument: { uri: client.code2ProtocolConverter.asUri(document.uri) },
            range: { start: lspPosition, end: lspPosition },
            context: { diagnostics: [], triggerKind: 1 },
        },
        token,
    );
    return result ?? [];
}

/** Resolve a code action's edit when the server left it for codeAction/resolve. */
export async function resolveAction(client: LanguageClient, action: CodeAction): Promise<CodeAction> {
    const resolvable = client.initializeResult?.capabilities.codeActionProvider;
    const canResolve = typeof resolvable === 'object' && resolvable.resolveProvider === true;
    if (action.edit || !canResolve) {
        return action;
    }
    return client.sendRequest(CodeActionResolveRequest.type, action);
}

export function isCodeAction(item: CodeAction | Command): item is CodeAction {
    return typeof (item as Command).command !== 'string';
}
