// The Python extension's selected interpreter, when that extension is installed. Its API is read
// from the extension's exports (no npm dependency: @vscode/python-extension wants a newer VS
// Code and Node than this extension supports).
import * as vscode from 'vscode';
import { PYTHON_EXTENSION_ID } from './constants';
import { logInfo, logWarning } from './log';

interface EnvironmentPath {
    id: string;
    path: string;
}

interface ResolvedEnvironment {
    executable: { uri?: vscode.Uri };
}

interface PythonEnvironmentsApi {
    getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
    resolveEnvironment(environment: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
}

interface PythonExtensionApi {
    environments?: PythonEnvironmentsApi;
}

async function environmentsApi(): Promise<PythonEnvironmentsApi | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
    if (!extension) {
        return undefined;
    }
    try {
        const api = extension.isActive ? extension.exports : await extension.activate();
        return api?.environments;
    } catch (error) {
        logWarning(`the Python extension did not activate: ${String(error)}`);
        return undefined;
    }
}

/** The interpreter the Python extension selected for this resource, if any. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
    const api = await environmentsApi();
    if (!api) {
        return undefined;
    }
    try {
        const active = api.getActiveEnvironmentPath(resource);
        const resolved = await api.resolveEnvironment(active);
        const path = resolved?.executable.uri?.fsPath;
        if (path) {
            logInfo(`Python extension interpreter: ${path}`);
        }
        return path;
    } catch (error) {
        logWarning(`could not read the Python extension's interpreter: ${String(error)}`);
        return undefined;
    }
}

/** Calls `listener` when the user selects another interpreter in the Python extension. */
export async function onPythonInterpreterChanged(
    listener: () => void,
): Promise<vscode.Disposable | undefined> {
    const api = await environmentsApi();
    return api?.onDidChangeActiveEnvironmentPath(() => listener());
}
