// The extension's commands: generate (QuickPick of candidates with evidence and a diff preview
// before accepting), explain, check examples, repair, restart, show log, cancel.
import * as vscode from 'vscode';
import { CodeAction, Command, LanguageClient } from 'vscode-languageclient/node';
import {
    Candidate,
    TextEdit,
    applyEdits,
    candidatesFromActions,
    editsFor,
    evidenceOf,
    pickItem,
    pickPlaceholder,
} from './candidates';
import { Commands } from './constants';
import { pickWhileDrawing, firstCandidates } from './livePicker';
import { logError, logInfo, outputChannel } from './log';
import { offersAnEdit, stillDrawing } from './pickerView';
import { RequestCancelled, RequestSuperseded } from './failures';
import { PreviewDocuments } from './preview';
import {
    advertisedCommands,
    codeActionsAt,
    executeServerCommand,
    isCodeAction,
    resolveAction,
} from './requests';
import { Purpose, actionMatches, findCommand, statusMessage, taskMessage } from './serverCommands';
import { ServerManager } from './server';
import { StatusBar } from './statusBar';

/** Status bar labels until the server's own progress begins (the bar prefixes "codegen:"). */
const PURPOSE_TITLES: Record<Purpose, string> = {
    generate: 'generating',
    explain: 'explaining',
    check: 'checking examples',
    repair: 'repairing',
};

interface Target {
    editor: vscode.TextEditor;
    document: vscode.TextDocument;
    position: vscode.Position;
    client: LanguageClient;
}

export class CommandHandlers {
    constructor(
        private readonly server: ServerManager,
        private readonly status: StatusBar,
        private readonly previews: PreviewDocuments,
    ) {}

    register(): vscode.Disposable[] {
        const guarded = (name: string, handler: () => Promise<void>) =>
            vscode.commands.registerCommand(name, async () => {
                try {
                    await handler();
                } catch (error) {
                    if (error instanceof RequestCancelled) {
                        void vscode.window.setStatusBarMessage('codegen: cancelled', 3000);
                        return;
                    }
                    if (error instanceof RequestSuperseded) {
                        void vscode.window.showInformationMessage(`codegen: ${error.message}`);
                        return;
                    }
                    logError(`${name} failed`, error);
                    void vscode.window.showErrorMessage(
                        `codegen: ${error instanceof Error ? error.message : String(error)} (see the codegen-lsp log)`,
                    );
                }
            });
        return [
            guarded(Commands.generate, () => this.generate()),
            guarded(Commands.explain, () => this.runTask('explain')),
            guarded(Commands.checkExamples, () => this.runTask('check')),
            guarded(Commands.repair, () => this.runTask('repair')),
            guarded(Commands.restart, () => this.server.restart('requested by the user')),
            vscode.commands.registerCommand(Commands.showLog, () => outputChannel().show(true)),
            vscode.commands.registerCommand(Commands.cancel, () => {
                if (!this.status.cancelCurrent()) {
                    void vscode.window.setStatusBarMessage('codegen: nothing to cancel', 3000);
                }
            }),
        ];
    }

    private async target(): Promise<Target | undefined> {
        const editor = vscode.window.activeTextEditor;
        if (!editor || editor.document.languageId !== 'python') {
            void vscode.window.showInformationMessage('codegen: put the cursor in a Python function first.');
            return undefined;
        }
        const client = await this.server.ready();
        if (!client) {
            void vscode.window.showErrorMessage('codegen: the server is not running; see the codegen-lsp log.');
            return undefined;
        }
        return { editor, document: editor.document, position: editor.selection.active, client };
    }

    /** Generate implementations: candidates with evidence, a diff preview, then accept or not. */
    async generate(): Promise<void> {
        const target = await this.target();
        if (!target) {
            return;
        }
        const { chosen, message } = await this.choose(target);
        if (chosen === null) {
            void vscode.window.showInformationMessage(
                `codegen: ${message ?? 'no candidates here. Is the cursor in a function with a docstring and no body?'}`,
            );
            return;
        }
        if (!chosen) {
            return;
        }
        if (chosen.edits.length === 0) {
            void vscode.window.showInformationMessage(
                `codegen: "${chosen.title}" fails its examples (${chosen.disabledReason ?? 'no edit'}); nothing to apply.`,
            );
            return;
        }
        await this.previewAndApply(target, chosen.edits, chosen.title);
    }

    /** Show the file as `edits` would leave it, beside the current one; apply them on Accept. */
    private async previewAndApply(target: Target, edits: TextEdit[], title: string): Promise<void> {
        const proposed = applyEdits(target.document.getText(), edits);
        const versionBefore = target.document.version;
        const preview = await this.previews.show(target.document, proposed, title);
        const answer = await vscode.window.showInformationMessage(`Accept "${title}"?`, 'Accept', 'Discard');
        await this.previews.close(preview);
        await vscode.window.showTextDocument(target.document, target.editor.viewColumn);
        if (answer !== 'Accept') {
            return;
        }
        if (target.document.version !== versionBefore) {
            void vscode.window.showWarningMessage('codegen: the file changed during the preview; run it again.');
            return;
        }
        const edit = new vscode.WorkspaceEdit();
        for (const textEdit of edits) {
            edit.replace(target.document.uri, target.client.protocol2CodeConverter.asRange(textEdit.range), textEdit.newText);
        }
        if (!(await vscode.workspace.applyEdit(edit))) {
            throw new Error('the editor refused the edit');
        }
        logInfo(`accepted ${title}`);
    }

    private async pick(candidates: Candidate[]): Promise<Candidate | undefined> {
        const items = candidates.map((candidate) => ({ ...pickItem(candidate), candidate }));
        const picked = await vscode.window.showQuickPick(items, {
            title: 'codegen: implementations, best first',
            placeHolder: pickPlaceholder(candidates),
            matchOnDescription: true,
            matchOnDetail: true,
        });
        return picked?.candidate;
    }

