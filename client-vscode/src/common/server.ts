// Starts, stops and restarts the language server (`python -m codegen_lsp --stdio`), and routes
// its work-done progress to the status bar.
import * as vscode from 'vscode';
import {
    ApplyWorkspaceEditParams,
    ApplyWorkspaceEditRequest,
    ApplyWorkspaceEditResult,
    DidChangeConfigurationNotification,
    LanguageClient,
    LanguageClientOptions,
    ServerOptions,
    State,
    TextDocumentEdit,
    TransportKind,
    WorkDoneProgress,
    WorkDoneProgressCancelNotification,
    WorkDoneProgressCreateRequest,
} from 'vscode-languageclient/node';
import { editsFor } from './candidates';
import { CLIENT_ID, SERVER_NAME } from './constants';
import { lspTriggerKind } from './inline';
import { LaunchPlan, planLaunch, whichOn } from './launch';
import { logError, logInfo, outputChannel } from './log';
import { pythonExtensionInterpreter } from './python';
import { interpreterSetting, isExecutable, primaryFolder, serverSettingsFor } from './settings';
import { SettingsTree, withEditorInterpreter } from './settingsTree';
import { StatusBar } from './statusBar';

export async function resolveLaunch(): Promise<LaunchPlan> {
    const folder = primaryFolder();
    const setting = interpreterSetting(folder);
    return planLaunch({
        interpreterSetting: setting,
        pythonExtensionInterpreter: setting.length ? undefined : await pythonExtensionInterpreter(folder?.uri),
        which: (program) => whichOn(program, process.env.PATH, isExecutable),
        serverArgs: ['-v'],
    });
}

/** The server's settings for a folder, with the Python extension's interpreter for it. */
export async function projectSettingsFor(scope?: vscode.Uri): Promise<SettingsTree> {
    return withEditorInterpreter(serverSettingsFor(scope), await pythonExtensionInterpreter(scope));
}

export class ServerManager implements vscode.Disposable {
    private client: LanguageClient | undefined;
    private starting: Promise<void> | undefined;
    private readonly subscriptions: vscode.Disposable[] = [];
    /** While set, edits the server sends for this document are collected, not applied. */
    private hold: { uri: string; edits: ApplyWorkspaceEditParams[] } | undefined;

    constructor(private readonly status: StatusBar) {}

    /** The running client, started if needed; undefined when it cannot start. */
    async ready(): Promise<LanguageClient | undefined> {
        if (!this.client || this.client.state === State.Stopped) {
            await this.start();
        } else if (this.starting) {
            await this.starting;
        }
        return this.client?.state === State.Running ? this.client : undefined;
    }

    async start(): Promise<void> {
        if (this.starting) {
            return this.starting;
        }
        this.starting = this.doStart().finally(() => {
            this.starting = undefined;
        });
        return this.starting;
    }

    private async doStart(): Promise<void> {
        this.status.setState('starting');
        let plan: LaunchPlan;
        try {
            plan = await resolveLaunch();
        } catch (error) {
            this.status.setState('failed', String(error instanceof Error ? error.message : error));
            logError('cannot start the server', error);
            void vscode.window.showErrorMessage(String(error instanceof Error ? error.message : error));
            return;
        }
        logInfo(`starting the server (${plan.source}): ${plan.command} ${plan.args.join(' ')} --stdio`);
        const folder = primaryFolder();
        const serverOptions: ServerOptions = {
            command: plan.command,
            args: plan.args,
            transport: TransportKind.stdio,
            options: { cwd: folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: [
                { scheme: 'file', language: 'python' },
                { scheme: 'untitled', language: 'python' },
            ],
            outputChannel: outputChannel(),
            traceOutputChannel: outputChannel(),
            initializationOptions: await projectSettingsFor(folder?.uri),
            middleware: {
                provideInlineCompletionItems: (document, position, context, token, next) =>
                    next(
                        document,
                        position,
                        {
                            ...context,
                            triggerKind: lspTriggerKind(context.triggerKind),
                        },
                        token,
                    ),
                workspace: {
                    // Per-folder settings, without the extension's own keys, and the project's
                    // interpreter as the Python extension selected it for that folder.
                    configuration: (params) =>
                        Promise.all(
                            params.items.map((item) =>
                                projectSettingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : folder?.uri),
                            ),
                        ),
                },
            },
        };
        const client = new LanguageClient(CLIENT_ID, SERVER_NAME, serverOptions, clientOptions);
        // textDocument/inlineCompletion (LSP 3.18) is "proposed" in vscode-languageclient 9 and its
        // only proposed feature: ghost text of the verified top candidate (trigger kinds fixed above).
        client.registerProposedFeatures();
        this.client = client;
        try {
            await client.start();
        } catch (error) {
            this.status.setState('failed', `${plan.command}: ${String(error)}`);
            logError('the server did not start', error);
            void vscode.window.showErrorMessage(
                `codegen-lsp did not start with ${plan.command}. Is codegen-lsp installed in that ` +
                    'interpreter? Set "codegenLsp.interpreter" or see the log.',
            );
            return;
        }
        this.routeProgress(client);
        this.routeEdits(client);
        this.subscriptions.push(
            client.onDidChangeState((event) => {
                if (event.newState === State.Stopped && this.client === client) {
                    this.status.setState('stopped');
                }
            }),
        );
        this.status.setState('running', `${plan.command} ${plan.args.join(' ')}`);
    }

