// The server's commands (workspace/executeCommand), as registered in
// server/codegen_lsp/lsp/actions.py, and the actions that run them. Pure logic, unit-tested.

export type Purpose = 'generate' | 'explain' | 'check' | 'repair';

/** The server's command ids. */
export const SERVER_COMMANDS: Record<Purpose, string> = {
    generate: 'codegenLsp.generate',
    explain: 'codegenLsp.explain',
    check: 'codegenLsp.checkExamples',
    repair: 'codegenLsp.repair',
};

/** Whether a code action runs the server command of the purpose (by command id, not title). */
export function actionMatches(action: unknown, purpose: Purpose): boolean {
    if (typeof action !== 'object' || action === null) {
        return false;
    }
    const command = (action as { command?: unknown }).command;
    return (
        typeof command === 'object' &&
        command !== null &&
        (command as { command?: unknown }).command === SERVER_COMMANDS[purpose]
    );
}

/** The server command for a purpose, or undefined when this server did not register it. */
export function findCommand(advertised: readonly string[], purpose: Purpose): string | undefined {
    const name = SERVER_COMMANDS[purpose];
    return advertised.includes(name) ? name : undefined;
}

/**
 * What to tell the user after a task, when the server did not already say it (it shows its own
 * message for explain, for check unless examples fail, and for generate/repair when nothing
 * passed).
 */
export function taskMessage(purpose: Exclude<Purpose, 'generate'>, result: unknown): string | undefined {
    if (typeof result !== 'object' || result === null) {
        return undefined;
    }
    const record = result as Record<string, unknown>;
    if (purpose === 'repair' && record.applied === true && typeof record.title === 'string') {
        return `applied "${record.title}".`;
    }
    // The server marks failing examples as diagnostics and says nothing more; a notification
    // tells VS Code users to look at them.
    if (
        purpose === 'check' &&
        typeof record.examples === 'number' &&
        typeof record.passed === 'number' &&
        record.passed < record.examples &&
        typeof record.message === 'string'
    ) {
        return record.message;
    }
    return undefined;
}

/** What the status bar keeps saying after a check ("inc: all 3 examples pass"), if anything. */
export function statusMessage(purpose: Exclude<Purpose, 'generate'>, result: unknown): string | undefined {
    if (purpose !== 'check' || typeof result !== 'object' || result === null) {
        return undefined;
    }
    const message = (result as Record<string, unknown>).message;
    return typeof message === 'string' ? message : undefined;
}
