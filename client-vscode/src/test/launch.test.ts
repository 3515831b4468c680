import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoInterpreterError, expandVariables, planLaunch, whichOn } from '../common/launch';

const nothingOnPath = () => undefined;

test('the interpreter setting wins, with its own arguments kept', () => {
    const plan = planLaunch({
        interpreterSetting: ['/opt/py/bin/python', '-X', 'utf8'],
        pythonExtensionInterpreter: '/other/python',
        which: () => '/usr/bin/codegen-lsp',
        serverArgs: ['-v'],
    });
    assert.deepEqual(plan, {
        command: '/opt/py/bin/python',
        args: ['-X', 'utf8', '-m', 'codegen_lsp', '-v'],
        source: 'setting',
    });
});

test('blank entries in the setting count as unset', () => {
    const plan = planLaunch({ interpreterSetting: ['  '], pythonExtensionInterpreter: '/env/python', which: nothingOnPath });
    assert.equal(plan.source, 'python-extension');
    assert.deepEqual(plan.args, ['-m', 'codegen_lsp']);
});

test('the server runs from its own environment: the script on PATH beats the project interpreter', () => {
    const plan = planLaunch({
        interpreterSetting: [],
        pythonExtensionInterpreter: '/project/.venv/bin/python',
        which: (p) => (p === 'codegen-lsp' ? '/tools/bin/codegen-lsp' : undefined),
    });
    assert.deepEqual(plan, { command: '/tools/bin/codegen-lsp', args: [], source: 'path-script' });
});

test('without setting or Python extension: the codegen-lsp script on PATH, then python3', () => {
    const script = planLaunch({ interpreterSetting: [], which: (p) => (p === 'codegen-lsp' ? '/bin/codegen-lsp' : undefined) });
    assert.deepEqual(script, { command: '/bin/codegen-lsp', args: [], source: 'path-script' });
    const python = planLaunch({ interpreterSetting: [], which: (p) => (p === 'python3' ? '/bin/python3' : undefined) });
    assert.deepEqual(python, { command: '/bin/python3', args: ['-m', 'codegen_lsp'], source: 'path-python' });
});

test('no interpreter anywhere is an error that says what to set', () => {
    assert.throws(() => planLaunch({ interpreterSetting: [], which: nothingOnPath }), (error: unknown) => {
        assert.ok(error instanceof NoInterpreterError);
        assert.match(error.message, /codegenLsp\.interpreter/);
        return true;
    });
});

test('expandVariables fills workspace, home, env and ~', () => {
    const context = { workspaceFolder: '/ws', userHome: '/home/u', env: { VENV: '/v' } };
    assert.equal(expandVariables('${workspaceFolder}/.venv/bin/python', context), '/ws/.venv/bin/python');
    assert.equal(expandVariables('${env:VENV}/bin/python', context), '/v/bin/python');
    assert.equal(expandVariables('${env:MISSING}x', context), 'x');
    assert.equal(expandVariables('~/py', context), '/home/u/py');
    assert.equal(expandVariables('${userHome}/py', context), '/home/u/py');
    // No folder open: the variable stays, so the error message shows what was not expanded.
    assert.equal(expandVariables('${workspaceFolder}/py', { userHome: '/h', env: {} }), '${workspaceFolder}/py');
});

test('whichOn takes the first executable match in PATH order', () => {
    const executables = new Set(['/b/python3', '/c/python3']);
    assert.equal(whichOn('python3', '/a::/b/:/c', (p) => executables.has(p)), '/b/python3');
    assert.equal(whichOn('python3', undefined, () => true), undefined);
});