    /** Server-initiated progress (e.g. warm-up generation) goes to the status bar with cancel. */
    private routeProgress(client: LanguageClient): void {
        client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
            const subscription = client.onProgress(WorkDoneProgress.type, token, (value) => {
                this.status.progress(token, value, () => {
                    void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
                });
                if (value.kind === 'end') {
                    subscription.dispose();
                }
            });
        });
    }

    /**
     * Apply the server's workspace/applyEdit requests as vscode-languageclient would (refusing
     * edits made for another version of an open document), except while `holdingEdits` runs.
     */
    private routeEdits(client: LanguageClient): void {
        client.onRequest(ApplyWorkspaceEditRequest.type, async (params): Promise<ApplyWorkspaceEditResult> => {
            const hold = this.hold;
            if (hold && editsFor(params.edit, hold.uri).length > 0) {
                hold.edits.push(params);
                return { applied: false, failureReason: 'held for the codegen preview' };
            }
            const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
            for (const change of params.edit.documentChanges ?? []) {
                if (TextDocumentEdit.is(change) && typeof change.textDocument.version === 'number') {
                    const document = open.get(client.protocol2CodeConverter.asUri(change.textDocument.uri).toString());
                    if (document && document.version !== change.textDocument.version) {
                        return { applied: false, failureReason: 'the document changed' };
                    }
                }
            }
            const edit = await client.protocol2CodeConverter.asWorkspaceEdit(params.edit);
            return { applied: await vscode.workspace.applyEdit(edit) };
        });
    }

    /**
     * Run `work` while the edits the server sends for `uri` are held back: the server answers
     * its command as if the user had declined, and the caller previews the edits instead.
     */
    async holdingEdits<T>(uri: string, work: () => Promise<T>): Promise<{ result: T; held: ApplyWorkspaceEditParams[] }> {
        const hold = { uri, edits: [] as ApplyWorkspaceEditParams[] };
        this.hold = hold;
        try {
            return { result: await work(), held: hold.edits };
        } finally {
            if (this.hold === hold) {
                this.hold = undefined;
            }
        }
    }

    async stop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (client && client.state !== State.Stopped) {
            try {
                await client.stop(5000);
            } catch (error) {
                logError('the server did not stop cleanly', error);
            }
        }
        this.status.setState('stopped');
    }

    /** Tell the running server to pull its settings again (workspace/configuration). */
    async settingsChanged(reason: string): Promise<void> {
        const client = this.client;
        if (!client || client.state !== State.Running) {
            return;
        }
        logInfo(`settings changed: ${reason}`);
        await client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    }

    async restart(reason: string): Promise<void> {
        logInfo(`restarting the server: ${reason}`);
        if (this.starting) {
            await this.starting;
        }
        await this.stop();
        await this.start();
    }

    dispose(): void {
        this.subscriptions.forEach((s) => {
            s.dispose();
        });
        void this.stop();
    }
}
