// The diff preview shown before a candidate is accepted: a read-only virtual document holding
// the file as it would be, compared with the file as it is.
import * as vscode from 'vscode';
import { PREVIEW_SCHEME } from './constants';

export class PreviewDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly contents = new Map<string, string>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;
    private readonly registration: vscode.Disposable;
    private counter = 0;

    constructor() {
        this.registration = vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, this);
    }

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.contents.get(uri.toString()) ?? '';
    }

    /** Show `document` against `proposed` in a diff editor; returns the preview's URI. */
    async show(document: vscode.TextDocument, proposed: string, label: string): Promise<vscode.Uri> {
        const name = document.uri.path.split('/').pop() ?? 'untitled';
        const uri = vscode.Uri.from({
            scheme: PREVIEW_SCHEME,
            path: `/${this.counter++}/${name}`,
        });
        this.contents.set(uri.toString(), proposed);
        this.changed.fire(uri);
        await vscode.commands.executeCommand('vscode.diff', document.uri, uri, `${name} ↔ ${label}`, {
            preview: true,
            preserveFocus: false,
        });
        return uri;
    }

    /** Close the preview tab and forget its content. */
    async close(uri: vscode.Uri): Promise<void> {
        for (const group of vscode.window.tabGroups.all) {
            for (const tab of group.tabs) {
                const input = tab.input;
                if (input instanceof vscode.TabInputTextDiff && input.modified.toString() === uri.toString()) {
                    await vscode.window.tabGroups.close(tab);
                }
            }
        }
        this.contents.delete(uri.toString());
    }

    dispose(): void {
        this.registration.dispose();
        this.changed.dispose();
        this.contents.clear();
    }
}
