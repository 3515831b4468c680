// Settings per workspace folder: the server's tree (sent as initializationOptions and over
// workspace/configuration) and the client's own ("interpreter").
import * as fs from 'fs';
import * as os from 'os';
import * as vscode from 'vscode';
import { SETTINGS_SECTION } from './constants';
import { expandVariables } from './launch';
import { SettingsTree, serverSettings } from './settingsTree';

export function configurationFor(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
}

/** The settings tree the server reads, for one folder (or the window when none). */
export function serverSettingsFor(scope?: vscode.ConfigurationScope): SettingsTree {
    return serverSettings(JSON.parse(JSON.stringify(configurationFor(scope))));
}

/** The "codegenLsp.interpreter" setting, variables expanded; empty when unset. */
export function interpreterSetting(folder?: vscode.WorkspaceFolder): string[] {
    const raw = configurationFor(folder?.uri).get<string[] | string>('interpreter') ?? [];
    const parts = typeof raw === 'string' ? (raw.trim() === '' ? [] : [raw]) : raw;
    return parts.map((part) =>
        expandVariables(part, {
            workspaceFolder: folder?.uri.fsPath,
            userHome: os.homedir(),
            env: process.env,
        }),
    );
}

export function isExecutable(path: string): boolean {
    try {
        fs.accessSync(path, fs.constants.X_OK);
        return fs.statSync(path).isFile();
    } catch {
        return false;
    }
}

/** The folder whose settings start the server: the first one (one server per window). */
export function primaryFolder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
}

/** Everything that decides how the server runs, for every folder: compared to decide a restart. */
export function launchSnapshot(): unknown {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const scopes: (vscode.WorkspaceFolder | undefined)[] = folders.length ? [...folders] : [undefined];
    return scopes.map((folder) => ({
        folder: folder?.uri.toString() ?? '',
        interpreter: interpreterSetting(folder),
        server: serverSettingsFor(folder?.uri),
    }));
}
