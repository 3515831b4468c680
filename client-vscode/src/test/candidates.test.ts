import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    MalformedResultError,
    applyEdits,
    candidatesFromActions,
    editsFor,
    evidenceOf,
    pickItem,
    pickPlaceholder,
} from '../common/candidates';

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

const candidateData = (evidence: Record<string, unknown>) => ({ kind: 'codegenLsp.candidate', index: 0, evidence });
const MEANING = "the ranking's confidence (0 to 1)";

test('candidatesFromActions reads the evidence from the data, never the title, and skips tasks', () => {
    const actions = [
        {
            // A title with numbers that contradict the data: the data wins.
            title: 'Implement: 9/9 examples pass — return a + b',
            edit: { changes: { [URI]: [bodyEdit('    return a + b\n')] } },
            data: candidateData({ examplesPassed: 2, examplesTotal: 2, passes: true, score: 0.91, scoreMeaning: MEANING }),
        },
        {
            title: 'Implement: 0/2 examples pass — return 0',
            disabled: { reason: 'add(1, 2): expected 3, got 0' },
            data: candidateData({ examplesPassed: 0, examplesTotal: 2, passes: false, score: 0.12 }),
        },
        {
            title: 'Implement anyway (fails: `add(1, 2)` returned 0, expected 3) — return a - b',
            edit: { changes: { [URI]: [bodyEdit('    return a - b\n')] } },
            data: candidateData({ examplesPassed: 1, examplesTotal: 2, passes: false, score: 0.2, failure: '`add(1, 2)` returned 0' }),
        },
        {
            title: 'Implement: no examples to check — pass',
            edit: { documentChanges: [{ textDocument: { uri: URI }, edits: [bodyEdit('    pass\n')] }] },
            data: candidateData({ examplesPassed: 0, examplesTotal: 0, passes: true, score: 0.5 }),
        },
        { title: 'Generate implementations again…', command: { title: 'g', command: 'codegenLsp.generate' } },
        { title: 'Implement: 2/2 examples pass — x', edit: { changes: { [URI]: [bodyEdit('x\n')] } } }, // no data: not ours
        { title: 'Implement: 1/2 examples pass', data: candidateData({}) }, // neither edit nor reason
    ];
    const candidates = candidatesFromActions(actions, URI);
    // Passing ones first, then the failing ones, marked.
    assert.deepEqual(
        candidates.map((c) => [c.rank, c.examplesPassed, c.examplesTotal, c.score, c.edits.length, c.disabledReason]),
        [
            [1, 2, 2, 0.91, 1, undefined],
            [2, 0, 0, 0.5, 1, undefined],
            [3, 0, 2, 0.12, 0, 'add(1, 2): expected 3, got 0'],
            [4, 1, 2, 0.2, 1, undefined],
        ],
    );
    assert.equal(candidates[0].body, '    return a + b\n');
    assert.equal(candidates[3].failure, '`add(1, 2)` returned 0');
    assert.deepEqual(candidates.map((c) => pickItem(c).label.split(' ')[0]), [
        '$(pass-filled)', '$(question)', '$(error)', '$(error)',
    ]);
    assert.equal(pickPlaceholder(candidates), `Pick a candidate to preview its diff; failing ones are listed last · score: ${MEANING}`);
});

test('evidenceOf keeps only well-typed fields', () => {
    assert.deepEqual(evidenceOf({ score: 'high', examplesPassed: 2, passes: 'yes', inputs: 6 }), {
        passes: undefined, score: undefined, scoreMeaning: undefined, verified: undefined,
        examplesPassed: 2, examplesTotal: undefined, agreement: undefined, samples: undefined,
        inputs: 6, nearAgreement: undefined, nearSamples: undefined, breaksNear: undefined,
        failure: undefined,
    });
    assert.equal(evidenceOf({ nearAgreement: 0.75 }).nearAgreement, 0.75);
    assert.equal(evidenceOf({ nearSamples: 1 }).nearSamples, 1);
    assert.equal(evidenceOf({ breaksNear: true }).breaksNear, true);
    assert.equal(evidenceOf({ breaksNear: 'yes' }).breaksNear, undefined);
    assert.deepEqual(evidenceOf(null), {});
});

test('pickItem shows the score and the facts the title leaves out', () => {
    const item = pickItem({
        rank: 1, title: 'Implement: 3/3 examples pass — return x (+1 line)', body: '    x = 1\n\n    return x\n', score: 0.876,
        verified: true, examplesPassed: 3, examplesTotal: 3, agreement: 4, passes: true, edits: [],
    });
    assert.equal(item.label, '$(pass-filled) Implement: 3/3 examples pass — return x (+1 line)');
    assert.equal(item.description, 'score 0.88 · verified · 4 samples behave alike');
    assert.equal(item.detail, 'x = 1 ⏎ return x');
    const failing = pickItem({
        rank: 2, title: 'Implement: 0/2 examples pass', body: '', examplesPassed: 0, examplesTotal: 2,
        edits: [], disabledReason: 'f(1): expected 2, got 0',
    });
    assert.ok(failing.label.startsWith('$(error)'));
    assert.equal(failing.description, 'fails: f(1): expected 2, got 0');
    const agreeing = pickItem({
        rank: 3, title: 'Implement: no examples · 5/8 agree on 6 inputs', body: 'pass', score: 0.5,
        examplesPassed: 0, examplesTotal: 0, agreement: 5, samples: 8, inputs: 6, edits: [],
    });
    assert.ok(agreeing.label.startsWith('$(question)'));
    assert.equal(agreeing.description, 'score 0.50'); // the title already says who agrees
    const apart = {
        rank: 4, title: 'Implement: 2/2 examples pass — return max(xs)', body: '    return max(xs)\n', score: 0.6,
        examplesPassed: 2, examplesTotal: 2, passes: true, nearAgreement: 0.4, edits: [],
    };
    assert.equal(pickItem(apart).description, 'score 0.60 · 40% alike near the examples');
    // Nothing to say when all act alike.
    assert.equal(pickItem({ ...apart, nearAgreement: 1 }).description, 'score 0.60');
    // A lone sample: why it is not verified.
    assert.equal(
        pickItem({ ...apart, nearAgreement: 1, nearSamples: 1 }).description,
        'score 0.60 · no other sample acts alike near the examples',
    );
    assert.equal(pickItem({ ...apart, nearAgreement: 1, nearSamples: 2 }).description, 'score 0.60');
    assert.equal(
        pickItem({ ...apart, nearAgreement: 1, nearSamples: 2, breaksNear: true }).description,
        'score 0.60 · raises on an empty input near the examples',
    );
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
