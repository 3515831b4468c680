// codegen-lsp for VS Code: starts the language server and wires its commands, status bar and
// settings. Thin on purpose; the logic lives in ./common.
import * as vscode from 'vscode';
import { CommandHandlers } from './common/commands';
import { SETTINGS_SECTION } from './common/constants';
import { logInfo, outputChannel } from './common/log';
import { PreviewDocuments } from './common/preview';
import { onPythonInterpreterChanged } from './common/python';
import { ServerManager } from './common/server';
import { launchSnapshot } from './common/settings';
import { settingsDiffer } from './common/settingsTree';
import { StatusBar } from './common/statusBar';

let server: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const status = new StatusBar();
    const previews = new PreviewDocuments();
    server = new ServerManager(status);
    const handlers = new CommandHandlers(server, status, previews);
    context.subscriptions.push(outputChannel(), status, previews, server, ...handlers.register());

    // Restart only when a value the server runs with changed (not, say, the trace level).
    let snapshot = launchSnapshot();
    context.subscriptions.push(
        vscode.workspace.onDidChangeConfiguration((event) => {
            if (!event.affectsConfiguration(SETTINGS_SECTION)) {
                return;
            }
            const next = launchSnapshot();
            if (settingsDiffer(snapshot, next)) {
                snapshot = next;
                void server?.restart('settings changed');
            }
        }),
    );
    // The project's interpreter is a setting of the server (project.editorInterpreter), so a new
    // selection is a settings change: the server re-reads its settings, no restart.
    const pythonWatch = await onPythonInterpreterChanged(() => {
        void server?.settingsChanged('the Python interpreter changed');
    });
    if (pythonWatch) {
        context.subscriptions.push(pythonWatch);
    }
    logInfo(`codegen-lsp extension ${String((context.extension.packageJSON as { version?: string }).version)} activated`);
    await server.start();
}

export async function deactivate(): Promise<void> {
    await server?.stop();
    server = undefined;
}
