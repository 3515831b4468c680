import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverSettings, settingsDiffer, withEditorInterpreter } from '../common/settingsTree';

test('serverSettings drops the client-only keys and functions, keeps the tree', () => {
    const section = {
        interpreter: ['/venv/bin/python'],
        trace: { server: 'verbose' },
        model: { name: 'tiny', threads: 2 },
        sampling: { n: 4 },
        get: () => 1, // a WorkspaceConfiguration's methods are not settings
    };
    assert.deepEqual(serverSettings(section), { model: { name: 'tiny', threads: 2 }, sampling: { n: 4 } });
});

test('serverSettings of nothing is an empty tree', () => {
    assert.deepEqual(serverSettings(undefined), {});
    assert.deepEqual(serverSettings('not an object'), {});
});

test('settingsDiffer ignores key order but sees value changes', () => {
    assert.equal(settingsDiffer({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }), false);
    assert.equal(settingsDiffer({ a: 1 }, { a: 2 }), true);
    assert.equal(settingsDiffer({ a: [1, 2] }, { a: [2, 1] }), true);
});

test('withEditorInterpreter hands the selected interpreter over under project, keeping the rest', () => {
    const tree = { project: { interpreter: '/mine/python', crossFileContext: false }, sampling: { n: 4 } };
    const out = withEditorInterpreter(tree, '/project/.venv/bin/python');
    assert.deepEqual(out, {
        project: { interpreter: '/mine/python', crossFileContext: false, editorInterpreter: '/project/.venv/bin/python' },
        sampling: { n: 4 },
    });
    assert.deepEqual(tree.project, { interpreter: '/mine/python', crossFileContext: false }); // not mutated
    assert.deepEqual(withEditorInterpreter({ sampling: { n: 1 } }, undefined), { sampling: { n: 1 } });
    assert.deepEqual(withEditorInterpreter({}, '/p/python'), { project: { editorInterpreter: '/p/python' } });
});