    /**
     * The candidate the user chooses for the function at the cursor: undefined when they chose
     * none, null when there was none to offer. Ready ones come with the code actions; otherwise
     * the server's "Generate implementations…" runs (with progress, its own edit held back so
     * that the user chooses). As soon as the first wave has passing candidates the picker opens
     * with them and takes the full ranking when it comes.
     */
    private async choose(target: Target): Promise<{ chosen: Candidate | undefined | null; message?: string }> {
        const uri = target.client.code2ProtocolConverter.asUri(target.document.uri);
        const poll = async () => candidatesFromActions(await this.resolvedActions(target), uri);
        let actions = await this.resolvedActions(target);
        let candidates = candidatesFromActions(actions, uri);
        if (offersAnEdit(candidates)) {
            // A warm-up's first wave while it draws the rest, or its full ranking.
            return {
                chosen: stillDrawing(candidates) ? await pickWhileDrawing(candidates, { poll }) : await this.pick(candidates),
            };
        }
        const trigger = actions.find((a) => actionMatches(a, 'generate'));
        if (!trigger?.command) {
            return { chosen: candidates.length > 0 ? await this.pick(candidates) : null };
        }
        const command = trigger.command;
        const generation = this.server.holdingEdits(uri, () =>
            executeServerCommand(target.client, this.status, command.command, command.arguments ?? [], PURPOSE_TITLES.generate),
        );
        const early = await firstCandidates(poll, generation);
        if (early) {
            return { chosen: await pickWhileDrawing(early, { poll, generation }) };
        }
        const { result, held } = await generation;
        actions = await this.resolvedActions(target);
        candidates = candidatesFromActions(actions, uri);
        if (!offersAnEdit(candidates) && held.length > 0) {
            // The candidates were not kept (the file changed meanwhile?): offer the one we hold,
            // with the evidence the command's reply gives for it.
            const edits = editsFor(held[0].edit, uri);
            const title = resultField(result, 'title') ?? 'Best candidate';
            const evidence = typeof result === 'object' && result !== null ? (result as Record<string, unknown>).evidence : undefined;
            candidates = [{ ...evidenceOf(evidence), rank: 1, title, edits, body: edits.map((e) => e.newText).join('\n') }];
        }
        const message = resultField(result, 'message');
        return { chosen: candidates.length > 0 ? await this.pick(candidates) : null, message };
    }

    private async resolvedActions(target: Target): Promise<CodeAction[]> {
        const raw = await codeActionsAt(target.client, target.document, target.position);
        const actions = raw.filter(isCodeAction);
        return Promise.all(actions.map((a) => (a.disabled ? Promise.resolve(a) : resolveAction(target.client, a))));
    }

    /** Apply a server code action as VS Code would: its edit, then its command (with progress). */
    private async runAction(target: Target, action: CodeAction, title: string): Promise<unknown> {
        if (action.edit) {
            const edit = await target.client.protocol2CodeConverter.asWorkspaceEdit(action.edit);
            if (!(await vscode.workspace.applyEdit(edit))) {
                throw new Error('the editor refused the edit');
            }
        }
        const command: Command | undefined = action.command;
        if (command) {
            return executeServerCommand(target.client, this.status, command.command, command.arguments ?? [], title);
        }
        return undefined;
    }

    /**
     * Explain, check examples, repair: the server's code action at the cursor (it carries the
     * exact arguments, e.g. the failing example to repair from), else its command.
     */
    async runTask(purpose: Exclude<Purpose, 'generate'>): Promise<void> {
        const target = await this.target();
        if (!target) {
            return;
        }
        const action = (await this.resolvedActions(target)).find((a) => actionMatches(a, purpose));
        const command = findCommand(advertisedCommands(target.client), purpose);
        const uri = target.client.code2ProtocolConverter.asUri(target.document.uri);
        let run: (() => Promise<unknown>) | undefined;
        if (action) {
            run = () => this.runAction(target, action, PURPOSE_TITLES[purpose]);
        } else if (command && purpose !== 'repair') {
            const argument = { uri, version: target.document.version, line: target.position.line };
            run = () => executeServerCommand(target.client, this.status, command, [argument], PURPOSE_TITLES[purpose]);
        }
        let result: unknown;
        if (run && purpose === 'explain') {
            // Explain rewrites the user's docstring: they see the new one, and accept it, first.
            const { result: reply, held } = await this.server.holdingEdits(uri, run);
            result = reply;
            const edits = held.length > 0 ? editsFor(held[0].edit, uri) : [];
            if (edits.length > 0) {
                // The server's message (what was kept, why some went) is its own notification.
                await this.previewAndApply(target, edits, `Explain ${resultField(result, 'function') ?? 'code'}`);
            }
        } else if (run) {
            result = await run();
        } else {
            void vscode.window.showInformationMessage(
                purpose === 'repair'
                    ? 'codegen: no failing example known here; run "codegen: Check examples" first.'
                    : 'codegen: put the cursor in a Python function first.',
            );
            return;
        }
        const message = taskMessage(purpose, result);
        if (message) {
            void vscode.window.showInformationMessage(`codegen: ${message}`);
        }
        const status = statusMessage(purpose, result);
        if (status) {
            vscode.window.setStatusBarMessage(`codegen: ${status}`, 15000);
        }
    }
}

function resultField(result: unknown, key: string): string | undefined {
    if (typeof result === 'object' && result !== null) {
        const value = (result as Record<string, unknown>)[key];
        return typeof value === 'string' ? value : undefined;
    }
    return undefined;
}
