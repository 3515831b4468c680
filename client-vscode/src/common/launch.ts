// How the server is started: which interpreter, which arguments. Pure logic, unit-tested.
//
// The server runs from its own environment, not from the project's: the project's interpreter
// (the Python extension's selection) is handed to the server as the `project.editorInterpreter`
// setting, where it runs the examples and resolves names. Order of preference:
//   1. the "codegenLsp.interpreter" setting (a path, or a command with arguments);
//   2. the `codegen-lsp` script on PATH;
//   3. the interpreter the Python extension selected, only when neither of the above exists
//      (codegen-lsp installed into the project's own environment);
//   4. `python3` on PATH.
// vscode-languageclient appends `--stdio` itself.

import { SERVER_MODULE, SERVER_SCRIPT } from './constants';

export interface LaunchInputs {
    /** The "codegenLsp.interpreter" setting, already variable-expanded. */
    interpreterSetting: readonly string[];
    /** The Python extension's active interpreter for the workspace, if it has one. */
    pythonExtensionInterpreter?: string;
    /** Resolves a program name on PATH; undefined when absent. */
    which: (program: string) => string | undefined;
    /** Extra arguments for the server, e.g. ["-v"] for a more detailed log. */
    serverArgs?: readonly string[];
}

export interface LaunchPlan {
    command: string;
    args: string[];
    /** Where the interpreter came from, for the log: a user who sees the wrong one knows why. */
    source: 'setting' | 'python-extension' | 'path-script' | 'path-python';
}

export class NoInterpreterError extends Error {
    constructor() {
        super(
            'codegen-lsp: no Python interpreter found. Set "codegenLsp.interpreter" to the python ' +
                'that has codegen-lsp installed (pip install codegen-lsp), or select one with the ' +
                'Python extension.',
        );
    }
}

export function planLaunch(inputs: LaunchInputs): LaunchPlan {
    const extra = [...(inputs.serverArgs ?? [])];
    const setting = inputs.interpreterSetting.filter((part) => part.trim() !== '');
    if (setting.length > 0) {
        return {
            command: setting[0],
            args: [...setting.slice(1), '-m', SERVER_MODULE, ...extra],
            source: 'setting',
        };
    }
    const script = inputs.which(SERVER_SCRIPT);
    if (script) {
        return { command: script, args: extra, source: 'path-script' };
    }
    if (inputs.pythonExtensionInterpreter) {
        return {
            command: inputs.pythonExtensionInterpreter,
            args: ['-m', SERVER_MODULE, ...extra],
            source: 'python-extension',
        };
    }
    const python = inputs.which('python3') ?? inputs.which('python');
    if (python) {
        return { command: python, args: ['-m', SERVER_MODULE, ...extra], source: 'path-python' };
    }
    throw new NoInterpreterError();
}

export interface VariableContext {
    workspaceFolder?: string;
    userHome: string;
    env: Record<string, string | undefined>;
}

/** Expand ${workspaceFolder}, ${userHome}, ${env:NAME} and a leading ~ in a setting value. */
export function expandVariables(value: string, context: VariableContext): string {
    let out = value.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g,
        (whole: string, name: string, envName: string | undefined) => {
            if (envName !== undefined) {
                return context.env[envName] ?? '';
            }
            if (name === 'userHome') {
                return context.userHome;
            }
            return context.workspaceFolder ?? whole;
        });
    if (out === '~' || out.startsWith('~/')) {
        out = context.userHome + out.slice(1);
    }
    return out;
}

/** Find a program on PATH the way a shell does (first executable match). */
export function whichOn(
    program: string,
    pathValue: string | undefined,
    isExecutable: (path: string) => boolean,
    separator = ':',
): string | undefined {
    for (const dir of (pathValue ?? '').split(separator)) {
        if (dir === '') {
            continue;
        }
        const candidate = `${dir.replace(/\/+$/, '')}/${program}`;
        if (isExecutable(candidate)) {
            return candidate;
        }
    }
    return undefined;
}
