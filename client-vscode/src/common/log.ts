// The "codegen-lsp" output channel: the extension's own messages and the server's stderr log.
import * as vscode from 'vscode';
import { SERVER_NAME } from './constants';

let channel: vscode.LogOutputChannel | undefined;

export function outputChannel(): vscode.LogOutputChannel {
    channel ??= vscode.window.createOutputChannel(SERVER_NAME, { log: true });
    return channel;
}

export function logInfo(message: string): void {
    outputChannel().info(message);
}

export function logWarning(message: string): void {
    outputChannel().warn(message);
}

export function logError(message: string, error?: unknown): void {
    let detail = '';
    if (error instanceof Error) {
        detail = error.stack ?? error.message;
    } else if (error !== undefined) {
        detail = typeof error === 'string' ? error : JSON.stringify(error);
    }
    outputChannel().error(detail ? `${message}: ${detail}` : message);
}
