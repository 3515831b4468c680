// The status bar item: server state when idle, the running task ("codegen: sampling 5/8") while
// the server works; a click on a running task cancels it.
import * as vscode from 'vscode';
import { Commands } from './constants';
import { ProgressBoard, ProgressToken, ProgressValue } from './progressModel';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export class StatusBar implements vscode.Disposable {
    private readonly item: vscode.StatusBarItem;
    private readonly board = new ProgressBoard();
    private readonly cancelHandlers = new Map<ProgressToken, () => void>();
    private state: ServerState = 'stopped';
    private stateDetail = '';

    constructor() {
        this.item = vscode.window.createStatusBarItem('codegenLsp.status', vscode.StatusBarAlignment.Left, 50);
        this.item.name = 'codegen-lsp';
        this.render();
        this.item.show();
    }

    setState(state: ServerState, detail = ''): void {
        this.state = state;
        this.stateDetail = detail;
        if (state !== 'running') {
            this.board.clear();
            this.cancelHandlers.clear();
        }
        this.render();
    }

    /** Feed one work-done progress message; `onCancel` runs if the user cancels this task. */
    progress(token: ProgressToken, value: ProgressValue, onCancel?: () => void): void {
        if (onCancel) {
            this.cancelHandlers.set(token, onCancel);
        }
        this.board.update(token, value);
        if (value.kind === 'end') {
            this.cancelHandlers.delete(token);
        }
        this.render();
    }

    /** Forget a task whose request ended without an end message. */
    drop(token: ProgressToken): void {
        this.board.drop(token);
        this.cancelHandlers.delete(token);
        this.render();
    }

    /**
     * Cancel what the item shows: every running task, since one user request is often two
     * (the extension's request and the server's own progress). False when nothing could be.
     */
    cancelCurrent(): boolean {
        const handlers = [...this.cancelHandlers.values()];
        handlers.forEach((cancel) => {
            cancel();
        });
        return handlers.length > 0;
    }

    private render(): void {
        const current = this.board.current();
        if (current) {
            this.item.text = `$(sync~spin) codegen: ${current.text}`;
            this.item.tooltip = current.tooltip;
            this.item.command = current.cancellable || this.cancelHandlers.has(current.token) ? Commands.cancel : undefined;
            this.item.backgroundColor = undefined;
            return;
        }
        this.item.command = Commands.showLog;
        const detail = this.stateDetail ? `\n${this.stateDetail}` : '';
        switch (this.state) {
            case 'running':
                this.item.text = '$(sparkle) codegen';
                this.item.tooltip = `codegen-lsp is running${detail}\nClick for the log`;
                this.item.backgroundColor = undefined;
                break;
            case 'starting':
                this.item.text = '$(loading~spin) codegen';
                this.item.tooltip = 'codegen-lsp is starting';
                this.item.backgroundColor = undefined;
                break;
            case 'failed':
                this.item.text = '$(error) codegen';
                this.item.tooltip = `codegen-lsp failed to start${detail}\nClick for the log`;
                this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
                break;
            default:
                this.item.text = '$(circle-slash) codegen';
                this.item.tooltip = 'codegen-lsp is stopped';
                this.item.backgroundColor = undefined;
        }
    }

    dispose(): void {
        this.item.dispose();
    }
}
