// The settings the server reads, separated from the ones only this extension uses.
// Pure logic (no `vscode` import) so it is unit-tested without an editor.

/** Keys under "codegenLsp" that configure the extension itself and never reach the server. */
export const CLIENT_ONLY_KEYS: readonly string[] = ['interpreter', 'trace'];

export type SettingsTree = { [key: string]: SettingsValue };
export type SettingsValue = string | number | boolean | null | SettingsValue[] | SettingsTree;

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function copyValue(value: unknown): SettingsValue | undefined {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
        return value as SettingsValue;
    }
    if (Array.isArray(value)) {
        return value.map(copyValue).filter((v): v is SettingsValue => v !== undefined);
    }
    if (isPlainObject(value)) {
        const out: SettingsTree = {};
        for (const [key, inner] of Object.entries(value)) {
            const copied = copyValue(inner);
            if (copied !== undefined) {
                out[key] = copied;
            }
        }
        return out;
    }
    return undefined; // functions (a WorkspaceConfiguration's get/update...), undefined
}

/**
 * The tree the server gets as initializationOptions and over workspace/configuration: the
 * "codegenLsp" section without the client-only keys, as plain JSON.
 */
export function serverSettings(section: unknown): SettingsTree {
    const copied = copyValue(section);
    const tree: SettingsTree = isPlainObject(copied) ? copied : {};
    for (const key of CLIENT_ONLY_KEYS) {
        delete tree[key];
    }
    return tree;
}

/**
 * The tree with the project's interpreter (the Python extension's selection) handed over as
 * `project.editorInterpreter`; the server ranks it below the user's own `project.interpreter`.
 * Without a selection, the tree is returned as it is.
 */
export function withEditorInterpreter(tree: SettingsTree, interpreter: string | undefined): SettingsTree {
    if (!interpreter) {
        return tree;
    }
    const project: SettingsTree = isPlainObject(tree.project) ? { ...tree.project } : {};
    project.editorInterpreter = interpreter;
    return { ...tree, project };
}

/** Whether two trees differ; a change means the server restarts with the new values. */
export function settingsDiffer(a: unknown, b: unknown): boolean {
    return JSON.stringify(canonical(a)) !== JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(canonical);
    }
    if (isPlainObject(value)) {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((key) => [key, canonical(value[key])]),
        );
    }
    return value;
}
