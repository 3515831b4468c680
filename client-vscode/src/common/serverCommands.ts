// The server's commands (workspace/executeCommand) and the code action titles it uses for each
// task, as registered in server/codegen_lsp/lsp/actions.py. Pure logic, unit-tested.

export type Purpose = 'generate' | 'explain' | 'check' | 'repair';

/** The server's command ids. */
export const SERVER_COMMANDS: Record<Purpose, string> = {
    generate: 'codegenLsp.generate',
    explain: 'codegenLsp.explain',
    check: 'codegenLsp.checkExamples',
    repair: 'codegenLsp.repair',
};

/** Code action titles that stand for each task ("Generate implementations…", ...). */
const ACTION_TITLES: Record<Purpose, RegExp> = {
    generate: /^generate implementations/i,
    explain: /^explain code/i,
    check: /^check examples/i,
    repair: /^(fix with failing example|repair)/i,
};

/** The server command for a purpose, or undefined when this server did not register it. */
export function findCommand(advertised: readonly string[], purpose: Purpose): string | undefined {
    const name = SERVER_COMMANDS[purpose];
    return advertised.includes(name) ? name : undefined;
}

/** Whether a code action title stands for the purpose. */
export function actionMatches(title: string, purpose: Purpose): boolean {
    return ACTION_TITLES[purpose].test(title.trim());
}

/** Whether a title names one of the tasks (as opposed to a candidate body). */
export function isTaskTitle(title: string): boolean {
    return (Object.keys(ACTION_TITLES) as Purpose[]).some((purpose) => actionMatches(title, purpose));
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
