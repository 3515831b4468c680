import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MalformedResultError, applyEdits, candidatesFromActions, editsFor, pickItem } from '../common/candidates';
import { isTaskTitle } from '../common/serverCommands';

const URI = 'file:///w/mod.py';
const bodyEdit = (text: string) => ({
    range: { start: { line: 2, character: 0 }, end: { line: 3, character: 0 } },
    newText: text,
});

test('editsFor reads both WorkspaceEdit forms and ignores other files', () => {
    const changes = { changes: { [URI]: [bodyEdit('a\n')], 'file:///w/other.py': [bodyEdit('b\n')] } };
    assert.deepEqual(editsFor(changes, URI), [bodyEdit('a\n')]);
    const documentChanges = {
        documentChanges: [{ textDocument: { uri: 'file:///w/mod%2Epy', version: 3 }, edits: [bodyEdit('c\n')] }],
    };
    assert.deepEqual(editsFor(documentChanges, URI), [bodyEdit('c\n')]);
    assert.deepEqual(editsFor(undefined, URI), []);
});

test('candidatesFromActions reads the evidence in the titles and skips task actions', () => {
    const actions = [
        { title: 'Implement: 2/2 examples pass · 0.91 — return a + b', edit: { changes: { [URI]: [bodyEdit('    return a + b\n')] } } },
        { title: 'Implement: 0/2 examples pass · 0.12', disabled: { reason: 'add(1, 2): expected 3, got 0' } },
        { title: 'Implement: no examples to check · -0.50', edit: { documentChanges: [{ textDocument: { uri: URI }, edits: [bodyEdit('    pass\n')] }] } },
        { title: 'Generate implementations again…', command: { title: 'g', command: 'codegenLsp.generate' } },
        { title: 'Implement: 1/2 examples pass · 0.3' }, // neither edit nor reason: nothing to show
    ];
    const candidates = candidatesFromActions(actions, URI, isTaskTitle);
    assert.deepEqual(
        candidates.map((c) => [c.rank, c.examplesPassed, c.examplesTotal, c.score, c.edits.length, c.disabledReason]),
        [
            [1, 2, 2, 0.91, 1, undefined],
            [2, 0, 2, 0.12, 0, 'add(1, 2): expected 3, got 0'],
            [3, undefined, undefined, -0.5, 1, undefined],
        ],
    );
    assert.equal(candidates[0].body, '    return a + b\n');
});

test('pickItem shows the evidence and the code, without repeating the title', () => {
    const item = pickItem({
        rank: 1, title: 'Implement: 3/3 examples pass · 0.88', body: '    x = 1\n\n    return x\n', score: 0.876,
        verified: true, examplesPassed: 3, examplesTotal: 3, agreement: 4, edits: [],
    });
    assert.equal(item.label, '$(pass-filled) Implement: 3/3 examples pass · 0.88');
    assert.equal(item.description, '4 samples agree · verified');
    assert.equal(item.detail, 'x = 1 ⏎ return x');
    const failing = pickItem({
        rank: 2, title: 'Implement: 0/2 examples pass · 0.12', body: '', examplesPassed: 0, examplesTotal: 2,
        edits: [], disabledReason: 'f(1): expected 2, got 0',
    });
    assert.ok(failing.label.startsWith('$(error)'));
    assert.equal(failing.description, 'fails: f(1): expected 2, got 0');
    const bare = pickItem({ rank: 3, title: 'Candidate 3', body: 'pass', score: 0.5, examplesPassed: 0, examplesTotal: 0, edits: [] });
    assert.ok(bare.label.startsWith('$(question)'));
    assert.equal(bare.description, 'no examples · score 0.50');
});

test('applyEdits produces the file as it would be after accepting', () => {
    const text = 'def add(a, b):\n    """Add."""\n    ...\n';
    assert.equal(applyEdits(text, [bodyEdit('    return a + b\n')]), 'def add(a, b):\n    """Add."""\n    return a + b\n');
    // Several edits, given in any order, and a position past the end of a line.
    const edits = [
        { range: { start: { line: 0, character: 4 }, end: { line: 0, character: 7 } }, newText: 'plus' },
        { range: { start: { line: 2, character: 4 }, end: { line: 2, character: 99 } }, newText: 'return a + b' },
    ];
    assert.equal(applyEdits(text, edits), 'def plus(a, b):\n    """Add."""\n    return a + b\n');
});

test('overlapping edits are refused rather than garbling the file', () => {
    const edits = [
        { range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, newText: 'x' },
        { range: { start: { line: 0, character: 2 }, end: { line: 0, character: 5 } }, newText: 'y' },
    ];
    assert.throws(() => applyEdits('abcdef\nghi\n', edits), MalformedResultError);
});
