import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Candidate, candidatesFromActions } from '../common/candidates';
import {
    DRAWING_TITLE,
    RANKED_TITLE,
    offersAnEdit,
    pickerView,
    sameCandidate,
    stillDrawing,
} from '../common/pickerView';

const URI = 'file:///w/mod.py';
const edit = (text: string) => ({
    changes: { [URI]: [{ range: { start: { line: 8, character: 0 }, end: { line: 9, character: 0 } }, newText: text }] },
});
const action = (body: string, early: boolean, passes = true) => ({
    title: `Implement: 2/2 examples pass — ${body.trim()}`,
    edit: edit(body),
    data: {
        kind: 'codegenLsp.candidate',
        index: 0,
        ...(early ? { early: true } : {}),
        evidence: { passes, examplesPassed: passes ? 2 : 0, examplesTotal: 2, score: 0.8 },
    },
});

test('candidates of the first wave are read as early from the data, final ones are not', () => {
    const early = candidatesFromActions([action('    return 1\n', true)], URI);
    assert.equal(early[0].early, true);
    assert.equal(stillDrawing(early), true);
    const ranked = candidatesFromActions([action('    return 1\n', false)], URI);
    assert.equal(ranked[0].early, false);
    assert.equal(stillDrawing(ranked), false);
});

test('while samples are drawn the picker spins and says the list will change', () => {
    const early = candidatesFromActions([action('    return 1\n', true)], URI);
    const view = pickerView(early, true);
    assert.equal(view.busy, true);
    assert.equal(view.title, DRAWING_TITLE);
    assert.match(view.placeholder, /updates when the other samples are ranked/);
    assert.equal(view.items.length, 1);
    assert.equal(view.items[0].candidate, early[0]);
    const ranked = pickerView(candidatesFromActions([action('    return 1\n', false)], URI), false);
    assert.equal(ranked.busy, false);
    assert.equal(ranked.title, RANKED_TITLE);
    assert.doesNotMatch(ranked.placeholder, /updates/);
});

test('an update keeps the highlighted candidate by its body, wherever it moved', () => {
    const before = pickerView(candidatesFromActions([action('    return 1\n', true)], URI), true);
    const after = pickerView(
        candidatesFromActions([action('    return 2\n', false), action('    return 1\n', false)], URI),
        false,
    );
    assert.equal(sameCandidate(after.items, before.items[0].candidate), after.items[1]);
    const gone = pickerView(candidatesFromActions([action('    return 3\n', false)], URI), false);
    assert.equal(sameCandidate(gone.items, before.items[0].candidate), undefined);
    assert.equal(sameCandidate(after.items, undefined), undefined);
});

test('something to apply means an edit; a disabled failing candidate alone is not', () => {
    const failing: Candidate = { rank: 1, title: 'x', body: '', edits: [], disabledReason: 'fails f(1)' };
    assert.equal(offersAnEdit([failing]), false);
    assert.equal(offersAnEdit(candidatesFromActions([action('    return 1\n', true)], URI)), true);
    assert.equal(offersAnEdit([]), false);
});
